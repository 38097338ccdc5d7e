"""«Bestill time» as a Norwegian patient expects it: the types in the clinic's order with their duration and a
short description, the free times a week at a time («Forrige uke» / «Neste uke», ?uke=2026-W50), the first free
time when a week has none, and the limit on future bookings said before the patient chooses anything."""

import datetime
import re

import pytest
from django.utils import formats, timezone, translation

from eportal.booking.models import Appointment, AppointmentType, Slot, WaitlistOffer
from eportal.booking.services.appointments import book_slot
from eportal.clinic.models import Practitioner
from tests import factories
from tests.accounts_fixtures import act_for
from tests.factories import grant_for
from tests.test_staff_pages import staff, staff_client  # noqa: F401 - fixtures

MORNING = (datetime.time(8), datetime.time(9), True)  # three 20-minute online times
CONFIRM = re.compile(r'href="/timer/bestill/tid/(\d+)/"')
LIMIT = "Du har allerede 2 fremtidige timer bestilt på nett"


def monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def iso_week(day: datetime.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def shown_ids(html: str) -> list[int]:
    return [int(pk) for pk in CONFIRM.findall(html)]


@pytest.fixture
def this_monday():
    return monday(timezone.localdate())


@pytest.fixture
def weeks(family, this_monday):
    """The GP's morning times on one open day (Friday, or the last weekday before it the clinic is open) of this
    week if still ahead, of next week and of the week after; returns {week offset: slot ids}."""
    found = {}
    for offset in (0, 1, 2):
        day = factories.open_day_in_week(this_monday + datetime.timedelta(days=7 * offset))
        if day is None:
            found[offset] = []
            continue
        factories.schedule(family["gp"], day, blocks=[MORNING])
        start, end = (
            datetime.datetime.combine(moment, datetime.time.min, tzinfo=timezone.get_default_timezone())
            for moment in (day, day + datetime.timedelta(days=1))
        )
        found[offset] = list(
            Slot.objects.filter(starts_at__gte=start, starts_at__lt=end)
            .order_by("starts_at")
            .values_list("pk", flat=True)
        )
    return found


def week_page(client, type_id, value=None):
    url = f"/timer/bestill/{type_id}/" + (f"?uke={value}" if value is not None else "")
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def consultation():
    return AppointmentType.objects.get(name="Vanlig konsultasjon")


# The types ----------------------------------------------------------------------------------------------


def test_types_come_in_the_clinics_order_with_duration_and_description(logged_in, family):
    factories.appointment_type("Vaksinasjon", position=30, duration_minutes=15, description="Hos sykepleier.")
    factories.appointment_type("Dobbelttime", position=20, duration_minutes=40, description="Når du trenger mer tid.")
    factories.appointment_type("Vanlig konsultasjon", position=10, description="For én ting.")
    factories.appointment_type("Akutt", position=5, shown_to_patients=False)
    html = logged_in.get("/timer/bestill/").content.decode()
    names = re.findall(r'<a class="type-name" href="/timer/bestill/\d+/"[^>]*>([^<]+)</a>', html)
    assert names == ["Vanlig konsultasjon", "Dobbelttime", "Vaksinasjon"]  # not alphabetical, no staff-only type
    assert "40 minutter" in html and "Når du trenger mer tid." in html and "15 minutter" in html
    # The duration and the description describe the link, so a screen reader reads them with the name.
    dobbel = AppointmentType.objects.get(name="Dobbelttime")
    assert f'aria-describedby="type-{dobbel.pk}"' in html and f'id="type-{dobbel.pk}"' in html


def test_the_admin_and_its_booking_models_are_norwegian(staff_client):  # noqa: F811
    with translation.override("nb"):
        names = {
            model.__name__: str(model._meta.verbose_name_plural).capitalize()
            for model in (AppointmentType, Slot, Appointment, WaitlistOffer)
        }
        fields = [str(AppointmentType._meta.get_field(name).verbose_name) for name in ("position", "description")]
    assert names == {
        "AppointmentType": "Timetyper",
        "Slot": "Tider",
        "Appointment": "Timeavtaler",
        "WaitlistOffer": "Tilbud fra venteliste",
    }
    assert fields == ["rekkefølge", "beskrivelse"]
    factories.appointment_type("Vanlig konsultasjon", description="For én ting.")
    html = staff_client.get("/personale/admin/booking/appointmenttype/").content.decode()
    assert "Rekkefølge" in html and "Beskrivelse" in html and "For én ting." in html


# The week of free times ----------------------------------------------------------------------------------


def test_the_page_shows_one_week_and_steps_to_the_next_and_back(logged_in, family, weeks, this_monday):
    type_id = consultation().pk
    this_week = week_page(logged_in, type_id)
    next_week = iso_week(this_monday + datetime.timedelta(days=7))
    assert f'href="?uke={next_week}"' in this_week and "Neste uke" in this_week
    assert "Forrige uke" not in this_week  # nothing before this week can be booked
    if weeks[0]:
        assert shown_ids(this_week) == weeks[0]
    following = week_page(logged_in, type_id, next_week)
    assert shown_ids(following) == weeks[1]
    assert f'href="?uke={iso_week(this_monday)}"' in following and "Forrige uke" in following
    day = factories.open_day_in_week(this_monday + datetime.timedelta(days=7))
    with translation.override("nb"):
        heading = formats.date_format(day, "l j. F")
    assert f'<h2 id="day-{day.isoweekday()}">{heading}</h2>' in following  # days are headings: «fredag 18. desember»
    number = (this_monday + datetime.timedelta(days=7)).isocalendar()[1]
    assert f"Uke {number}:" in following


def test_one_gp_is_named_once_in_the_heading(logged_in, family, weeks, this_monday):
    html = week_page(logged_in, consultation().pk, iso_week(this_monday + datetime.timedelta(days=7)))
    gp = family["gp"].full_name
    assert f"<h1>Velg tidspunkt hos {gp}</h1>" in html
    assert html.count(gp) == 1  # not by every time


def test_times_with_several_practitioners_name_each_one(logged_in, family, this_monday):
    nurses = [
        factories.practitioner(hpr, first_name=first, last_name="Sykepleier", role=Practitioner.Role.NURSE)
        for hpr, first in (("9200001", "Nina"), ("9200002", "Siri"))
    ]
    day = factories.open_day_in_week(this_monday + datetime.timedelta(days=7))
    for nurse in nurses:
        factories.schedule(nurse, day, blocks=[MORNING], type_name="Blodprøve", practitioner_role="nurse")
    html = week_page(logged_in, AppointmentType.objects.get(name="Blodprøve").pk, iso_week(day))
    assert "<h1>Velg tidspunkt</h1>" in html
    assert html.count("Nina Sykepleier") == 3 and html.count("Siri Sykepleier") == 3


def test_a_week_without_times_leads_to_the_first_free_time(logged_in, family, weeks, this_monday):
    type_id = consultation().pk
    first = Slot.objects.get(pk=weeks[1][0])
    taken = book_slot(grant=grant_for(factories.list_patient(family["gp"])), slot_id=first.pk, reason="x")
    assert taken.slot_id == first.pk
    later = iso_week(this_monday + datetime.timedelta(days=21))  # a week with no times at all
    html = week_page(logged_in, type_id, later)
    assert "Det er ingen ledige timer på nett denne uken." in html
    expected = weeks[0][0] if weeks[0] else weeks[1][1]
    starts = timezone.localtime(Slot.objects.get(pk=expected).starts_at)
    assert shown_ids(html) == [expected]
    assert f"kl. {starts:%H:%M}</a>" in html and "Første ledige time: " in html
    assert f'href="?uke={iso_week(starts.date())}"' in html  # and to its week


def test_no_free_times_at_all_says_call_the_clinic(logged_in, family):
    factories.appointment_type("Vanlig konsultasjon")
    html = week_page(logged_in, consultation().pk)
    assert "Det er ingen ledige timer på nett de neste ukene. Ring legekontoret." in html
    assert not shown_ids(html)


BAD_WEEKS = ["abc", "2026-W54", "2026-W00", "2026-W5", "99999-W01", "2026-12-07", "-1", "2026-W50x", "ｕ"]


@pytest.mark.parametrize("value", BAD_WEEKS)
def test_a_bad_week_shows_this_week_with_a_message(logged_in, family, weeks, this_monday, value):
    html = week_page(logged_in, consultation().pk, value)
    assert "Vi forstod ikke hvilken uke du ba om. Her er denne uken." in html
    assert f"Uke {this_monday.isocalendar()[1]}:" in html and "Forrige uke" not in html


def test_a_past_week_shows_this_week(logged_in, family, weeks, this_monday):
    for value in ("2020-W01", "0001-W01", iso_week(this_monday - datetime.timedelta(days=7))):
        html = week_page(logged_in, consultation().pk, value)
        assert "Den uken er passert. Her er denne uken." in html
        assert f"Uke {this_monday.isocalendar()[1]}:" in html


def test_a_week_more_than_a_year_ahead_shows_the_last_week_without_a_next(logged_in, family, weeks, this_monday):
    last = monday(timezone.localdate() + datetime.timedelta(days=366))
    for value in ("9999-W52", iso_week(last + datetime.timedelta(days=7))):
        html = week_page(logged_in, consultation().pk, value)
        assert "Vi viser timer inntil ett år fram. Her er den siste uken vi viser." in html
        assert f"Uke {last.isocalendar()[1]}:" in html and "Neste uke" not in html and "Forrige uke" in html
    html = week_page(logged_in, consultation().pk, iso_week(last))
    assert "Vi viser timer" not in html and "Neste uke" not in html


def test_the_week_keeps_the_rule_of_which_times_may_be_booked(logged_in, family, weeks, this_monday):
    """Another GP's times and times not released online stay out of the week, as they did from the list."""
    day = factories.open_day_in_week(this_monday + datetime.timedelta(days=7))
    other = factories.practitioner("9100022", first_name="Per", last_name="Lien")
    factories.schedule(other, day, blocks=[MORNING])
    factories.schedule(family["gp"], day, blocks=[(datetime.time(12), datetime.time(13), False)])
    html = week_page(logged_in, consultation().pk, iso_week(day))
    assert shown_ids(html) == weeks[1]
    assert "Per Lien" not in html


# The limit on future bookings, up front -------------------------------------------------------------------


def fill_up(patient, slot_ids):
    for slot_id in slot_ids[:2]:
        book_slot(grant=grant_for(patient), slot_id=slot_id, reason="x")


def test_the_limit_is_said_on_the_type_and_time_pages_before_choosing(logged_in, family, weeks, settings):
    settings.EPORTAL_BOOKING_MAX_FUTURE = 2
    type_id = consultation().pk
    free = weeks[1] + weeks[2]
    fill_up(family["kari"], free)
    for url in ("/timer/bestill/", f"/timer/bestill/{type_id}/"):
        html = logged_in.get(url).content.decode()
        assert LIMIT in html and 'href="/timer/"' in html and ">Mine timer</a>" in html
        assert not shown_ids(html) and 'href="/timer/bestill/' + str(type_id) not in html
    # The confirm page offers no form; posting is still refused by the service.
    confirm = logged_in.get(f"/timer/bestill/tid/{free[2]}/")
    assert confirm.status_code == 400 and LIMIT in confirm.content.decode()
    assert "BESTILL TIME" not in confirm.content.decode()
    refused = logged_in.post(f"/timer/bestill/tid/{free[2]}/", {"reason": "x"})
    assert refused.status_code == 400 and LIMIT in refused.content.decode()
    assert Appointment.objects.filter(patient=family["kari"]).count() == 2
    # One cancelled: the pages offer types and times again.
    Appointment.objects.filter(patient=family["kari"]).first().delete()
    assert LIMIT not in logged_in.get("/timer/bestill/").content.decode()
    assert shown_ids(week_page(logged_in, type_id, iso_week(Slot.objects.get(pk=free[2]).starts_at.date())))


def test_the_limit_counts_the_person_acted_for(logged_in, family, weeks, settings):
    settings.EPORTAL_BOOKING_MAX_FUTURE = 2
    fill_up(family["emma"], weeks[1] + weeks[2])
    assert LIMIT not in logged_in.get("/timer/bestill/").content.decode()  # Kari herself may book
    assert act_for(logged_in, family["emma"].pk).status_code == 302
    assert LIMIT in logged_in.get("/timer/bestill/").content.decode()
