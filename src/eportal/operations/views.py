"""`/healthz`: the portal's health as JSON for a monitor or a load balancer, 200 when all is well, else 503.

No login, no session, no CSRF cookie, nothing personal (operations.health says what is checked). It answers on
plain HTTP too (SECURE_REDIRECT_EXEMPT), so a check on loopback needs no TLS; it still needs a Host header that
ALLOWED_HOSTS accepts: `curl -H 'Host: portal.example.no' http://127.0.0.1:8000/healthz`.
"""

import logging

from django.http import JsonResponse
from django.views.decorators.http import require_safe

from .health import check_health

logger = logging.getLogger(__name__)


@require_safe
def healthz(request):
    """GET or HEAD; the answer is never stored by a cache, so every check sees the portal as it is now."""
    health = check_health()
    if not health["ok"]:
        failed = sorted(name for name, check in health["checks"].items() if not check["ok"])
        logger.warning("health check: not ok: %s", ", ".join(failed))
    response = JsonResponse(health, status=200 if health["ok"] else 503)
    response["Cache-Control"] = "no-store"
    return response
