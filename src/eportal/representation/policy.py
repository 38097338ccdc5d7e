"""The one access policy: whether a logged-in person may act for a patient in a service, and why.

Every service that reads or changes a patient's data takes a Grant, which only `grant()` makes; so no
caller (a patient page, the app API) reaches a patient's data without this decision.

The rules, as Helsenorge applies pasient- og brukerrettighetsloven § 3-4 (the Hjelp page says the same):

- A patient acts for themselves in every service.
- A guardian (a Guardianship row in the clinic's registry) acts for a child under 12 in every service; for a
  child aged 12 to 15 only in the child's GP appointments (see and book/cancel), never in messages,
  eKonsultasjon, prescription renewal or the access log; for a child aged 16 or more not at all.
- The clinic can withhold a child's data from guardians (ListPatient.withheld_from_guardians): guardians
  then have no access, at once.
- The seed's way: an account in a child's own number, logged into with password and SMS code to the
  guardian's mobile, is used by a guardian, and gets what a guardian gets. A BankID login proves the person
  themselves.
- A patient aged 16 or more can give another adult (18 or more) fullmakt (clinic.Proxy): while it is in
  force the proxy acts in every service the giver has, never more.
- Ages follow the calendar (clinic.ages): a person is 12 from their 12th birthday; one born on 29 February
  has their birthday on 1 March in a common year.

Nothing is cached: a Guardianship row removed, a fullmakt ended or a child withheld ends access at the next
request.
"""

import dataclasses
import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eportal.audit.services import record_event
from eportal.clinic.ages import GUARDIAN_FULL_UNTIL, PROXY_GIVER_FROM, PROXY_HOLDER_FROM, age_on, has_own_access
from eportal.clinic.models import Guardianship, ListPatient, Proxy
from eportal.clinic.selectors import own_listed_patient
from eportal.core.actor import HIGH, Actor
from eportal.core.errors import UserError


class Capability(models.TextChoices):
    APPOINTMENTS = "appointments", gettext_lazy("appointments")
    MESSAGES = "messages", gettext_lazy("messages")
    RENEWAL = "renewal", gettext_lazy("prescription renewal")
    EKONSULTASJON = "ekonsultasjon", gettext_lazy("eKonsultasjon")
    ACCESS_LOG = "access_log", gettext_lazy("who has seen my information")


ALL = frozenset(Capability)
NONE = frozenset()


class Relation(models.TextChoices):
    SELF = "self", gettext_lazy("yourself")
    CHILD_ACCOUNT = "child_account", gettext_lazy("guardian, in the child's own user")
    GUARDIAN = "guardian", gettext_lazy("guardian")
    PROXY = "proxy", gettext_lazy("power of attorney")


def guardian_capabilities(child: ListPatient, day: datetime.date) -> frozenset:
    """What a guardian may do for the child on the day."""
    if child.withheld_from_guardians:
        return NONE
    if has_own_access(child.national_id, day):
        return NONE
    if age_on(child.national_id, day) < GUARDIAN_FULL_UNTIL:
        return ALL
    return frozenset({Capability.APPOINTMENTS})


def proxy_capabilities(giver: ListPatient, holder_number: str, day: datetime.date) -> frozenset:
    """What a fullmakt in force lets the holder do: what the giver has themselves, never more."""
    if age_on(giver.national_id, day) < PROXY_GIVER_FROM or age_on(holder_number, day) < PROXY_HOLDER_FROM:
        return NONE
    return own_capabilities(giver)


def own_capabilities(patient: ListPatient) -> frozenset:
    """A patient on the list has every service for themselves."""
    return ALL


@dataclasses.dataclass(frozen=True)
class Decision:
    """The policy's answer for one person, patient and capability."""

    relation: str | None  # how the person stands to the patient (Relation), or None: no relation at all
    capabilities: frozenset  # what the relation allows on the day

    def allows(self, capability: str) -> bool:
        return capability in self.capabilities


def decide(actor: Actor, patient: ListPatient | None, *, day: datetime.date | None = None) -> Decision:
    """How the actor stands to the patient, and what that allows on the day (today). Two queries at most."""
    number = actor.user.national_id if actor.user is not None else None
    return decide_for_number(number, patient, day=day, high=actor.meets(HIGH))


def decide_for_number(
    number: str | None, patient: ListPatient | None, *, day: datetime.date | None = None, high: bool
) -> Decision:
    """decide() for the person with this number, logged in with BankID (`high`) or not."""
    day = day or timezone.localdate()
    if not number or patient is None or not patient.is_on_list(day):
        return Decision(None, NONE)
    if patient.national_id == number:
        if high or has_own_access(number, day):
            return Decision(Relation.SELF, own_capabilities(patient))
        return Decision(Relation.CHILD_ACCOUNT, guardian_capabilities(patient, day))
    guardian = None
    if Guardianship.objects.filter(child=patient, guardian_national_id=number).exists():
        guardian = Decision(Relation.GUARDIAN, guardian_capabilities(patient, day))
        if guardian.capabilities:
            return guardian
    # A young person of 16 or more may give a former guardian fullmakt: that, not the guardianship, counts.
    if Proxy.objects.in_force(day).filter(giver=patient, proxy_national_id=number).exists():
        return Decision(Relation.PROXY, proxy_capabilities(patient, number, day))
    return guardian or Decision(None, NONE)


class AccessRefused(UserError):
    """The person may not act for this patient here: not_found when there is no relation or one that allows
    nothing now (nothing about the patient is told), not_permitted when the relation allows something else."""


@dataclasses.dataclass(frozen=True)
class Grant:
    """The policy's yes: this actor may use `capability` for `patient` now, standing as `relation`.
    Made only by grant(); services take it instead of a patient or an id."""

    actor: Actor
    patient: ListPatient
    capability: str
    relation: str
    _token: object = dataclasses.field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if self._token is not _GRANT_TOKEN:
            raise TypeError("a Grant is made by representation.policy.grant()")

    def require(self, capability: str) -> None:
        """A service's own check that it was handed a grant for its capability."""
        if self.capability != capability:
            raise TypeError(f"a grant for {self.capability} used for {capability}")

    @property
    def for_other(self) -> bool:
        return self.relation != Relation.SELF

    @property
    def role(self) -> str:
        """The acting person's part in the audit log: patient, guardian or proxy."""
        return {Relation.SELF: "patient", Relation.PROXY: "proxy"}.get(self.relation, "guardian")


_GRANT_TOKEN = object()


def acting_patient_of(actor: Actor) -> ListPatient | None:
    """The list patient the actor has chosen to act for (actor.acting_for), or their own row; None if
    neither is on the list. Whether they may is decide()'s question."""
    if actor.user is None or not actor.user.national_id:
        return None
    if actor.acting_for is None:
        return own_listed_patient(actor)
    key = ("acting_patient", actor.acting_for)  # read once per request (the actor is the request's)
    if key not in actor.memo:
        actor.memo[key] = ListPatient.objects.on_list().select_related("gp").filter(pk=actor.acting_for).first()
    return actor.memo[key]


def grant(actor: Actor, capability: str, *, day: datetime.date | None = None) -> Grant:
    """The grant for the patient the actor acts for now, or AccessRefused (audited). Every access for
    another person is audited with both the acting person and the patient."""
    patient = acting_patient_of(actor)
    decision = decide(actor, patient, day=day)
    if not decision.allows(capability):
        if not decision.capabilities:  # no relation, or one that allows nothing (16, withheld): tell nothing
            raise _refused(actor, patient, decision, capability)
        raise _refused(actor, patient, decision, capability, refusal_text(decision, capability), "not_permitted")
    made = Grant(actor, patient, capability, decision.relation, _token=_GRANT_TOKEN)
    if made.for_other:
        record_event(
            "acted_for",
            actor=actor,
            role=made.role,
            subject_national_id=patient.national_id,
            details={"capability": str(capability), "relation": str(decision.relation)},
        )
    return made


def _refused(
    actor: Actor, patient, decision: Decision, capability: str, message: str = "", code: str = "not_found"
) -> AccessRefused:
    """Audit a refusal (the patient named only where a relation exists) and make its error: by default
    not_found, whose words tell nothing about the patient."""
    record_event(
        "access_refused",
        actor=actor,
        subject_national_id=patient.national_id if decision.relation else "",
        details={"capability": str(capability), "relation": decision.relation or "none"},
    )
    return AccessRefused(message or _("The page was not found, or you can no longer act for this person."), code=code)


def refusal_text(decision: Decision, capability: str) -> str:
    """Why a relation that allows something does not cover this service, in the words the Hjelp page uses."""
    if decision.relation in (Relation.GUARDIAN, Relation.CHILD_ACCOUNT):
        return _(
            "As a guardian you can see and book the appointments of a child aged 12 to 15, but not use the "
            "child's other services."
        )
    return _("You cannot use this service for this person.")


def choose(actor: Actor, patient_id) -> ListPatient:
    """The person the actor asks to act for, if the policy lets them do anything for them now; else
    AccessRefused (not_found: a guessed or another family's id tells nothing), audited."""
    patient = None
    if isinstance(patient_id, int) and patient_id > 0:
        patient = ListPatient.objects.on_list().filter(pk=patient_id).first()
    decision = decide(actor, patient)
    if decision.relation in (None, Relation.SELF, Relation.CHILD_ACCOUNT) or not decision.capabilities:
        raise _refused(actor, patient, decision, "choose")
    return patient


@dataclasses.dataclass(frozen=True)
class Person:
    """Someone the logged-in person may act for, for «Personer du kan handle på vegne av»."""

    patient: ListPatient
    relation: str
    capabilities: frozenset

    @property
    def appointments_only(self) -> bool:
        return self.capabilities == {Capability.APPOINTMENTS}


def people_for(actor: Actor, *, day: datetime.date | None = None) -> list[Person]:
    """The others the actor may act for on the day (children, fullmakt givers), with what each allows;
    those with nothing allowed are left out. Two queries, however many."""
    day = day or timezone.localdate()
    number = actor.user.national_id if actor.user is not None else None
    if not number:
        return []
    people = []
    children = ListPatient.objects.on_list(day).filter(guardianships__guardian_national_id=number)
    for child in children.exclude(national_id=number).order_by("first_name"):
        people.append(Person(child, Relation.GUARDIAN, guardian_capabilities(child, day)))
    proxies = (
        Proxy.objects.in_force(day)
        .filter(proxy_national_id=number, giver__in=ListPatient.objects.on_list(day))
        .select_related("giver")
    )
    for proxy in proxies.order_by("giver__first_name"):
        people.append(Person(proxy.giver, Relation.PROXY, proxy_capabilities(proxy.giver, number, day)))
    return [person for person in people if person.capabilities]
