"""E-mails whose link acts on the account: activation, a new password, a new e-mail address.

The worker writes them. The job holds the kind and the account's id; the link (a token over the account's
state, under EPORTAL_PUBLIC_URL) is made while the e-mail is sent, so no working link is ever stored. Every
e-mail about a person's account is capped per person per hour and per day, whichever addresses ask for it
(person_mail_allowed), besides the limits per client network (request_dropped).
"""

from django.conf import settings
from django.utils.translation import gettext as _
from django_tasks import task

from eportal.audit.services import record_event
from eportal.clinic.selectors import get_clinic
from eportal.core.actor import Actor, system_actor
from eportal.core.throttle import capped, throttled
from eportal.notifications.tasks import NotDelivered, send_email_now, try_again_later

from ..links import link
from ..models import User
from ..tokens import activation_token, email_change_token, reset_token

ACTIVATION = "activation"
RESET = "reset"
EMAIL_CONFIRMATION = "email_confirmation"


def person_mail_allowed(national_id: str) -> bool:
    """Count one more e-mail for this person; False once past the hourly or the daily cap."""
    per_hour = capped("account-mail-hour", national_id, limit=settings.EPORTAL_MAIL_CAP_PERSON_HOUR, seconds=3600)
    per_day = capped("account-mail-day", national_id, limit=settings.EPORTAL_MAIL_CAP_PERSON_DAY, seconds=86400)
    return not (per_hour or per_day)


def request_dropped(actor: Actor, scope: str, national_id: str) -> bool:
    """Whether to drop a request for an e-mail about `national_id` (a reset, a new activation link): one client
    network may ask 10 times an hour, 3 of them for one number, and the person's own caps must allow it."""
    return (
        throttled(actor, scope, limit=10, seconds=3600)
        or throttled(actor, f"{scope}-number", limit=3, seconds=3600, key=national_id)
        or not person_mail_allowed(national_id)
    )


def queue_account_email(kind: str, user: User | None) -> None:
    """Queue the e-mail of `kind` for `user`. With no user the job sends nothing: asking costs the same work
    whether or not an account was found."""
    send_account_email.enqueue(kind=kind, user_id=user.pk if user else None)


def _activation(user: User) -> tuple[str, str, str] | None:
    if user.is_active:
        return None
    clinic = get_clinic().name
    subject = _("Activate your user in the e-portal of %(clinic)s") % {"clinic": clinic}
    body = _(
        "Hello,\n\nClick the link to activate your user of the e-portal of %(clinic)s:\n%(link)s\n\n"
        "The link works once and for 48 hours. If you did not ask for this, ignore this e-mail."
    ) % {"clinic": clinic, "link": link("accounts:activate", user, activation_token)}
    return user.email, subject, body


def _reset(user: User) -> tuple[str, str, str] | None:
    if not user.is_active:
        return None
    body = _(
        "Click the link to choose a new password for the e-portal of %(clinic)s:\n%(link)s\n\n"
        "You will also get a code by SMS. The link works once and for 1 hour. If you did not ask for this, "
        "ignore this e-mail."
    ) % {"clinic": get_clinic().name, "link": link("accounts:reset", user, reset_token)}
    return user.email, _("New password for the e-portal"), body


def _email_confirmation(user: User) -> tuple[str, str, str] | None:
    """A link to user.pending_email; the address is used only once the link has been followed."""
    if not user.pending_email:
        return None
    body = _("Click the link to use this e-mail address in the e-portal of %(clinic)s:\n%(link)s") % {
        "clinic": get_clinic().name,
        "link": link("accounts:confirm-email", user, email_change_token),
    }
    return user.pending_email, _("Confirm your new e-mail address"), body


_WRITERS = {ACTIVATION: _activation, RESET: _reset, EMAIL_CONFIRMATION: _email_confirmation}


@task()
def send_account_email(*, kind: str, user_id: int | None, attempt: int = 1) -> None:
    """The worker's half: write the e-mail for the account as it is now, and send it. A mail server that
    refuses gets it again later, with a new link (notifications.tasks.try_again_later)."""
    user = User.objects.filter(pk=user_id).first() if user_id else None
    email = _WRITERS[kind](user) if user is not None else None
    if email is None or not email[0]:
        return
    to, subject, body = email
    try:
        send_email_now(to=to, subject=subject, body=body)
    except NotDelivered:
        if try_again_later(send_account_email, attempt, kind=kind, user_id=user_id):
            return
        raise
    if kind == RESET:
        record_event("password_reset_requested", actor=system_actor(user))
