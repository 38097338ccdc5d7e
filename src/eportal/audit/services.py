"""Writing audit events. Callers pass facts, never passwords, codes, tokens or message text."""

from eportal.web import client_ip, user_agent

from .models import AuditEvent


def _event(action: str, *, actor: str, actor_user, subject_national_id: str, request, details) -> AuditEvent:
    return AuditEvent(
        action=action,
        actor=actor[:150],
        actor_user=actor_user,
        subject_national_id=subject_national_id,
        ip=(client_ip(request) or None) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
        details=details or {},
    )


def record_event(
    action: str,
    *,
    actor: str,
    actor_user=None,
    subject_national_id: str = "",
    request=None,
    details: dict | None = None,
) -> AuditEvent:
    event = _event(
        action,
        actor=actor,
        actor_user=actor_user,
        subject_national_id=subject_national_id,
        request=request,
        details=details,
    )
    event.save()
    return event


def record_events_for(action: str, *, subjects, actor: str, actor_user=None, request=None, details=None) -> None:
    """One event per patient concerned (a page that shows several patients), in one INSERT."""
    AuditEvent.objects.bulk_create(
        _event(action, actor=actor, actor_user=actor_user, subject_national_id=national_id, request=request,
               details=details)
        for national_id in dict.fromkeys(subjects)
    )  # fmt: skip
