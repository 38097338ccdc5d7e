"""«Hvem har sett opplysningene mine»: the audit log as the patient sees it.

Three kinds of audit event mean that someone saw or acted on a patient's data, and are listed:

- staff reads (`staff_viewed_*`): a member of the clinic's staff opened a page showing the patient;
- `acted_for`: a guardian, the holder of a fullmakt, or a guardian in the child's own user (the seed's way)
  opened a page of one of the patient's services. The policy writes one per page, so these are shown one row
  per person, service and day (with how many times and from when), or a single booking would fill a page;
- appointment actions (booked, cancelled, the waiting list) by a guardian, a proxy or staff. The patient's own
  actions, the system's (waiting-list offers) and refusals are not "someone else", and are left out.

Newest first, 25 a page; three queries a page (count, rows, names) and a fourth only when a proxy is not on the
clinic's list, however many rows.
"""

import dataclasses
import datetime

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, TextField, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Concat, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from eportal.audit.models import AuditEvent
from eportal.clinic.models import ListPatient, Proxy, person_name

from .policy import Capability, Grant

PAGE_SIZE = 25

ACTED_FOR = "acted_for"
A_DAY = datetime.timedelta(hours=25)  # a local day is 23 to 25 hours long
STAFF_READ_PREFIX = "staff_viewed_"
APPOINTMENT_ACTIONS = (
    "appointment_booked",
    "appointment_cancelled",
    "waitlist_joined",
    "waitlist_left",
    "waitlist_declined",
)
# The audit label's role (core.Actor.label) of those who are "someone else": not the patient, nor the system.
OTHERS = ("staff", "guardian", "proxy")


def _what(action: str, capability: str) -> str:
    """What the person did, in the patient's words."""
    if action == ACTED_FOR:
        return {
            Capability.APPOINTMENTS: _("acted on your behalf (appointments)"),
            Capability.MESSAGES: _("acted on your behalf (messages)"),
            Capability.RENEWAL: _("acted on your behalf (prescription renewal)"),
            Capability.EKONSULTASJON: _("acted on your behalf (eKonsultasjon)"),
            Capability.ACCESS_LOG: _("acted on your behalf (saw this log)"),
        }.get(capability, _("acted on your behalf"))
    return {
        "staff_viewed_day_list": _("saw the appointment list"),
        "staff_viewed_appointment": _("saw your appointment"),
        "staff_viewed_thread": _("read your message"),
        "appointment_booked": _("booked an appointment"),
        "appointment_cancelled": _("cancelled an appointment"),
        "waitlist_joined": _("put you on the waiting list"),
        "waitlist_left": _("took you off the waiting list"),
        "waitlist_declined": _("declined an earlier time"),
    }.get(action, _("saw your information"))


def _shown(patient: ListPatient):
    """The patient's events of the kinds listed, each acted_for event still on its own."""
    by_others = Q()
    for role in OTHERS:
        by_others |= Q(actor__startswith=f"{role}:")
    kinds = (
        Q(action__startswith=STAFF_READ_PREFIX) | Q(action=ACTED_FOR) | (Q(action__in=APPOINTMENT_ACTIONS) & by_others)
    )
    return AuditEvent.objects.filter(kinds, subject_national_id=patient.national_id)


def _group():
    """What puts acted_for events in one row, besides the person (`actor`): the service and the local day."""
    return {
        "capability": Coalesce(KT("details__capability"), Value(""), output_field=TextField()),
        "day": TruncDate("at", tzinfo=timezone.get_default_timezone()),
    }


def access_log_events(patient: ListPatient) -> QuerySet:
    """The patient's audit events that someone else saw or acted on, newest first; `acted_for` events one per
    person, service and (local) day, the day's latest standing for the others (`times`, `first_at`).

    Read newest first along the (subject_national_id, at, id) index, so a page reads its own rows and those
    before it; an acted_for row looks only at the patient's events within a day of it."""
    acted_for = Q(action=ACTED_FOR)
    same_group = (
        AuditEvent.objects.filter(action=ACTED_FOR, subject_national_id=OuterRef("subject_national_id"))
        .filter(actor=OuterRef("actor"))
        .alias(**_group())
        .filter(capability=OuterRef("capability"), day=OuterRef("day"))
        .order_by()
    )
    later = same_group.filter(
        Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), id__gt=OuterRef("id")), at__lt=OuterRef("at") + A_DAY
    )
    before = same_group.filter(at__lte=OuterRef("at"), at__gt=OuterRef("at") - A_DAY)
    return (
        _shown(patient)
        .alias(**_group())
        .filter(~acted_for | ~Exists(later))
        .annotate(
            times=Case(
                When(acted_for, then=Subquery(before.values("action").annotate(n=Count("id")).values("n"))),
                default=Value(1),
            ),
            first_at=Case(When(acted_for, then=Subquery(before.order_by("at").values("at")[:1])), default=F("at")),
        )
        .select_related("actor_user")
        .order_by("-at", "-id")
    )


class _LogRows:
    """The log's rows as the Paginator takes them: slices of access_log_events(), and their number counted
    in one pass (each acted_for group once) instead of asking every acted_for event for a later one."""

    def __init__(self, patient: ListPatient):
        self.patient = patient
        self.rows = access_log_events(patient)

    def count(self) -> int:
        group = _group()
        key = Concat(
            "actor",
            Value(" "),
            group["capability"],
            Value(" "),
            Cast(group["day"], TextField()),
            output_field=TextField(),
        )
        acted_for = Q(action=ACTED_FOR)
        totals = _shown(self.patient).aggregate(
            single=Count("id", filter=~acted_for), groups=Count(key, filter=acted_for, distinct=True)
        )
        return totals["single"] + totals["groups"]

    def __getitem__(self, index):
        return self.rows[index]


@dataclasses.dataclass(frozen=True)
class Entry:
    """One row of the page: when, who (a name, or none) in which part, and what."""

    at: datetime.datetime
    first_at: datetime.datetime
    times: int
    name: str
    part: str
    what: str


@dataclasses.dataclass(frozen=True)
class AccessLogPage:
    page: Page
    entries: list[Entry]
    asked_for_missing_page: bool  # the page number asked for was not a page: this is the first or the last


def _role(event: AuditEvent) -> str:
    return event.actor.partition(":")[0]


def _names(events, patient: ListPatient) -> dict[str, str]:
    """The names of the guardians and proxies among the events' actors, by national id: from the clinic's list,
    else (a proxy) as the fullmakt registered it."""
    numbers = {
        event.actor_user.national_id
        for event in events
        if _role(event) in ("guardian", "proxy") and event.actor_user is not None and event.actor_user.national_id
    }
    numbers.discard(patient.national_id)  # the child's own user, used by a guardian: not the child's name
    if not numbers:
        return {}
    names = {
        number: person_name(first, last)
        for number, first, last in ListPatient.objects.filter(national_id__in=numbers).values_list(
            "national_id", "first_name", "last_name"
        )
    }
    proxies = {event.actor_user.national_id for event in events if _role(event) == "proxy" and event.actor_user}
    if proxies - names.keys():
        for number, name in (
            Proxy.objects.filter(giver=patient, proxy_national_id__in=proxies - names.keys())
            .order_by("created_at")
            .values_list("proxy_national_id", "proxy_name")
        ):
            names[number] = name
    return names


def _entry(event: AuditEvent, patient: ListPatient, names: dict[str, str]) -> Entry:
    role, user = _role(event), event.actor_user
    if role == "staff":
        name = (user.get_full_name() or user.username) if user is not None else ""
        part = pgettext("access log", "staff at the clinic")
    elif user is not None and user.national_id == patient.national_id:
        name, part = "", pgettext("access log", "guardian, logged in to your own user")
    else:
        name = names.get(user.national_id, "") if user is not None and user.national_id else ""
        part = pgettext("access log", "proxy") if role == "proxy" else pgettext("access log", "guardian")
    return Entry(
        at=event.at,
        first_at=event.first_at,
        times=event.times,
        name=name,
        part=part,
        what=_what(event.action, (event.details or {}).get("capability", "")),
    )


def access_log_page(grant: Grant, number: str | None) -> AccessLogPage:
    """Page `number` (from 1; None: the first) of the grant's patient's access log. A number that is not a page
    gives the first page (not a number) or the last (past the end), and says so."""
    grant.require(Capability.ACCESS_LOG)
    paginator = Paginator(_LogRows(grant.patient), PAGE_SIZE)
    missing = False
    try:
        page = paginator.page(number or 1)
    except PageNotAnInteger:
        page, missing = paginator.page(1), True
    except EmptyPage:
        page, missing = paginator.page(paginator.num_pages), True
    events = list(page.object_list)
    names = _names(events, grant.patient)
    return AccessLogPage(page, [_entry(event, grant.patient, names) for event in events], missing)
