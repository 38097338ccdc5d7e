"""axe-core finds no WCAG 2.1 AA violations on the public pages, on a desktop and on a phone."""

import pytest

from .browser import DESKTOP, MOBILE, PUBLIC_PAGES, format_violations, run_axe, save_screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEVICES = {"desktop": DESKTOP, "mobil": MOBILE}


@pytest.mark.parametrize("device_name", DEVICES)
@pytest.mark.parametrize("page_name", PUBLIC_PAGES)
def test_public_page_has_no_wcag_violations(open_page, page_name, device_name):
    page = open_page(PUBLIC_PAGES[page_name], DEVICES[device_name], bypass_csp=True)
    screenshot = save_screenshot(page, f"{page_name}-{device_name}")

    violations = run_axe(page)

    assert not violations, (
        f"axe-core found WCAG 2.1 AA violations on {PUBLIC_PAGES[page_name]} ({device_name}, "
        f"screenshot {screenshot}):\n{format_violations(violations)}"
    )
