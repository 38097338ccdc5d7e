"""Read queries for accounts: the one way from a patient (their fødselsnummer) to their portal account."""

from django.db.models import Exists

from .models import User


def account_of(national_id: str, *, active: bool | None = None) -> User | None:
    """The portal account of the person with this number: any, or only an active or an inactive one."""
    accounts = User.objects.filter(national_id=national_id)
    if active is not None:
        accounts = accounts.filter(is_active=active)
    return accounts.first()


def has_active_account(national_id) -> Exists:
    """For a query over patients: whether the number (an OuterRef) has an active account."""
    return Exists(User.objects.filter(national_id=national_id, is_active=True))
