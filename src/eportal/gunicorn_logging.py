"""gunicorn's access log without the tokens of e-mailed links (ASVS 14.2.1): the first request of an
activation, reset or e-mail link carries its token in the path."""

import re

from gunicorn.glogging import Logger

LINK_TOKEN = re.compile(r"(/(?:aktiver|nytt-passord|e-post)/[^/\s]+/)[^/?\s]+/")


def redact(text: str) -> str:
    return LINK_TOKEN.sub(r"\1[token]/", text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U"):  # the request line and the path
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
