"""Sending one SMS now: every SMS passes the caps against pumping and is written to the ledger with its price."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from eportal.core.clock import local_clock

from .backends import SmsNotSent
from .models import SendingLock, SmsLedgerEntry


class SmsLimitReached(SmsNotSent):
    """Too many SMS for this account, this address or the whole portal; str() is for the user."""

    code = "sms_limit"


def sms_backend():
    return import_string(settings.EPORTAL_SMS_BACKEND)()


QUARTER, DAY = datetime.timedelta(minutes=15), datetime.timedelta(days=1)


def _caps(*, user, ip: str | None, purpose: str) -> list[tuple]:
    """The caps against SMS pumping, as (the ledger rows counted, window, limit). Per account, login codes and
    notices are counted apart: notices (booking, reminder, an earlier time held for the patient) are not under
    the 15-minute cap, which is for codes, and never use up the codes' day cap, so a patient offered earlier
    times all day can still log in. The address and global caps count every SMS."""
    ledger = SmsLedgerEntry.objects
    caps = [(ledger.all(), DAY, settings.EPORTAL_SMS_CAP_GLOBAL_DAY)]
    notice = purpose == SmsLedgerEntry.Purpose.NOTICE
    if user is not None:
        same_kind = Q(purpose=SmsLedgerEntry.Purpose.NOTICE)
        own = ledger.filter(same_kind if notice else ~same_kind, user=user)
        caps.append((own, DAY, settings.EPORTAL_SMS_CAP_ACCOUNT_DAY))
        if not notice:
            caps.append((own, QUARTER, settings.EPORTAL_SMS_CAP_ACCOUNT_15MIN))
    if ip:
        caps += [
            (ledger.filter(ip=ip), QUARTER, settings.EPORTAL_SMS_CAP_IP_15MIN),
            (ledger.filter(ip=ip), DAY, settings.EPORTAL_SMS_CAP_IP_DAY),
        ]
    return caps


def _check_caps(*, user, ip: str | None, purpose: str) -> None:
    at = next_sms_allowed_at(user=user, ip=ip, purpose=purpose)
    if at is not None:
        raise SmsLimitReached(wait_message(at))


def wait_message(at: datetime.datetime) -> str:
    """«For mange SMS …» with when a new code can be asked for: the minute after `at`, with the day when that is
    not today."""
    minute_after = at.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    when = local_clock(minute_after, at=_("at"))
    return _("Too many SMS have been sent. You can ask for a new code %(when)s, or log in with BankID.") % {
        "when": when
    }


def next_sms_allowed_at(*, user, ip: str | None, purpose: str) -> datetime.datetime | None:
    """When _check_caps will let the next SMS of this kind for this account and address through, or None when
    it would now. For each cap that is reached: when enough of the window's SMS have aged out of it; nothing is
    sent while one is reached, so the latest such time holds."""
    now = timezone.now()
    allowed = None
    for rows, window, limit in _caps(user=user, ip=ip, purpose=purpose):
        # The next is allowed when the SMS `limit` places from the newest has left the window: one query.
        times = list(
            rows.filter(created_at__gte=now - window)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[limit - 1 : limit]
        )
        if times:
            at = times[0] + window
            allowed = at if allowed is None else max(allowed, at)
    return allowed if allowed is not None and allowed > now else None


def send_sms(*, to: str, text: str, purpose: str, user=None, ip: str | None = None, reference=None) -> SmsLedgerEntry:
    """Send one SMS now. Raises SmsLimitReached before sending, or SmsNotSent if the provider fails.
    `ip` is the network the request came from (Actor.network), for the address caps; `reference` a notice's
    (QueuedMessage.reference), given to the gateway and kept on the ledger row.

    The caps are checked and the ledger row written in one transaction that holds the SMS lock's row;
    the provider is called after it commits."""
    with transaction.atomic():
        SendingLock.objects.get_or_create(name="sms")
        list(SendingLock.objects.select_for_update().filter(name="sms"))
        _check_caps(user=user, ip=ip, purpose=purpose)
        entry = SmsLedgerEntry.objects.create(
            purpose=purpose,
            recipient=to,
            user=user,
            ip=ip or None,
            price_nok=Decimal(settings.EPORTAL_SMS_PRICE_NOK),
            status=SmsLedgerEntry.Status.SENDING,
            reference=reference,
        )
    try:
        entry.provider_id = sms_backend().send(to=to, text=text, reference=str(reference or ""))
        entry.status = SmsLedgerEntry.Status.SENT
    except SmsNotSent:
        entry.status, entry.price_nok = SmsLedgerEntry.Status.FAILED, Decimal(0)
        entry.save(update_fields=["status", "price_nok"])
        raise
    entry.save(update_fields=["status", "provider_id"])
    return entry
