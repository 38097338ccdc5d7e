"""What eportal writes to its logs: gunicorn's access log keeps no token of an e-mailed link."""

from eportal.gunicorn_logging import redact


def test_access_log_lines_lose_the_link_tokens():
    assert redact("GET /aktiver/MTI/d3k1-abcdef0123/ HTTP/1.1") == "GET /aktiver/MTI/[token]/ HTTP/1.1"
    assert redact("/nytt-passord/MTI/xyz/") == "/nytt-passord/MTI/[token]/"
    assert redact("/e-post/MTI/xyz/") == "/e-post/MTI/[token]/"
    assert redact("/aktiver/MTI/") == "/aktiver/MTI/"  # the page the token moved from carries none
    assert redact("/timer/12/avbestill/") == "/timer/12/avbestill/"
