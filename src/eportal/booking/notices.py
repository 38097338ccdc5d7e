"""What a patient is told about an appointment, by SMS and e-mail as their choices say.

Only the clinic, the day, the time and the cancellation rule: never the reason or the type, which
could tell a condition.
"""

from urllib.parse import urljoin

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from eportal.accounts.selectors import account_of
from eportal.clinic.selectors import get_clinic, registered_mobiles
from eportal.notifications.services import queue_email, queue_sms


def when(appointment) -> str:
    local = timezone.localtime(appointment.slot.starts_at)
    return f"{formats.date_format(local, 'l j. F')} kl. {local:%H:%M}"


def deadline_rule() -> str:
    return _("Cancel at least %(hours)d hours before, otherwise the clinic may charge a fee of NOK %(fee)s.") % {
        "hours": settings.EPORTAL_CANCEL_DEADLINE_HOURS,
        "fee": settings.EPORTAL_NO_SHOW_FEE_NOK,
    }


def _tell(appointment, subject: str, text: str, *, always_sms: bool = False) -> None:
    patient = appointment.patient
    user = account_of(patient.national_id, active=True)
    if user is None:
        return
    if user.notify_by_email and user.email:
        queue_email(to=user.email, subject=subject, body=text)
    mobiles = registered_mobiles(patient)
    if (user.notify_by_sms or always_sms) and mobiles:
        queue_sms(to=mobiles[0], text=text, user=user)


def booked(appointment) -> None:
    clinic = get_clinic().name
    _tell(
        appointment,
        _("Appointment booked at %(clinic)s") % {"clinic": clinic},
        _("Your appointment at %(clinic)s is booked: %(when)s. %(rule)s")
        % {"clinic": clinic, "when": when(appointment), "rule": deadline_rule()},
    )


def cancelled(appointment, *, by_clinic: bool = False) -> None:
    clinic = get_clinic().name
    text = (
        _("%(clinic)s has had to cancel your appointment %(when)s. Contact us to find a new time.")
        if by_clinic
        else _("Your appointment at %(clinic)s %(when)s is cancelled (cancelled %(at)s).")
    )
    at = timezone.localtime(appointment.cancelled_at).strftime("%d.%m.%Y %H:%M")
    _tell(
        appointment,
        _("Appointment cancelled at %(clinic)s") % {"clinic": clinic},
        text % {"clinic": clinic, "when": when(appointment), "at": at},
    )


def reminder(appointment) -> None:
    clinic = get_clinic().name
    _tell(
        appointment,
        _("Reminder: appointment at %(clinic)s") % {"clinic": clinic},
        _("Reminder: you have an appointment at %(clinic)s %(when)s. %(rule)s")
        % {"clinic": clinic, "when": when(appointment), "rule": deadline_rule()},
    )


def _clock(moment) -> str:
    """'14:30' today, or with the day when it is not today (a hold may run past midnight)."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return f"{formats.date_format(local, 'l j. F')} {local:%H:%M}"


def moved(new, old) -> None:
    clinic = get_clinic().name
    _tell(
        new,
        _("Appointment moved at %(clinic)s") % {"clinic": clinic},
        _("Your appointment at %(clinic)s is moved to an earlier time: %(when)s (instead of %(before)s). %(rule)s")
        % {"clinic": clinic, "when": when(new), "before": when(old), "rule": deadline_rule()},
    )


def earlier_time_offered(offer) -> None:
    """The patient asked to be told (by SMS) of an earlier time; it is held for them until the offer expires."""
    clinic = get_clinic().name
    link = urljoin(settings.EPORTAL_PUBLIC_URL, reverse("booking:offer", args=[offer.pk]))
    _tell(
        offer.entry.appointment,
        _("An earlier time at %(clinic)s") % {"clinic": clinic},
        _(
            "%(clinic)s: an earlier time is free for you: %(when)s. It is held for you until %(until)s. "
            "Log in to take it: %(link)s"
        )
        % {
            "clinic": clinic,
            "when": when(offer),
            "until": _clock(offer.expires_at),
            "link": link,
        },
        always_sms=True,
    )
