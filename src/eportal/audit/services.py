"""Writing audit events. Callers pass facts, never passwords, codes, tokens or message text."""

from eportal.web import client_ip, user_agent

from .models import AuditEvent


def record_event(
    action: str,
    *,
    actor: str,
    actor_user=None,
    subject_national_id: str = "",
    request=None,
    details: dict | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        action=action,
        actor=actor[:150],
        actor_user=actor_user,
        subject_national_id=subject_national_id,
        ip=(client_ip(request) or None) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
        details=details or {},
    )
