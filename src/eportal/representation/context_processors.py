"""What every page shows of acting for others: «Du handler nå på vegne av <navn>» while a person acts for
someone else, whose user a child's account is (the seed's way), and, for Min side, the people one may act for
(computed only where a page shows it)."""

from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from eportal.clinic.ages import has_own_access
from eportal.core.actor import HIGH

from .policy import Relation, acting_patient_of, decide, people_for


def acting_for(request):
    actor = getattr(request, "actor", None)
    number = getattr(actor.user, "national_id", None) if actor is not None and actor.user is not None else None
    if not number:
        return {}
    context = {"people": SimpleLazyObject(lambda: people_for(actor))}
    child_account = not actor.meets(HIGH) and not has_own_access(number, timezone.localdate())
    if actor.acting_for is None and not child_account:
        return context  # acting for themselves: nothing to say, and no query
    patient = acting_patient_of(actor)
    decision = decide(actor, patient)
    if decision.relation in (Relation.GUARDIAN, Relation.PROXY) and decision.capabilities:
        context["acting_for"] = patient
    elif decision.relation == Relation.CHILD_ACCOUNT:
        context["account_of_child"] = patient
    return context
