"""The account pages a patient sees pass axe-core's WCAG 2.1 AA rules on a desktop and a phone, and fit a
320 px screen without sideways scrolling (WCAG 1.4.10 Reflow): also with form errors shown, and logged in."""

import re

import pytest
from playwright.sync_api import Page, expect

from .account_steps import activated_user, finish_login, h1, listed_patient, start_login
from .browser import DESKTOP, MOBILE, NARROW, format_violations, run_axe, save_screenshot
from .test_layout import WIDEST_ELEMENTS_JS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# What each screen is checked for: axe on the desktop and the phone, the reflow check on the phones.
SCREENS = {
    "desktop": (DESKTOP, {"axe"}),
    "mobil": (MOBILE, {"axe", "reflow"}),
    "320px": (NARROW, {"reflow"}),
}


@pytest.fixture
def patient(clinic):
    patient = listed_patient()
    activated_user(patient)
    return patient


def overflow(page: Page) -> str | None:
    """Why the page scrolls sideways on this screen, or None when it fits (as in test_layout.py)."""
    width = page.viewport_size["width"]
    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if scroll_width <= min(inner_width, width):
        return None
    return (
        f"{scroll_width}px wide on a {width}px screen (innerWidth {inner_width}); elements past the edge: "
        f"{page.evaluate(WIDEST_ELEMENTS_JS, width)}"
    )


@pytest.mark.parametrize("screen", SCREENS)
def test_account_pages_are_accessible_and_fit_the_screen(open_page, live_server, patient, screen):
    device, checks = SCREENS[screen]
    origin = live_server.url.rstrip("/")
    problems: list[str] = []

    def check(name: str, page: Page) -> None:
        """Check the page now showing; collect what is wrong so one run reports every page."""
        # After a click the new page's heading can be there before its stylesheet: measure the finished page.
        page.wait_for_load_state("load")
        found = []
        if "axe" in checks and (violations := run_axe(page)):
            found.append(f"axe-core WCAG 2.1 AA violations:\n{format_violations(violations)}")
        if "reflow" in checks and (reason := overflow(page)):
            found.append(f"scrolls sideways: {reason}")
        if found:
            shot = save_screenshot(page, f"konto-{name}-{screen}")
            problems.append(f"{name} ({page.url}, {screen}, screenshot {shot}):\n" + "\n".join(found))

    page = open_page("/logg-inn/engangspassord/", device, bypass_csp=True)
    expect(h1(page)).to_have_text("Logg inn")
    check("logg-inn-engangspassord", page)

    page.goto(origin + "/registrer/")
    expect(h1(page)).to_have_text("Mine opplysninger")
    check("registrer", page)

    # The same form after an empty submit, every field showing its error.
    page.get_by_role("button", name="OPPRETT NY BRUKER").click()
    expect(page.get_by_text("Skriv personnummeret ditt.")).to_be_visible()
    check("registrer-med-feil", page)

    page.goto(origin + "/hjelp-til-innlogging/")
    expect(h1(page)).to_have_text("Hjelp til innlogging")
    check("hjelp-til-innlogging", page)

    start_login(page, origin, patient)
    check("logg-inn-kode", page)

    finish_login(page, patient)
    expect(page.get_by_text(f"Hei, {patient.first_name} {patient.last_name}")).to_be_visible()
    check("min-side", page)

    page.goto(origin + "/min-side/opplysninger/")
    expect(h1(page)).to_have_text("Mine opplysninger")
    expect(page).to_have_url(re.compile(r"/min-side/opplysninger/$"))
    check("min-side-opplysninger", page)

    assert not problems, f"{len(problems)} account page(s) failed on {screen}:\n\n" + "\n\n".join(problems)
