"""How the web shows a refusal (core.errors.UserError): one status per error code, in one place; and a request
the database could not answer (down, restarting): a 503 page that needs no database."""

import logging
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _

from eportal.core.errors import DATABASE_UNAVAILABLE, UserError, database_failure

logger = logging.getLogger("eportal.web")

UNAVAILABLE_RETRY_AFTER_SECONDS = 5
_FAILURE_ATTRIBUTE = "_eportal_database_unavailable"

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


def database_unavailable(request, exc) -> HttpResponse:
    """The 503 page for a request the database could not answer, logged in one line (the error's kind and the
    driver's first line: no query, no values). Rendered without the request, so without the context processors,
    which read the clinic's row from the database."""
    logger.warning("database unavailable, answered 503: %s", database_failure(exc))
    with translation.override(getattr(request, "LANGUAGE_CODE", None) or settings.LANGUAGE_CODE):
        body = loader.get_template("unavailable.html").render({})
    response = HttpResponse(body, status=503)
    # Outside the middleware that would add them (it may be where the database failed): the same rules by hand.
    response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "DENY"
    response["Content-Security-Policy"] = (
        "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    response._has_been_logged = True  # the line above says it; Django would log the 503 once more
    return response


@receiver(got_request_exception)
def _note_database_failure(sender, request=None, **kwargs):
    """Django turns an error raised in a middleware into a 500 at that middleware; the request remembers that it
    was the database, for DatabaseUnavailableMiddleware on the way out."""
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, DATABASE_UNAVAILABLE):
        setattr(request, _FAILURE_ATTRIBUTE, exc)


class _DatabaseOutageRecords(logging.Filter):
    """On django.request: its «Internal Server Error» record (with a traceback) of a database failure, which
    DatabaseUnavailableMiddleware answers and logs itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DATABASE_UNAVAILABLE))


class DatabaseUnavailableMiddleware:
    """Early in MIDDLEWARE (before the session and the user are loaded): a request that failed because the
    database is not answering, in a view or in any middleware after this one, gets the 503 page (Retry-After),
    never a 500. With CONN_HEALTH_CHECKS the next request after the database is back reconnects by itself."""

    def __init__(self, get_response):
        self.get_response = get_response
        request_logger = logging.getLogger("django.request")
        if not any(isinstance(found, _DatabaseOutageRecords) for found in request_logger.filters):
            request_logger.addFilter(_DatabaseOutageRecords())

    def __call__(self, request):
        response = self.get_response(request)
        exc = getattr(request, _FAILURE_ATTRIBUTE, None)
        if exc is not None and response.status_code == 500:
            return database_unavailable(request, exc)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return database_unavailable(request, exception)
        return None
