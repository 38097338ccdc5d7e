"""Fullmakt: a patient aged 16 or more lets another adult (18 or more) use the portal's services for them.

Given online by the patient themselves, logged in with BankID (level high), or registered by the clinic from
a signed form; with or without an end date; ended at any time by the giver, by the person who holds it, or by
the clinic. What the holder may do is the policy's (representation.policy.proxy_capabilities): what the giver
has, never more. Both are told when it starts and when it is ended (contact.tell), by first name only.

The rules for a new fullmakt are check_new_proxy's, which the admin's form shows and the services check again
in their transaction; the database keeps one open fullmakt per giver and holder (one_open_proxy_per_pair).
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.clinic.ages import PROXY_GIVER_FROM, PROXY_HOLDER_FROM, age_on
from eportal.clinic.models import ListPatient, Proxy
from eportal.clinic.selectors import get_clinic
from eportal.core.actor import HIGH, Actor
from eportal.core.errors import UserError
from eportal.identity.national_id import InvalidNationalId, parse_national_id

from .contact import contact_for, tell

NAME_MAX = Proxy._meta.get_field("proxy_name").max_length
EARLIER_SHOWN = 20

# Who ended a fullmakt (the audit's `by`, and what the notices say).
BY_GIVER, BY_HOLDER, BY_CLINIC = "giver", "proxy", "clinic"


class ProxyError(UserError):
    """A refusal to give or end a fullmakt; str() is the Norwegian message."""

    code = "proxy_refused"


def _not_found() -> ProxyError:
    return ProxyError(_("The power of attorney was not found, or it has already ended."), code="not_found")


# --- The rules -------------------------------------------------------------------------------------------


def check_new_proxy(
    *,
    giver: ListPatient | None,
    proxy_national_id: str,
    proxy_name: str,
    valid_until: datetime.date | None = None,
    day: datetime.date | None = None,
) -> tuple[str, str]:
    """Whether `giver` may give this person fullmakt on the day (today): the giver on the list and 16 or
    older, the holder a valid number, 18 or older and not the giver, a name, an end date not in the past, and
    no open fullmakt to the same person. Returns the holder's number and name as they are stored, or raises
    ProxyError."""
    day = day or timezone.localdate()
    if giver is None or not giver.is_on_list(day):
        raise ProxyError(
            _("Only patients on the clinic's list can give power of attorney in the e-portal."), code="not_on_list"
        )
    if age_on(giver.national_id, day) < PROXY_GIVER_FROM:
        raise ProxyError(
            _("Power of attorney can only be given by a patient aged 16 or older."), code="giver_too_young"
        )
    try:
        number = parse_national_id(proxy_national_id)
    except InvalidNationalId as exc:
        raise ProxyError(str(exc), code="invalid_national_id") from None
    if number == giver.national_id:
        raise ProxyError(_("You cannot give power of attorney to yourself."), code="proxy_is_self")
    if age_on(number, day) < PROXY_HOLDER_FROM:
        raise ProxyError(
            _("The person who gets power of attorney must be 18 or older on the day it is given."),
            code="proxy_too_young",
        )
    name = " ".join(str(proxy_name or "").split())
    if not name:
        raise ProxyError(_("Write the name of the person who gets power of attorney."), code="name_missing")
    if len(name) > NAME_MAX or not name.isprintable():
        raise ProxyError(
            _("The name can be at most %(max)d characters, without special characters.") % {"max": NAME_MAX},
            code="name_invalid",
        )
    if valid_until is not None and (type(valid_until) is not datetime.date or valid_until < day):
        raise ProxyError(_("The end date cannot be in the past."), code="valid_until_past")
    if _open(giver, number, day).exists():
        raise _exists()
    return number, name


def _exists() -> ProxyError:
    return ProxyError(
        _("This person already has power of attorney. End it first if you want to give a new one with other dates."),
        code="proxy_exists",
    )


def _open(giver: ListPatient, number: str, day: datetime.date):
    """The open fullmakt of the pair that has not run out by its end date (in force, or not yet begun)."""
    return Proxy.objects.filter(giver=giver, proxy_national_id=number, ended_at__isnull=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )


def _close_lapsed(giver: ListPatient, number: str, day: datetime.date) -> None:
    """An open fullmakt of the pair whose end date has passed gave nothing since the day after it; it is
    marked ended then (no one is told: it ended by its date), so a new one can be given."""
    lapsed = Proxy.objects.select_for_update().filter(
        giver=giver, proxy_national_id=number, ended_at__isnull=True, valid_until__lt=day
    )
    for proxy in lapsed:
        end_of_last_day = datetime.datetime.combine(proxy.valid_until + datetime.timedelta(days=1), datetime.time())
        proxy.ended_at = timezone.make_aware(end_of_last_day)
        proxy.save(update_fields=["ended_at"])


def _create(
    *,
    actor: Actor,
    role: str,
    giver: ListPatient,
    source: str,
    proxy_national_id: str,
    proxy_name: str,
    valid_until: datetime.date | None,
) -> Proxy:
    day = timezone.localdate()
    number, name = check_new_proxy(
        giver=giver, proxy_national_id=proxy_national_id, proxy_name=proxy_name, valid_until=valid_until, day=day
    )
    _close_lapsed(giver, number, day)
    try:
        with transaction.atomic():  # a savepoint: the same pair given twice at once meets the unique constraint
            proxy = Proxy.objects.create(
                giver=giver,
                proxy_national_id=number,
                proxy_name=name,
                valid_from=day,
                valid_until=valid_until,
                source=source,
            )
    except IntegrityError:
        raise _exists() from None
    record_event(
        "proxy_given",
        actor=actor,
        role=role,
        subject_national_id=giver.national_id,
        details={"proxy": proxy.pk, "source": source, "valid_until": valid_until.isoformat() if valid_until else None},
    )
    _tell_given(proxy)
    return proxy


# --- Giving ----------------------------------------------------------------------------------------------


def _own_patient_for_update(actor: Actor, day: datetime.date) -> ListPatient | None:
    """The actor's own row on the list (never the person they act for), locked."""
    number = actor.user.national_id if actor.user is not None else None
    if not number:
        return None
    return ListPatient.objects.on_list(day).filter(national_id=number).select_for_update().first()


@transaction.atomic
def give_proxy(
    *, actor: Actor, proxy_national_id: str, proxy_name: str, valid_until: datetime.date | None = None
) -> Proxy:
    """The actor, logged in with BankID (level high) and acting for themselves, gives another adult fullmakt
    from today, until `valid_until` (inclusive) or until it is ended. Audited; both are told."""
    if actor.user is None or not actor.user.national_id:
        raise ProxyError(_("Only patients can give power of attorney in the e-portal."), code="not_permitted")
    if not actor.meets(HIGH):
        raise ProxyError(_("Log in with BankID to give power of attorney."), code="not_permitted")
    if actor.acting_for is not None:
        raise ProxyError(
            _("You are acting on behalf of someone else. Go back to yourself to give power of attorney."),
            code="acting_for_other",
        )
    giver = _own_patient_for_update(actor, timezone.localdate())
    return _create(
        actor=actor,
        role="patient",
        giver=giver,
        source=Proxy.Source.ONLINE,
        proxy_national_id=proxy_national_id,
        proxy_name=proxy_name,
        valid_until=valid_until,
    )


def _require_staff(actor: Actor) -> None:
    if actor.user is None or not actor.user.is_staff:
        raise ProxyError(_("Only the clinic's staff can do this."), code="not_permitted")


@transaction.atomic
def register_proxy_for_clinic(
    *, actor: Actor, giver_id: int, proxy_national_id: str, proxy_name: str, valid_until: datetime.date | None = None
) -> Proxy:
    """The clinic registers a fullmakt from a form the giver signed, under the same rules as one given online.
    Audited as the staff member's; both are told."""
    _require_staff(actor)
    giver = ListPatient.objects.select_for_update().filter(pk=giver_id).first() if isinstance(giver_id, int) else None
    return _create(
        actor=actor,
        role="staff",
        giver=giver,
        source=Proxy.Source.CLINIC,
        proxy_national_id=proxy_national_id,
        proxy_name=proxy_name,
        valid_until=valid_until,
    )


# --- Ending ----------------------------------------------------------------------------------------------


def _end(proxy: Proxy, *, actor: Actor, role: str, by: str) -> Proxy:
    proxy.ended_at = timezone.now()
    proxy.save(update_fields=["ended_at"])
    record_event(
        "proxy_ended",
        actor=actor,
        role=role,
        subject_national_id=proxy.giver.national_id,
        details={"proxy": proxy.pk, "by": by},
    )
    _tell_ended(proxy)
    return proxy


def _in_force_for_update(day: datetime.date):
    return Proxy.objects.in_force(day).select_for_update().select_related("giver")


@transaction.atomic
def end_proxy(*, actor: Actor, proxy_id: int) -> Proxy:
    """The giver ends a fullmakt they gave, or the holder one given to them, at once. At any login level:
    ending only takes access away. Another's fullmakt, or one no longer in force: not_found."""
    number = actor.user.national_id if actor.user is not None else None
    proxy = None
    if number and isinstance(proxy_id, int):
        proxy = (
            _in_force_for_update(timezone.localdate())
            .filter(Q(giver__national_id=number) | Q(proxy_national_id=number), pk=proxy_id)
            .first()
        )
    if proxy is None:
        raise _not_found()
    if proxy.giver.national_id == number:
        return _end(proxy, actor=actor, role="patient", by=BY_GIVER)
    return _end(proxy, actor=actor, role="proxy", by=BY_HOLDER)


@transaction.atomic
def end_proxy_for_clinic(*, actor: Actor, proxy_id: int) -> Proxy:
    """The clinic ends a fullmakt in force (the giver asked at the desk, or it was registered in error)."""
    _require_staff(actor)
    proxy = None
    if isinstance(proxy_id, int):
        proxy = _in_force_for_update(timezone.localdate()).filter(pk=proxy_id).first()
    if proxy is None:
        raise _not_found()
    return _end(proxy, actor=actor, role="staff", by=BY_CLINIC)


# --- Reading ---------------------------------------------------------------------------------------------


def proxies_given(actor: Actor, *, day: datetime.date | None = None) -> tuple[list[Proxy], list[Proxy]]:
    """The fullmakter the actor has given themselves: those in force (or not yet begun), and the latest
    earlier ones (ended, or past their end date). Two queries."""
    day = day or timezone.localdate()
    number = actor.user.national_id if actor.user is not None else None
    if not number:
        return [], []
    theirs = Proxy.objects.filter(giver__national_id=number).order_by("-valid_from", "-pk")
    running = Q(ended_at__isnull=True) & (Q(valid_until__isnull=True) | Q(valid_until__gte=day))
    return list(theirs.filter(running)), list(theirs.exclude(running)[:EARLIER_SHOWN])


def proxies_received(actor: Actor, *, day: datetime.date | None = None) -> list[Proxy]:
    """The fullmakter in force that others have given the actor. One query."""
    day = day or timezone.localdate()
    number = actor.user.national_id if actor.user is not None else None
    if not number:
        return []
    return list(
        Proxy.objects.in_force(day)
        .filter(proxy_national_id=number)
        .select_related("giver")
        .order_by("giver__first_name", "pk")
    )


# --- Notices ---------------------------------------------------------------------------------------------


def _holder_first_name(proxy: Proxy) -> str:
    """The holder's first name: as the clinic registered it if they are a patient, else the first name given."""
    registered = ListPatient.objects.filter(national_id=proxy.proxy_national_id).values_list("first_name", flat=True)
    return registered.first() or proxy.proxy_name.split()[0]


def _validity(proxy: Proxy) -> str:
    if proxy.valid_until is None:
        return _("It is valid until it is ended.")
    return _("It is valid until and including %(date)s.") % {"date": formats.date_format(proxy.valid_until, "j. F Y")}


def _tell_both(proxy: Proxy, *, subject: str, to_giver: str, to_holder: str, values: dict) -> None:
    """The giver by their user's channels or what the clinic registered on them; the holder likewise."""
    giver = proxy.giver
    to_giver %= {**values, "name": _holder_first_name(proxy)}
    to_holder %= {**values, "name": giver.first_name}
    tell(contact_for(giver.national_id, registration=giver), subject=subject, text=to_giver)
    tell(contact_for(proxy.proxy_national_id), subject=subject, text=to_holder)


def _tell_given(proxy: Proxy) -> None:
    clinic = get_clinic().name
    _tell_both(
        proxy,
        subject=_("Power of attorney in the e-portal of %(clinic)s") % {"clinic": clinic},
        to_giver=_(
            "%(clinic)s: You have given %(name)s power of attorney in the e-portal. %(validity)s You can end it at "
            "any time under «Powers of attorney» on My page. If this was not you, contact the clinic."
        ),
        to_holder=_(
            "%(clinic)s: %(name)s has given you power of attorney in the e-portal. %(validity)s Log in and choose "
            "%(name)s on My page to act on behalf of %(name)s."
        ),
        values={"clinic": clinic, "validity": _validity(proxy)},
    )


def _tell_ended(proxy: Proxy) -> None:
    clinic = get_clinic().name
    _tell_both(
        proxy,
        subject=_("Power of attorney ended in the e-portal of %(clinic)s") % {"clinic": clinic},
        to_giver=_("%(clinic)s: The power of attorney you gave %(name)s in the e-portal has ended."),
        to_holder=_(
            "%(clinic)s: The power of attorney %(name)s gave you in the e-portal has ended. You can no longer act "
            "on behalf of %(name)s there."
        ),
        values={"clinic": clinic},
    )
