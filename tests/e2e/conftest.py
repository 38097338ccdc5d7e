"""Browser-test setup: Debian's Chromium (Playwright never downloads a browser here), Django's live
server on 127.0.0.1, and pages that may talk to nothing but that server."""

import os
from pathlib import Path

import pytest

from .account_steps import activated_user, listed_patient
from .browser import DESKTOP

# Playwright's sync API runs an event loop in the test thread; Django would refuse ORM calls there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# pytest-django's live_server listens here unless --liveserver says otherwise.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

CHROMIUM = Path(os.environ.get("EPORTAL_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at the system Chromium, always headless."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM} (Debian: `apt-get install chromium`). "
            "Do not run `playwright install`; set EPORTAL_E2E_CHROMIUM to use another Chromium binary.",
            pytrace=False,
        )
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(autouse=True)
def _public_url_is_the_live_server(request, settings):
    """Links in SMS and e-mail, and BankID's return addresses, lead to the live server (EPORTAL_PUBLIC_URL)."""
    if "live_server" in request.fixturenames:
        settings.EPORTAL_PUBLIC_URL = request.getfixturevalue("live_server").url.rstrip("/") + "/"


@pytest.fixture
def clinic(transactional_db):
    """The demo clinic's row and staff, without its 6,000 patients (the public pages never show them).

    Transactional tests empty the database after each test, so this runs per test; it is a handful of rows.
    """
    from eportal.clinic.models import Clinic, Practitioner
    from eportal.demo.clinic import CLINIC, PRACTITIONERS

    row, _ = Clinic.objects.update_or_create(pk=Clinic.SINGLETON_ID, defaults=CLINIC)
    for first, last, hpr, role in PRACTITIONERS:
        Practitioner.objects.update_or_create(
            hpr_number=hpr,
            defaults={"first_name": first, "last_name": last, "role": role, "has_patient_list": role == "gp"},
        )
    return row


@pytest.fixture
def patient(clinic):
    """Sigrid Bakken on Marte Kvam's list, with a mobile the clinic registered and no user yet."""
    return listed_patient()


@pytest.fixture
def patient_with_user(patient):
    """The same patient with the activated user a registration would leave behind."""
    activated_user(patient)
    return patient


@pytest.fixture
def open_page(new_context, live_server, clinic):
    """open_page(path, device=DESKTOP, bypass_csp=False) -> a Playwright page showing that path.

    Every request that is not to the live server is aborted, and the test errors at teardown if
    the page tried one: the portal must work without any third-party host.
    """
    origin = live_server.url.rstrip("/")
    foreign_requests: list[str] = []

    def block(route):
        foreign_requests.append(route.request.url)
        route.abort()

    def _open(path: str, device: dict = DESKTOP, *, bypass_csp: bool = False):
        context = new_context(**device, bypass_csp=bypass_csp, locale="nb-NO")
        context.route(lambda url: not url.startswith(origin + "/"), block)
        page = context.new_page()
        response = page.goto(origin + path)
        status = response.status if response else None
        assert status == 200, f"GET {path} answered {status}"
        return page

    yield _open
    assert not foreign_requests, f"The page requested hosts other than the live server: {foreign_requests}"
