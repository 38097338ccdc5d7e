"""Telling a person, known by their national identity number, about something that concerns them (a fullmakt
given or ended): the one place that finds where they are told.

By their active portal user's chosen channels (the account's confirmed e-mail, and the mobile the account's
SMS go to); without a user, by the mobile and e-mail the clinic registered on them, if it knows them. Texts
name others by first name only and carry no health content.
"""

import dataclasses
import datetime

from django.utils import timezone

from eportal.accounts.models import User
from eportal.accounts.selectors import account_of, sms_mobile
from eportal.clinic.models import ListPatient
from eportal.notifications.services import queue_email, queue_sms


@dataclasses.dataclass(frozen=True)
class Contact:
    """Where one person is told: a mobile and an e-mail address ("" where none)."""

    mobile: str
    email: str
    user: User | None = None  # whose SMS it is (caps and the ledger count it), when they have a portal user

    def __bool__(self) -> bool:
        return bool(self.mobile or self.email)


NOBODY = Contact("", "")


def contact_for(number: str, *, registration: ListPatient | None = None, day: datetime.date | None = None) -> Contact:
    """Where to tell the person with this number.

    With an active portal user: the channels they chose; if they chose none that reaches them, their e-mail
    (else their mobile) all the same, since what they are told changes who can act in their name. Without a
    user: what the clinic registered on them, from `registration` (their list-patient row, also after they
    left the list: a giver is told that their fullmakt ended) or else their row on the list on the day. A
    person the clinic does not know and who has no user is not told (NOBODY)."""
    day = day or timezone.localdate()
    if registration is None or registration.national_id != number:
        registration = ListPatient.objects.on_list(day).filter(national_id=number).first()
    user = account_of(number, active=True)
    if user is None:
        return Contact(registration.mobile, registration.email) if registration is not None else NOBODY
    mobile = sms_mobile(user, registration, day=day) if registration is not None else ""
    chosen = Contact(mobile if user.notify_by_sms else "", user.email if user.notify_by_email else "", user)
    if chosen:
        return chosen
    return Contact("", user.email, user) if user.email else Contact(mobile, "", user)


def tell(contact: Contact, *, subject: str, text: str) -> None:
    """Queue the notice (in the caller's transaction) by e-mail and SMS, where the contact has them."""
    if contact.email:
        queue_email(to=contact.email, subject=subject, body=text)
    if contact.mobile:
        queue_sms(to=contact.mobile, text=text, user=contact.user)
