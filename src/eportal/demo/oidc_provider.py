"""A real OpenID Connect provider on loopback for the demo and the tests (oidc-provider-mock).

On its login page a demo user types a demo patient's fødselsnummer as the user ("sub"); the provider
then answers with that number in the fødselsnummer claim of the configured preset, and an `acr` of
the level asked for. It lets anyone log in as anyone, so it listens on 127.0.0.1 only, unless
`eportal demo --expose` serves the demo to other machines. oidc-provider-mock turns on Flask's debug mode
and Werkzeug's debugger, whose error pages show a traceback and the debugger's secret: make_app turns both
off, so that a bad request gets a plain error page. Its pages come from `provider_templates/`: in Norwegian,
with a real label on the fødselsnummer field, styled inline instead of by a stylesheet from a CDN (a demo
user's browser talks to nothing but this machine), and without what the package's pages show of others: the
login page's buttons of earlier users (their fødselsnummer, to anyone who opens it) and the end-session page's
list of the request's parameters (the ID token, with the fødselsnummer in it).
"""

import contextlib
import io
import pathlib
import threading
import urllib.parse
import warnings

import jinja2
import werkzeug.debug
import werkzeug.serving
from werkzeug.test import Client

with warnings.catch_warnings():  # it still imports parts of Authlib that Authlib has deprecated
    import authlib.deprecate  # noqa: F401 - sets its warnings to "always" when imported, so first

    warnings.simplefilter("ignore")
    import oidc_provider_mock

LOOPBACK = "127.0.0.1"
TEMPLATES = pathlib.Path(__file__).with_name("provider_templates")


class PersonClaims:
    """WSGI middleware: before the provider issues a code for a typed user, give that user the claims
    BankID (or ID-porten) would send for that person."""

    def __init__(self, app, *, national_id_claim: str, acr: str):
        self.app, self.national_id_claim, self.acr = app, national_id_claim, acr
        self.client = Client(app)

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and environ.get("PATH_INFO") == "/oauth2/authorize":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            sub = (form.get("sub") or [""])[0].strip()
            if sub and sub.isdigit():
                claims = {self.national_id_claim: sub, "acr": self.acr}
                self.client.put(f"/users/{sub}", json=claims, base_url=f"http://{environ.get('HTTP_HOST', LOOPBACK)}")
        return self.app(environ, start_response)


def make_app(*, national_id_claim: str = "nnin_altsub", acr: str = "urn:bankid:bid;LOA=4", token_lifetime=None):
    options = {"access_token_max_age": token_lifetime} if token_lifetime is not None else {}
    provider = oidc_provider_mock.app(require_nonce=True, **options)
    provider.debug = False
    provider.jinja_env.loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(TEMPLATES), provider.jinja_env.loader]  # ours first, then the package's
    )
    if isinstance(provider.wsgi_app, werkzeug.debug.DebuggedApplication):
        provider.wsgi_app = provider.wsgi_app.app
    return PersonClaims(provider, national_id_claim=national_id_claim, acr=acr)


def start_in_background(app=None, port: int = 0, host: str = LOOPBACK):
    """Serve the provider in a daemon thread (for `eportal demo`: until the process ends); on 127.0.0.1
    unless given the host `eportal demo --expose` serves on."""
    server = werkzeug.serving.make_server(host, port, app or make_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    return server, thread


@contextlib.contextmanager
def running(app=None, port: int = 0):
    """Serve the provider on 127.0.0.1 for the duration of a block; yields its base URL."""
    server, thread = start_in_background(app, port)
    try:
        yield f"http://{LOOPBACK}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)
