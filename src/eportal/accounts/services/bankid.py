"""Login and first registration with BankID (or ID-porten): the person the provider identified, checked
against the clinic's list. Every refusal on the way is audited here."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.clinic.selectors import get_clinic, listed_patient, registered_mobiles
from eportal.core.actor import Actor

from .. import oidc
from ..errors import AccountError
from ..models import User
from ..oidc import Identity, OidcError
from ..selectors import account_of
from .account_mail import EMAIL_CONFIRMATION, queue_account_email
from .sessions import record_failed_login


def start_login(*, actor: Actor, redirect_uri: str, level: str, next_url: str) -> tuple[str, dict]:
    """Where to send the browser, and the pending login the caller keeps for it (oidc.authorization_url).
    A logged-in actor is stepping up."""
    purpose = "step_up" if actor.is_authenticated else "login"
    try:
        return oidc.authorization_url(redirect_uri=redirect_uri, purpose=purpose, level=level, next_url=next_url)
    except OidcError as exc:
        record_failed_login(actor, factor="bankid", reason=exc.reason)
        raise


def complete_login(*, actor: Actor, pending: dict | None, params) -> tuple[Identity, User | None]:
    """The person BankID identified and the account to log in, or None when they are listed but have no
    account yet (the caller then shows the short «Mine opplysninger»). A step-up must be the same person."""
    try:
        identity = oidc.complete(pending, params)
    except OidcError as exc:
        record_failed_login(actor, factor="bankid", reason=exc.reason)
        raise
    if pending["purpose"] == "step_up" and (actor.user is None or actor.user.national_id != identity.national_id):
        raise _refuse(
            actor, "step_up_other_person", _("You logged in with BankID as another person. Log in again."), actor.user
        )
    user = account_of(identity.national_id)
    listed = listed_patient(identity.national_id) is not None
    if user is not None and user.is_active:
        if not listed:
            raise _refuse(actor, "not_on_list", _("You are no longer on the clinic's list. Contact the clinic."), user)
        return identity, user
    if not listed:
        raise _refuse(
            actor,
            "not_on_list",
            _("Only patients whose GP is at %(clinic)s can create a user.") % {"clinic": get_clinic().name},
        )
    return identity, None


def _refuse(actor: Actor, reason: str, message: str, user: User | None = None) -> OidcError:
    record_failed_login(actor, factor="bankid", reason=reason, user=user)
    return OidcError(message, reason)


@transaction.atomic
def register_with_bankid(*, actor: Actor, national_id: str, email: str, mobile: str, password: str) -> User:
    """Create the active account of the person BankID identified (`national_id`, from the verified login);
    the e-mail is confirmed by link. The caller logs the new account in."""
    patient = listed_patient(national_id)
    if patient is None:
        raise AccountError(
            _("Only patients whose GP is at %(clinic)s can create a user.") % {"clinic": get_clinic().name}
        )
    if mobile not in registered_mobiles(patient, day=timezone.localdate()):
        raise AccountError(
            _("The mobile number is not the one the clinic has registered. Contact the clinic if you are unsure.")
        )
    user = account_of(national_id) or User(username=national_id, national_id=national_id)
    if user.pk and user.is_active:
        raise AccountError(_("You already have a user. Log in."))
    user.email, user.pending_email, user.is_active = "", email, True
    user.code_mobile, user.date_joined = mobile, timezone.now()  # where codes go (selectors.sms_route)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.consent_version, user.consent_given_at = settings.EPORTAL_CONSENT_VERSION, timezone.now()
    user.save()
    record_event(
        "account_created", actor=actor.acting_as(user), subject_national_id=national_id, details={"factor": "bankid"}
    )
    queue_account_email(EMAIL_CONFIRMATION, user)
    return user
