"""Writing audit events: who (the actor), what, about which patient. Callers pass facts, never passwords,
codes, tokens or message text."""

from eportal.core.actor import Actor

from .models import AuditEvent


def _event(action: str, *, actor: Actor, role: str, subject_national_id: str, details) -> AuditEvent:
    return AuditEvent(
        action=action,
        actor=actor.label(role)[:150],
        actor_user=actor.user,
        subject_national_id=subject_national_id,
        ip=actor.ip or None,
        user_agent=actor.user_agent,
        details=details or {},
    )


def record_event(
    action: str, *, actor: Actor, role: str = "user", subject_national_id: str = "", details: dict | None = None
) -> AuditEvent:
    """One event; `role` names the actor's part in it (user, staff, patient, guardian)."""
    event = _event(action, actor=actor, role=role, subject_national_id=subject_national_id, details=details)
    event.save()
    return event


def record_events_for(action: str, *, subjects, actor: Actor, role: str = "user", details=None) -> None:
    """One event per patient concerned (a page that shows several patients), in one INSERT."""
    AuditEvent.objects.bulk_create(
        _event(action, actor=actor, role=role, subject_national_id=national_id, details=details)
        for national_id in dict.fromkeys(subjects)
    )
