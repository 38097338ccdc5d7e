"""Changes the person makes to their account: password, e-mail (confirmed by a link) and notice choices.
The mobile is the clinic's and cannot be changed here."""

from django.db import transaction
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.core.actor import HIGH, Actor
from eportal.notifications.services import queue_email

from ..errors import AccountError
from ..models import User
from ..tokens import email_change_token
from .account_mail import EMAIL_CONFIRMATION, person_mail_allowed, queue_account_email
from .codes import close_open_codes
from .registration import bad_link
from .sessions import end_all_sessions


def notify_credential_change(user: User, what: str) -> None:
    queue_email(
        to=user.email,
        subject=_("Your user in the e-portal was changed"),
        body=_(
            "%(what)s If this was not you, contact the clinic at once, and log in with BankID to change your password."
        )
        % {"what": what},
    )


@transaction.atomic
def change_password(*, actor: Actor, current: str, new_password: str, keep_session_key: str) -> None:
    """Needs the current password, or a high-level (BankID) login: so a patient whose account someone
    else registered first can take it back with BankID. Every other session of the account ends."""
    user = actor.user
    if not actor.meets(HIGH) and not user.check_password(current):
        raise AccountError(_("The current password is wrong."))
    user.set_password(new_password)
    user.save(update_fields=["password"])
    close_open_codes(user)
    end_all_sessions(user, except_key=keep_session_key)
    record_event("password_changed", actor=actor)
    notify_credential_change(user, _("Your password in the e-portal was changed."))


@transaction.atomic
def request_email_change(*, actor: Actor, password: str, new_email: str) -> None:
    """The new address gets a link; it takes effect when the link is used. Needs the password, or a
    high-level (BankID) login, now."""
    user = actor.user
    if not actor.meets(HIGH) and not user.check_password(password):
        raise AccountError(_("The password is wrong."))
    if not person_mail_allowed(user.national_id):
        raise AccountError(_("Too many e-mails have been sent. Wait a while and try again."), code="mail_limit")
    user.pending_email = new_email
    user.save(update_fields=["pending_email"])
    queue_account_email(EMAIL_CONFIRMATION, user)
    record_event("email_change_requested", actor=actor)


def email_change_link_works(user: User | None, token: str) -> bool:
    """The one check of an e-mail change link: an address waiting, and a token made for the account's state now."""
    return user is not None and bool(user.pending_email) and email_change_token.check(user, token)


@transaction.atomic
def confirm_email_change(*, actor: Actor, user: User | None, token: str) -> None:
    if not email_change_link_works(user, token):
        raise bad_link()
    old = user.email
    user.email, user.pending_email = user.pending_email, ""
    user.save(update_fields=["email", "pending_email"])
    record_event("email_changed", actor=actor.acting_as(user))
    if old:
        queue_email(
            to=old,
            subject=_("Your user in the e-portal was changed"),
            body=_(
                "The e-mail address of your user in the e-portal was changed. If this was not you, contact the clinic."
            ),
        )


def update_notice_preferences(*, actor: Actor, by_sms: bool, by_email: bool) -> None:
    user = actor.user
    user.notify_by_sms, user.notify_by_email = by_sms, by_email
    user.save(update_fields=["notify_by_sms", "notify_by_email"])
    record_event("consent_changed", actor=actor, details={"sms": by_sms, "email": by_email})
