"""A person using only the keyboard can skip the header and reach the header's links."""

import re

import pytest
from playwright.sync_api import expect

from .browser import tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_first_tab_lands_on_a_visible_skip_link(open_page):
    page = open_page("/")

    page.keyboard.press("Tab")

    skip_link = page.get_by_role("link", name="Hopp til innholdet")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()  # hidden off-screen until focused, then shown


def test_skip_link_moves_focus_past_the_header(open_page):
    page = open_page("/")
    page.keyboard.press("Tab")

    page.keyboard.press("Enter")
    page.keyboard.press("Tab")

    # The next stop is the first link in the main content, not the header's links again.
    focused_in_main = page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    focused = page.evaluate("() => document.activeElement.outerHTML")
    assert focused_in_main, f"After the skip link, Tab went to {focused}, outside <main>"


def test_keyboard_user_reaches_om_klinikken_from_the_header(open_page):
    page = open_page("/")
    header_link = page.get_by_role("navigation").get_by_role("link", name="Om Klinikken")

    tab_to(page, header_link)
    expect(header_link).to_be_in_viewport()  # a sighted keyboard user can see where focus is
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/om-klinikken/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Om Klinikken")
    # The header tells a screen reader which page this is.
    expect(page.get_by_role("navigation").get_by_role("link", name="Om Klinikken")).to_have_attribute(
        "aria-current", "page"
    )
