"""Shared steps for the browser tests of booking: «Mine timer» and dates the way the pages write them."""

import datetime
import re

from django.utils import formats, timezone, translation
from playwright.sync_api import Locator, Page, expect

from .account_steps import h1, main


def shown_date(moment: datetime.date | datetime.datetime, style: str = "l j. F Y") -> str:
    """A date (or the local date of a moment) as the Norwegian pages show it: 'torsdag 27. november 2025'."""
    if isinstance(moment, datetime.datetime):
        moment = timezone.localtime(moment)
    with translation.override("nb"):
        return formats.date_format(moment, style)


def coming_appointments(page: Page) -> Locator:
    """The appointments «Mine timer» lists under «Kommende timer»."""
    return page.get_by_role("region", name="Kommende timer").get_by_role("listitem")


def open_my_appointments(page: Page) -> Locator:
    """Follows the link «Mine timer» on the page shown; returns the coming appointments listed there."""
    main(page).get_by_role("link", name="Mine timer", exact=True).click()
    expect(page).to_have_url(re.compile(r"/timer/$"))
    expect(h1(page)).to_have_text("Mine timer")
    return coming_appointments(page)
