"""Representation's part of «Min side»: whom the page is about and what the policy lets the person do there."""

from eportal.core.actor import Actor

from .policy import Capability, Relation, acting_patient_of, decide


def who(actor: Actor, context: dict) -> dict:
    """The patient the person acts for now (themselves or another), how they stand and the capabilities the
    policy allows on the page: a service it denies is not offered. One to three queries."""
    patient = acting_patient_of(actor)
    decision = decide(actor, patient)
    return {
        "hub_patient": patient if decision.capabilities else None,
        "hub_for_other": decision.relation in (Relation.GUARDIAN, Relation.PROXY) and bool(decision.capabilities),
        "hub_can": {str(capability): capability in decision.capabilities for capability in Capability},
    }
