"""The pages fit the screen: the front page's first screen shows what a visitor looks for, on a desktop and
a phone, and on a narrow phone no public page scrolls sideways (WCAG 1.4.10 Reflow)."""

import itertools

import pytest
from playwright.sync_api import expect

from .browser import DESKTOP, MOBILE, NARROW, PUBLIC_PAGES, overflow, save_screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FRONT_PAGE_SCREENS = {"desktop": DESKTOP, "mobil": MOBILE}
MENU = ["Om Klinikken", "Hjelp", "Logg inn"]


@pytest.mark.parametrize("screen", [NARROW, MOBILE], ids=["320px", "375px"])
@pytest.mark.parametrize("page_name", PUBLIC_PAGES)
def test_page_does_not_scroll_sideways_on_a_phone(open_page, page_name, screen):
    page = open_page(PUBLIC_PAGES[page_name], screen)

    if reason := overflow(page):
        screenshot = save_screenshot(page, f"{page_name}-{screen['viewport']['width']}px-overflow")
        raise AssertionError(f"{PUBLIC_PAGES[page_name]} scrolls sideways: {reason}. Screenshot: {screenshot}")


def _overlap(one: dict, other: dict) -> bool:
    return (
        one["x"] < other["x"] + other["width"]
        and other["x"] < one["x"] + one["width"]
        and one["y"] < other["y"] + other["height"]
        and other["y"] < one["y"] + one["height"]
    )


@pytest.mark.parametrize("screen_name", FRONT_PAGE_SCREENS)
def test_front_page_first_screen_shows_the_clinic_the_way_in_and_the_welcome(open_page, screen_name):
    """Without scrolling, a visitor sees the header with the clinic's name and «Logg inn», and the welcome
    heading and the «Logg inn» button below it; nothing covers anything else and nothing reaches past the
    screen's edge. The picture is kept for a person to look at (in the temp folder, not the repository)."""
    page = open_page("/", FRONT_PAGE_SCREENS[screen_name])
    screenshot = save_screenshot(page, f"forside-{screen_name}-skjermbilde")
    seen = f"(on the {screen_name} screen; screenshot {screenshot})"
    header = page.get_by_role("banner")
    clinic_name = header.get_by_role("link", name="GJERDRUM LEGESENTER", exact=True)
    menu = {name: page.get_by_role("navigation").get_by_role("link", name=name, exact=True) for name in MENU}
    heading = page.get_by_role("heading", level=1)
    log_in_button = page.get_by_role("main").get_by_role("link", name="Logg inn", exact=True)

    expect(heading, seen).to_have_text("Velkommen til e-portalen til Gjerdrum legesenter")
    shown = {"the clinic's name": clinic_name, **menu, "the heading": heading, "the «Logg inn» button": log_in_button}
    for what, element in shown.items():
        expect(element, f"{what} is not visible {seen}").to_be_visible()
        expect(element, f"{what} is not wholly on the first screen {seen}").to_be_in_viewport(ratio=1)

    width = page.viewport_size["width"]
    header_box = header.bounding_box()
    assert header_box["x"] == 0 and header_box["width"] == width, f"the header does not span the screen {seen}"
    in_header = {"the clinic's name": clinic_name.bounding_box()} | {name: menu[name].bounding_box() for name in MENU}
    for (one, one_box), (other, other_box) in itertools.combinations(in_header.items(), 2):
        assert not _overlap(one_box, other_box), f"{one} and {other} overlap in the header {seen}"
    assert heading.bounding_box()["y"] >= header_box["y"] + header_box["height"], (
        f"the header covers the heading {seen}"
    )
    assert overflow(page) is None, f"the front page scrolls sideways: {overflow(page)} {seen}"
