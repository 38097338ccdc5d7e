"""The front page: «Registrer deg» straight from «Første gang her?», the Legetime app line leads somewhere, and
the emergency numbers stand once on a page (its own urgent notice or «Akutt hjelp» section, else the footer)."""

import re

from tests.test_admin_language import visible_text


def _links(html: str) -> dict[str, str]:
    return {
        visible_text(text).strip(): href
        for href, text in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', html, re.S)
    }


def test_first_time_here_offers_registration_and_the_app_line_is_a_link(client, db):
    html = client.get("/").content.decode()
    first_time = html[html.index('id="first-time"') : html.index("</section>", html.index('id="first-time"'))]
    links = _links(first_time)
    assert links["Registrer deg"] == "/registrer/"
    assert links["Du kan også bestille og avbestille time via Legetime appen"] == "/hjelp/#legetime-appen"
    assert client.get("/registrer/").status_code == 200
    help_page = client.get("/hjelp/").content.decode()
    assert 'id="legetime-appen"' in help_page and "Legetime-appen" in help_page


def test_the_emergency_numbers_stand_once_on_a_page(client, db):
    for url in ["/", "/om-klinikken/", "/hjelp/"]:
        text = visible_text(client.get(url).content.decode())
        assert text.count("116 117") == 1, (url, text)
        assert text.count("113") == 1, (url, text)


def test_pages_with_their_own_urgent_notice_do_not_repeat_the_numbers_in_the_footer(logged_in):
    for url in ["/meldinger/ny/", "/timer/bestill/", "/ekonsultasjon/"]:
        text = visible_text(logged_in.get(url).content.decode())
        assert text.count("116 117") == 1, (url, text)


def test_the_site_has_an_icon_and_favicon_ico_leads_to_it(client, db):
    from django.templatetags.static import static

    page = client.get("/").content.decode()
    icon = static("eportal/favicon.svg")
    assert f'<link rel="icon" href="{icon}" type="image/svg+xml">' in page
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and answer["Location"] == icon
