"""Who is told about a patient's appointment or message, and how: the patient's own user, and everyone who acts
for them in that service now (guardians, the seed's way account in a child's number, holders of a fullmakt), each
by their own chosen channels. A notice for someone else names them by first name only."""

import dataclasses
import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from eportal.accounts.models import User
from eportal.accounts.selectors import account_of, sms_mobile
from eportal.clinic.models import Guardianship, ListPatient, Proxy
from eportal.notifications.services import queue_email, queue_sms

from .policy import Capability, Relation, decide_for_number


@dataclasses.dataclass(frozen=True)
class Recipient:
    user: User  # whose channel choices (notify_by_sms, notify_by_email) apply
    mobile: str  # "" when there is no mobile to send to
    email: str
    for_name: str  # "" when told about their own appointment; else the patient's first name


def recipients_for(
    patient: ListPatient, *, capability: str = Capability.APPOINTMENTS, day: datetime.date | None = None
) -> list[Recipient]:
    """Everyone to tell about the patient's appointment (or what else `capability` covers), one per mobile and
    address."""
    day = day or timezone.localdate()
    found = []
    own = account_of(patient.national_id, active=True)
    if own is not None:
        # A child's own user under 16 may be the guardian's (the seed's way): told only what a guardian may see.
        # Anyone else is told of their own matters, also once off the list (an appointment the clinic cancels).
        decision = decide_for_number(own.national_id, patient, day=day, high=False)
        if decision.relation != Relation.CHILD_ACCOUNT or decision.allows(capability):
            for_name = patient.first_name if decision.relation == Relation.CHILD_ACCOUNT else ""
            found.append(Recipient(own, sms_mobile(own, patient, day=day), own.email, for_name))
    guardians = {row.guardian_national_id: row.guardian_mobile for row in Guardianship.objects.filter(child=patient)}
    holders = set(Proxy.objects.in_force(day).filter(giver=patient).values_list("proxy_national_id", flat=True))
    others = User.objects.filter(is_active=True, national_id__in=[*guardians, *holders]).order_by("pk")
    for user in others:
        if decide_for_number(user.national_id, patient, day=day, high=False).allows(capability):
            mobile = guardians.get(user.national_id) or _own_mobile(user, day)
            found.append(Recipient(user, mobile, user.email, patient.first_name))
    return _one_per_channel(found)


def tell_about(
    patient: ListPatient,
    *,
    subject: str,
    own: str,
    for_other: str,
    values: dict,
    capability: str = Capability.APPOINTMENTS,
    always_sms: bool = False,
) -> None:
    """Queue a notice (in the caller's transaction) to everyone recipients_for names, by the channels each chose
    (`always_sms`: by SMS whatever they chose): `own` to the patient, `for_other` (with %(name)s, the patient's
    first name) to someone acting for them."""
    for recipient in recipients_for(patient, capability=capability):
        text = (for_other if recipient.for_name else own) % {**values, "name": recipient.for_name}
        if recipient.user.notify_by_email and recipient.email:
            queue_email(to=recipient.email, subject=subject, body=text)
        if (recipient.user.notify_by_sms or always_sms) and recipient.mobile:
            queue_sms(to=recipient.mobile, text=text, user=recipient.user)


def _own_mobile(user: User, day: datetime.date) -> str:
    """A fullmakt holder's own SMS mobile, where they are on the list themselves (as for their own notices)."""
    own = ListPatient.objects.on_list(day).filter(national_id=user.national_id).first()
    return sms_mobile(user, own, day=day) if own is not None else ""


def _one_per_channel(recipients: list[Recipient]) -> list[Recipient]:
    """A mobile or address that two recipients share is told once (the first)."""
    seen, kept = set(), []
    for recipient in recipients:
        mobile = recipient.mobile if recipient.user.notify_by_sms else ""
        email = recipient.email if recipient.user.notify_by_email else ""
        if (mobile and mobile in seen) or (email and email in seen):
            recipient = dataclasses.replace(
                recipient, mobile="" if mobile in seen else recipient.mobile, email="" if email in seen else email
            )
        seen.update(value for value in (mobile, email) if value)
        kept.append(recipient)
    return kept


def reachable(patient_path: str) -> Q:
    """For a query over rows that lead to a list patient (`patient_path`, e.g. "appointment__patient"): someone
    can be told about the patient, by their own user or a guardian's or fullmakt holder's (whose age rules are
    checked when telling)."""
    with_user = User.objects.filter(is_active=True).values("national_id")
    return (
        Q(Exists(with_user.filter(national_id=OuterRef(f"{patient_path}__national_id"))))
        | Q(
            Exists(
                Guardianship.objects.filter(
                    child_id=OuterRef(f"{patient_path}_id"),
                    child__withheld_from_guardians=False,
                    guardian_national_id__in=with_user,
                )
            )
        )
        | Q(
            Exists(
                Proxy.objects.in_force().filter(
                    giver_id=OuterRef(f"{patient_path}_id"), proxy_national_id__in=with_user
                )
            )
        )
    )
