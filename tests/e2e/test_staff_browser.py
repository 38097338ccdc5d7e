"""The staff workspace in a real browser: a receptionist logs in with password and an authenticator code, reads
a practitioner's day list, looks at the week and the online capacity, and cancels a coming appointment for the
clinic; and every staff page passes axe-core's WCAG 2.1 AA rules on a desktop and a phone and fits a 320 px
screen without sideways scrolling (WCAG 1.4.10 Reflow)."""

import datetime
import re

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from eportal.accounts.models import User
from eportal.booking.models import Appointment
from eportal.booking.services.appointments import book_slot
from eportal.demo.clinic import STAFF_PASSWORD
from eportal.notifications.models import QueuedMessage
from eportal.notifications.services import queue_sms
from tests import factories
from tests.factories import grant_for

from .account_steps import h1, listed_patient, main, staff_password_and_code
from .booking_steps import shown_date
from .browser import SCREENS, PageChecks

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TYPE_NAME = "Vanlig konsultasjon"
CANCELLED = "Timen er avlyst. Pasienten har fått beskjed."


@pytest.fixture
def bookings(clinic):
    """In three days Marte Kvam has 08:00–09:00 online (three 20-minute times) and 09:00–09:40 by phone;
    Sigrid has 08:00 («Vondt i kneet») and Per 08:40 («Kontroll»)."""
    sigrid = listed_patient()
    per = factories.list_patient(sigrid.gp, first_name="Per", last_name="Hansen")
    day = timezone.localdate() + datetime.timedelta(days=3)
    blocks = [(datetime.time(8), datetime.time(9), True), (datetime.time(9), datetime.time(9, 40), False)]
    slots = factories.schedule(sigrid.gp, day, blocks=blocks, type_name=TYPE_NAME)
    sigrids = book_slot(grant=grant_for(sigrid), slot_id=slots[0].pk, reason="Vondt i kneet")
    book_slot(grant=grant_for(per), slot_id=slots[2].pk, reason="Kontroll")
    return {"gp": sigrid.gp, "day": day, "patient": sigrid, "appointment": sigrids}


@pytest.fixture
def staff(transactional_db):
    """A receptionist: staff (not a superuser) with the day list's two permissions and an authenticator app."""
    user = User.objects.create_user("anne", password=STAFF_PASSWORD, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="booking", codename__in=["view_appointment", "change_appointment"]
        )
    )
    TOTPDevice.objects.create(user=user, name="telefon", confirmed=True)
    return user


def staff_log_in(page: Page, staff) -> None:
    """Username, password and the authenticator app's code on /personale/logg-inn/; ends on the day list."""
    staff_password_and_code(page, staff)
    expect(page).to_have_url(re.compile(r"/personale/dagsliste/$"))
    expect(h1(page)).to_contain_text("Dagsliste")


def show(page: Page, day: datetime.date, practitioner=None) -> None:
    """Choose the date (and the practitioner) in the filter form and click «Vis»."""
    if practitioner is not None:
        page.get_by_label("Behandler", exact=True).select_option(label=practitioner.full_name)
    page.get_by_label("Dato", exact=True).fill(day.isoformat())
    page.get_by_role("button", name="Vis", exact=True).click()


def staff_nav(page: Page):
    return page.get_by_role("navigation", name="Personalets sider")


def row(page: Page, text: str):
    """The table row that shows this text."""
    return main(page).get_by_role("row").filter(has_text=text)


def test_staff_read_the_day_list_week_and_capacity_and_cancel_for_the_clinic(open_page, bookings, staff):
    gp, day = bookings["gp"], bookings["day"]
    day_list_heading = f"Dagsliste: {gp.full_name}, {shown_date(day)}"

    page = open_page("/personale/logg-inn/")
    staff_log_in(page, staff)
    expect(staff_nav(page).get_by_role("link", name="Dagsliste", exact=True)).to_have_attribute("aria-current", "page")

    # The day list of the day with bookings, chosen by practitioner and date.
    show(page, day, gp)
    expect(page).to_have_url(re.compile(r"/personale/dagsliste/\?"))
    expect(h1(page)).to_have_text(day_list_heading)
    expect(main(page)).to_contain_text("2 av 5 timer er bestilt.")
    sigrid = row(page, "08:00–08:20")
    expect(sigrid).to_contain_text("Sigrid Bakken")
    expect(sigrid).to_contain_text(bookings["patient"].national_id)
    expect(sigrid).to_contain_text(TYPE_NAME)
    expect(sigrid).to_contain_text("Vondt i kneet")
    expect(row(page, "08:20–08:40")).to_contain_text("Ledig (nett)")
    expect(row(page, "08:40–09:00")).to_contain_text("Per Hansen")
    expect(row(page, "08:40–09:00")).to_contain_text("Kontroll")
    expect(row(page, "09:00–09:20")).to_contain_text("Ledig (telefon)")

    # «Belegg»: the online times of the coming weeks, booked and free.
    staff_nav(page).get_by_role("link", name="Belegg", exact=True).click()
    expect(page).to_have_url(re.compile(r"/personale/belegg/$"))
    expect(h1(page)).to_have_text("Bestilte og ledige nettimer")
    expect(main(page).locator("tbody tr")).to_have_count(1)
    expect(row(page, shown_date(day, "D j. F")).locator("td")).to_have_text(["2", "1", ""])

    # «Uke»: booked of all times per practitioner and day; the count leads to that day list.
    staff_nav(page).get_by_role("link", name="Uke", exact=True).click()
    expect(page).to_have_url(re.compile(r"/personale/uke/$"))
    expect(staff_nav(page).get_by_role("link", name="Uke", exact=True)).to_have_attribute("aria-current", "page")
    show(page, day)
    week = day.isocalendar()
    expect(h1(page)).to_have_text(f"Uke {week.week}, {week.year}")
    expect(row(page, gp.full_name).get_by_role("link")).to_have_text(["2 av 5"])
    row(page, gp.full_name).get_by_role("link", name="2 av 5", exact=True).click()
    expect(h1(page)).to_have_text(day_list_heading)

    # Cancel Sigrid's time for the clinic: a confirmation page first.
    main(page).get_by_role("link", name="Avlys timen 08:00", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/personale/timer/{bookings['appointment'].pk}/avlys/$"))
    expect(h1(page)).to_have_text("Avlys timen")
    facts = main(page).locator("dl.facts")
    expect(facts).to_contain_text(f"{shown_date(day)} kl. 08:00")
    expect(facts).to_contain_text(gp.full_name)
    expect(facts).to_contain_text("Sigrid Bakken")
    page.get_by_role("button", name="AVLYS TIMEN", exact=True).click()

    # Back on the day list, with the receipt; the time is free again and Per's is untouched.
    expect(h1(page)).to_have_text(day_list_heading)
    expect(page.get_by_role("status")).to_have_text(CANCELLED)
    expect(main(page)).to_contain_text("1 av 5 timer er bestilt.")
    expect(row(page, "08:00–08:20")).to_contain_text("Ledig (nett)")
    expect(main(page).get_by_role("link", name="Avlys timen 08:00", exact=True)).to_have_count(0)
    expect(row(page, "08:40–09:00")).to_contain_text("Per Hansen")
    appointment = Appointment.objects.get(pk=bookings["appointment"].pk)
    assert appointment.cancelled_at is not None
    assert appointment.cancelled_by_id == staff.pk
    assert Appointment.objects.filter(cancelled_at__isnull=True).count() == 1


@pytest.mark.parametrize("screen", SCREENS)
def test_staff_pages_are_accessible_and_fit_the_screen(open_page, bookings, staff, screen):
    gp, day = bookings["gp"], bookings["day"]
    check = PageChecks(screen, prefix="personale")

    page = open_page("/personale/logg-inn/", SCREENS[screen][0], bypass_csp=True)
    check("logg-inn", page)
    staff_log_in(page, staff)

    show(page, day, gp)
    expect(main(page)).to_contain_text("2 av 5 timer er bestilt.")
    check("dagsliste", page)

    staff_nav(page).get_by_role("link", name="Uke", exact=True).click()
    show(page, day)
    expect(main(page).get_by_role("link", name="2 av 5", exact=True)).to_be_visible()
    check("uke", page)

    staff_nav(page).get_by_role("link", name="Belegg", exact=True).click()
    expect(h1(page)).to_have_text("Bestilte og ledige nettimer")
    check("belegg", page)

    page.goto(page.url.split("/personale/")[0] + f"/personale/timer/{bookings['appointment'].pk}/avlys/")
    expect(h1(page)).to_have_text("Avlys timen")
    check("avlys", page)

    page.get_by_role("button", name="AVLYS TIMEN", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(CANCELLED)
    check("avlyst", page)

    undelivered_notice()
    staff.user_permissions.add(Permission.objects.get(codename="change_queuedmessage"))
    page.reload()  # the menu shows the page to staff with the permission
    staff_nav(page).get_by_role("link", name="Varsler som ikke kom fram", exact=True).click()
    expect(main(page).get_by_role("button", name="Send på nytt")).to_be_visible()
    check("varsler", page)

    check.assert_clean("staff")


def undelivered_notice() -> QueuedMessage:
    """An SMS notice the gateway refused for a day: given up, for staff."""
    queue_sms(to="+4791000123", text="Du har en ny melding i e-portalen.")
    QueuedMessage.objects.update(status="failed", attempts=9, gave_up_at=timezone.now(), last_error="HTTP 503")
    return QueuedMessage.objects.get()


def test_staff_find_a_notice_that_did_not_arrive_and_send_it_again(open_page, bookings, staff):
    notice = undelivered_notice()
    staff.user_permissions.add(Permission.objects.get(codename="change_queuedmessage"))
    page = open_page("/personale/logg-inn/")
    staff_log_in(page, staff)
    staff_nav(page).get_by_role("link", name="Varsler som ikke kom fram", exact=True).click()
    expect(h1(page)).to_have_text("Varsler som ikke kom fram")
    notice_row = row(page, "+4791000123")
    expect(notice_row).to_contain_text("Du har en ny melding i e-portalen.")
    expect(notice_row).to_contain_text("SMS-leverandøren svarte med feil (HTTP 503)")
    notice_row.get_by_role("button", name="Send på nytt", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Varselet er lagt i kø igjen.")
    expect(main(page)).to_contain_text("Alle varsler har kommet fram")
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == ("waiting", 0)
