"""What a patient, and whoever acts for them, is told about an appointment, by SMS and e-mail as each one's
choices say (representation.recipients decides who).

Only the clinic, the day, the time, the cancellation rule and, to someone acting for the patient, the
patient's first name: never the reason or the type, which could tell a condition.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from eportal.clinic.selectors import get_clinic
from eportal.core.clock import local_clock
from eportal.core.public_url import public_url
from eportal.representation.recipients import tell_about


def when(appointment) -> str:
    local = timezone.localtime(appointment.slot.starts_at)
    return f"{formats.date_format(local, 'l j. F')} kl. {local:%H:%M}"


def deadline_rule() -> str:
    return _("Cancel at least %(hours)d hours before, otherwise the clinic may charge a fee of NOK %(fee)s.") % {
        "hours": settings.EPORTAL_CANCEL_DEADLINE_HOURS,
        "fee": settings.EPORTAL_NO_SHOW_FEE_NOK,
    }


def _tell(appointment, subject: str, own: str, for_other: str, values: dict, *, always_sms: bool = False) -> None:
    tell_about(appointment.patient, subject=subject, own=own, for_other=for_other, values=values, always_sms=always_sms)


def booked(appointment) -> None:
    clinic = get_clinic().name
    _tell(
        appointment,
        _("Appointment booked at %(clinic)s") % {"clinic": clinic},
        _("Your appointment at %(clinic)s is booked: %(when)s. %(rule)s"),
        _("The appointment for %(name)s at %(clinic)s is booked: %(when)s. %(rule)s"),
        {"clinic": clinic, "when": when(appointment), "rule": deadline_rule()},
    )


def cancelled(appointment, *, by_clinic: bool = False) -> None:
    """The patient cancelled («avbestilt», the seed's word for it), or the clinic did («avlyst»): subject
    and text use the same word. When the clinic cancels, the patient must call for a new time: with the
    clinic's phone where it has one."""
    clinic = get_clinic()
    phone = clinic.phone.strip()
    subject = _("Appointment called off by %(clinic)s") if by_clinic else _("Appointment cancelled at %(clinic)s")
    if by_clinic and phone:
        own = _("%(clinic)s has had to call off your appointment %(when)s. Call us on %(phone)s to find a new time.")
        for_other = _(
            "%(clinic)s has had to call off the appointment for %(name)s %(when)s. Call us on %(phone)s to find a "
            "new time."
        )
    elif by_clinic:
        own = _("%(clinic)s has had to cancel your appointment %(when)s. Contact us to find a new time.")
        for_other = _(
            "%(clinic)s has had to cancel the appointment for %(name)s %(when)s. Contact us to find a new time."
        )
    else:
        own = _("Your appointment at %(clinic)s %(when)s is cancelled (cancelled %(at)s).")
        for_other = _("The appointment for %(name)s at %(clinic)s %(when)s is cancelled (cancelled %(at)s).")
    at = timezone.localtime(appointment.cancelled_at).strftime("%d.%m.%Y %H:%M")
    _tell(
        appointment,
        subject % {"clinic": clinic.name},
        own,
        for_other,
        {"clinic": clinic.name, "when": when(appointment), "at": at, "phone": phone},
    )


def reminder(appointment) -> None:
    clinic = get_clinic().name
    _tell(
        appointment,
        _("Reminder: appointment at %(clinic)s") % {"clinic": clinic},
        _("Reminder: you have an appointment at %(clinic)s %(when)s. %(rule)s"),
        _("Reminder: %(name)s has an appointment at %(clinic)s %(when)s. %(rule)s"),
        {"clinic": clinic, "when": when(appointment), "rule": deadline_rule()},
    )


def moved(new, old) -> None:
    clinic = get_clinic().name
    _tell(
        new,
        _("Appointment moved at %(clinic)s") % {"clinic": clinic},
        _("Your appointment at %(clinic)s is moved to an earlier time: %(when)s (instead of %(before)s). %(rule)s"),
        _(
            "The appointment for %(name)s at %(clinic)s is moved to an earlier time: %(when)s (instead of "
            "%(before)s). %(rule)s"
        ),
        {"clinic": clinic, "when": when(new), "before": when(old), "rule": deadline_rule()},
    )


def earlier_time_offered(offer) -> None:
    """The patient asked to be told (by SMS) of an earlier time; it is held for them until the offer expires."""
    clinic = get_clinic().name
    link = public_url(reverse("booking:offer", args=[offer.pk]))
    _tell(
        offer.entry.appointment,
        _("An earlier time at %(clinic)s") % {"clinic": clinic},
        _(
            "%(clinic)s: an earlier time is free for you: %(when)s. It is held for you until %(until)s. "
            "Log in to take it: %(link)s"
        ),
        _(
            "%(clinic)s: an earlier time is free for %(name)s: %(when)s. It is held until %(until)s. "
            "Log in to take it: %(link)s"
        ),
        {
            "clinic": clinic,
            "when": when(offer),
            "until": local_clock(offer.expires_at),
            "link": link,
        },
        always_sms=True,
    )
