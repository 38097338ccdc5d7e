"""How the web shows a refusal (core.errors.UserError): one status per error code, in one place."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from eportal.core.errors import UserError

STATUS_BY_CODE = {
    "not_found": 404,
    "not_permitted": 403,
    "bankid_required": 403,
    "too_large": 413,
    "locked_out": 429,
    "provider_unavailable": 503,
    "bankid_not_configured": 503,
}


def error_status(error) -> int:
    """The HTTP status of a page that shows `error` (a UserError, or any message: 400)."""
    return STATUS_BY_CODE.get(getattr(error, "code", ""), 400)


class UserErrorMiddleware:
    """A UserError no view caught becomes a page with its Norwegian message, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, UserError):
            status = error_status(exception)
            return render(request, "error.html", {"error": exception, "status": status}, status=status)
        return None


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form that failed its CSRF check (an old page, cookies refused) gets the portal's own
    page saying what to do, never Django's technical one."""
    error = UserError(
        _("The page had expired. Go back, reload the page and try again. Your browser must accept cookies."),
        code="not_permitted",
    )
    return render(request, "error.html", {"error": error, "status": 403}, status=403)
