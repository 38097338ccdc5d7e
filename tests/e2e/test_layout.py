"""On a narrow phone the pages fit the screen: no sideways scrolling (WCAG 1.4.10 Reflow)."""

import pytest

from .browser import DESKTOP, MOBILE, NARROW, PUBLIC_PAGES, WIDEST_ELEMENTS_JS, save_screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The innermost elements that reach past the screen's right edge, by their box or their content.


@pytest.mark.parametrize("screen", [NARROW, MOBILE], ids=["320px", "375px"])
@pytest.mark.parametrize("page_name", PUBLIC_PAGES)
def test_page_does_not_scroll_sideways_on_a_phone(open_page, page_name, screen):
    page = open_page(PUBLIC_PAGES[page_name], screen)
    width = screen["viewport"]["width"]

    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")

    # A phone zooms out to fit too-wide content, which widens innerWidth too: so compare with the
    # screen's own width as well.
    if scroll_width > min(inner_width, width):
        screenshot = save_screenshot(page, f"{page_name}-{width}px-overflow")
        raise AssertionError(
            f"{PUBLIC_PAGES[page_name]} is {scroll_width}px wide on a {width}px screen "
            f"(innerWidth {inner_width}), "
            f"so it scrolls sideways. Elements past the edge: {page.evaluate(WIDEST_ELEMENTS_JS, width)}. "
            f"Screenshot: {screenshot}"
        )


def test_front_page_screenshot(open_page):
    """Keep pictures of the front page for a person to look at (in the temp folder, not the repository)."""
    for name, device in {"desktop": DESKTOP, "mobil": MOBILE}.items():
        page = open_page("/", device)
        path = save_screenshot(page, f"forside-{name}-skjermbilde")
        assert path.stat().st_size > 5_000, f"{path} is suspiciously small for a screenshot of the front page"
        page.context.close()
