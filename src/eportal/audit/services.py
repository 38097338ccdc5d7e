"""Writing audit events. Callers pass facts, never passwords, codes, tokens or message text."""

from .models import AuditEvent

USER_AGENT_MAX = 300


def record_event(
    action: str,
    *,
    actor: str,
    actor_user=None,
    subject_national_id: str = "",
    request=None,
    details: dict | None = None,
) -> AuditEvent:
    ip = user_agent = None
    if request is not None:
        ip = request.META.get("REMOTE_ADDR") or None
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]
    return AuditEvent.objects.create(
        action=action,
        actor=actor[:150],
        actor_user=actor_user,
        subject_national_id=subject_national_id,
        ip=ip,
        user_agent=user_agent or "",
        details=details or {},
    )
