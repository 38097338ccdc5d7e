"""Registration («Mine opplysninger», OPPRETT NY BRUKER), activation by e-mail link, and a new link.

The account keeps the mobile its registration was accepted with (User.code_mobile): for a child, the guardian's
registered on the child, where its codes go (accounts.selectors.sms_route). From 16 the young person registers
anew with their own mobile, which replaces an account made for them as a child."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.clinic.selectors import get_clinic, listed_patient, registered_mobiles
from eportal.core.actor import Actor
from eportal.core.throttle import throttled
from eportal.notifications.services import queue_email

from ..errors import AccountError
from ..models import User
from ..selectors import account_of, made_for_a_child
from ..tokens import activation_token
from .account_mail import ACTIVATION, person_mail_allowed, queue_account_email, request_dropped
from .sessions import end_all_sessions


def bad_link() -> AccountError:
    """The one answer to a link that does not work, whatever the reason."""
    return AccountError(_("The link has been used, has expired or is not complete."), code="bad_link")


@transaction.atomic
def register_account(*, actor: Actor, national_id: str, email: str, mobile: str, password: str) -> None:
    """Create an inactive account and send the activation link, if the person is on the list and the
    mobile is one the clinic registered on them. The caller shows the same page whatever happened."""
    if throttled(actor, "registration", limit=20, seconds=3600) or not person_mail_allowed(national_id):
        return  # a flood from one address, or for one person from many, is dropped unhashed; the page says the same
    hashed = make_password(password)  # on every other path, so the answer takes as long whatever happened
    today = timezone.localdate()
    patient = listed_patient(national_id)
    existing = account_of(national_id)
    if patient is None:
        record_event("registration_not_on_list", actor=actor)
        return
    if mobile not in registered_mobiles(patient, day=today):
        record_event("registration_mobile_mismatch", actor=actor, subject_national_id=national_id)
        if patient.email:
            queue_email(
                to=patient.email,
                subject=_("About your registration in the e-portal"),
                body=_(
                    "Someone tried to create a user in the e-portal of %(clinic)s with your personal number, "
                    "but the mobile number did not match the one registered with us. If it was you, contact "
                    "the clinic to check your mobile number."
                )
                % {"clinic": get_clinic().name},
            )
        return
    grown_up = existing is not None and existing.is_active and made_for_a_child(existing, patient, today)
    if existing is not None and existing.is_active and not grown_up:
        record_event("registration_existing_account", actor=actor, subject_national_id=national_id)
        queue_email(
            to=existing.email,
            subject=_("You already have a user in the e-portal"),
            body=_(
                "Someone tried to create a new user in the e-portal of %(clinic)s with your personal number. "
                "You already have a user. If you have forgotten your password, use “Hjelp til innlogging” on "
                "the login page."
            )
            % {"clinic": get_clinic().name},
        )
        return
    # A pending, never activated account is replaced: an old or mistyped registration blocks nobody. So is an
    # account made for a child who is 16 now: from 16 it is theirs, opened with their own mobile.
    user = existing or User(username=national_id, national_id=national_id)
    if grown_up:
        end_all_sessions(user)
        record_event(
            "child_account_replaced",
            actor=actor.acting_as(user),
            subject_national_id=national_id,
            details={"made_on": timezone.localtime(user.date_joined).date().isoformat()},
        )
        user.pending_email, user.code_failures = "", 0  # a guardian's e-mail change or wrong codes are not theirs
    user.email, user.password, user.is_active = email, hashed, False
    user.code_mobile, user.date_joined = mobile, timezone.now()  # from now on, made_for_a_child asks of this day
    user.consent_version, user.consent_given_at = settings.EPORTAL_CONSENT_VERSION, timezone.now()
    user.save()
    record_event("account_created", actor=actor.acting_as(user), subject_national_id=national_id)
    queue_account_email(ACTIVATION, user)


def activation_link_works(user: User | None, token: str) -> bool:
    """The one check of an activation link: an inactive account, and a token made for its state now."""
    return user is not None and not user.is_active and activation_token.check(user, token)


@transaction.atomic
def activate_account(*, actor: Actor, user: User | None, token: str) -> User:
    if not activation_link_works(user, token):
        raise bad_link()
    user.is_active = True
    user.save(update_fields=["is_active"])
    record_event("account_activated", actor=actor.acting_as(user), subject_national_id=user.national_id)
    return user


def resend_activation(*, actor: Actor, national_id: str, email: str) -> None:
    """Ask for a new activation link. The answer is the same, after the same work, whether or not an account
    exists; a flood from one address, or for one person from many, is dropped."""
    if request_dropped(actor, "activation", national_id):
        return
    user = account_of(national_id, active=False)
    matches = user is not None and user.email.casefold() == email.casefold()
    queue_account_email(ACTIVATION, user if matches else None)
