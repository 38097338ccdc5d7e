"""«Bestill time» in a real browser at 1280 and 375 px: the types as equal-width cards in the clinic's order, the
free times a week at a time, both free of axe-core WCAG 2.1 AA violations and of sideways scrolling; and a
keyboard user moves a week on («Neste uke») and picks a time with Tab and Enter. Screenshots of each page at
each width are kept under the system's temp folder (browser.SCREENSHOT_DIR)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories

from .account_steps import activated_user, h1, listed_patient, log_in, main
from .browser import DESKTOP, MOBILE, format_violations, overflow, run_axe, save_screenshot, tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": DESKTOP, "mobil": MOBILE}
TYPES = [  # name, order, minutes, description; made in another order than shown
    ("Vaksinasjon", 30, 15, "Hos sykepleier, for vaksiner som influensa- og reisevaksiner."),
    ("Vanlig konsultasjon", 10, 20, "Hos fastlegen, for én ting du trenger hjelp med."),
    ("Dobbelttime", 20, 40, "Hos fastlegen, når du har flere ting eller trenger mer tid."),
]
# Marte Kvam's mornings: 08:00–11:20 online, ten 20-minute times a day, as the demo clinic's GPs.
MORNINGS = (datetime.time(8), datetime.time(11, 20), True)


@pytest.fixture
def booking(clinic):
    """Sigrid, activated, on Marte Kvam's list; Marte has ten online times each weekday of next week and the
    week after (and none this week)."""
    patient = listed_patient()
    patient.user = activated_user(patient)
    for name, position, minutes, description in TYPES:
        factories.appointment_type(name, position=position, duration_minutes=minutes, description=description)
    today = timezone.localdate()
    next_monday = today + datetime.timedelta(days=7 - today.weekday())
    factories.schedule(
        patient.gp, next_monday, days=12, blocks=[MORNINGS], weekdays=range(5), type_name="Vanlig konsultasjon"
    )
    return {"patient": patient, "next_monday": next_monday}


def times_in_week(monday: datetime.date) -> int:
    from eportal.booking.models import Slot

    zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(monday, datetime.time.min, tzinfo=zone)
    return Slot.objects.filter(starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=7)).count()


def check_page(page, name: str, screen: str) -> list[str]:
    """Axe and the reflow check on the page shown; its screenshot kept; returns the problems found."""
    page.wait_for_load_state("load")
    shot = save_screenshot(page, f"ledige-tider-{name}-{screen}")
    problems = []
    if violations := run_axe(page):
        problems.append(f"{name} ({screen}, {shot}): axe-core WCAG 2.1 AA violations:\n{format_violations(violations)}")
    if reason := overflow(page):
        problems.append(f"{name} ({screen}, {shot}): scrolls sideways: {reason}")
    return problems


@pytest.mark.parametrize("screen", WIDTHS)
def test_types_and_a_week_of_free_times_are_accessible_and_fit(open_page, live_server, booking, screen):
    origin = live_server.url.rstrip("/")
    page = log_in(open_page, origin, booking["patient"], WIDTHS[screen], bypass_csp=True)
    problems = []

    page.goto(origin + "/timer/bestill/")
    expect(h1(page)).to_have_text("Bestill time")
    cards = main(page).locator(".type-card")
    expect(cards).to_have_count(3)
    names = [card.get_by_role("link").inner_text() for card in cards.all()]
    assert names == ["Vanlig konsultasjon", "Dobbelttime", "Vaksinasjon"]  # the clinic's order
    expect(cards.nth(1)).to_contain_text("40 minutter")
    expect(cards.nth(1)).to_contain_text("når du har flere ting")
    boxes = [card.bounding_box() for card in cards.all()]
    widths = {round(box["width"]) for box in boxes}
    assert len(widths) == 1, f"the type cards differ in width: {boxes}"
    if screen == "mobil":  # one column, the full width less the page's margins
        assert {round(box["x"]) for box in boxes} == {16} and widths.pop() == 375 - 32
    problems += check_page(page, "velg-type", screen)

    main(page).get_by_role("link", name="Vanlig konsultasjon", exact=True).click()
    expect(h1(page)).to_have_text(re.compile(r"^Velg tidspunkt"))
    expect(main(page)).to_contain_text("Det er ingen ledige timer på nett denne uken.")
    expect(main(page).get_by_role("link", name=re.compile(r"^Første ledige time: "))).to_have_count(1)
    problems += check_page(page, "tom-uke", screen)

    main(page).get_by_role("link", name="Neste uke", exact=True).click()
    gp = booking["patient"].gp.full_name
    expect(h1(page)).to_have_text(f"Velg tidspunkt hos {gp}")
    expect(main(page).locator("section.day")).to_have_count(5)
    expect(main(page).locator("a.slot")).to_have_count(times_in_week(booking["next_monday"]))  # 50, less holidays
    expect(main(page).locator("a.slot").first).to_have_text("08:00")  # the GP is named once, in the heading
    page.wait_for_load_state("load")  # measured with the stylesheet applied
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < (2200 if screen == "mobil" else 1600), f"a week of 50 times is {height}px tall on {screen}"
    problems += check_page(page, "uke", screen)

    main(page).locator("a.slot").first.click()
    expect(h1(page)).to_have_text("Bekreft timen")
    problems += check_page(page, "bekreft", screen)

    assert not problems, "\n\n".join(problems)


def test_a_keyboard_user_moves_a_week_on_and_picks_a_time(open_page, live_server, booking):
    from eportal.booking.models import Slot

    origin = live_server.url.rstrip("/")
    page = log_in(open_page, origin, booking["patient"], DESKTOP)
    page.goto(origin + "/timer/bestill/")
    tab_to(page, main(page).get_by_role("link", name="Vanlig konsultasjon", exact=True))
    page.keyboard.press("Enter")
    expect(h1(page)).to_have_text(re.compile(r"^Velg tidspunkt"))

    tab_to(page, main(page).get_by_role("link", name="Neste uke", exact=True))
    page.keyboard.press("Enter")
    year, week, _ = booking["next_monday"].isocalendar()
    expect(page).to_have_url(re.compile(rf"\?uke={year}-W{week:02d}$"))
    expect(main(page)).to_contain_text(f"Uke {week}:")

    first = main(page).locator("a.slot").first
    tab_to(page, first)
    page.keyboard.press("Enter")
    expect(h1(page)).to_have_text("Bekreft timen")
    slot = Slot.objects.order_by("starts_at").first()
    expect(page).to_have_url(re.compile(rf"/timer/bestill/tid/{slot.pk}/$"))
