"""A request body larger than any of the portal's forms takes is refused before anything reads it."""

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _

from eportal.core.errors import UserError


class RequestSizeLimitMiddleware:
    """Refuse (413) a body over EPORTAL_MAX_REQUEST_BYTES by its declared length. It runs before any view and
    before CsrfViewMiddleware.process_view, which would otherwise parse a whole multipart upload to disk first.
    A body without a declared length is read as empty by Django, so it cannot slip past."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = request.META.get("CONTENT_LENGTH") or ""
        if length and (not length.isdigit() or int(length) > settings.EPORTAL_MAX_REQUEST_BYTES):
            megabytes = settings.EPORTAL_MAX_REQUEST_BYTES // (1024 * 1024)
            error = UserError(
                _("What you sent is too large: at most %(megabytes)d MB in all. Send fewer or smaller files.")
                % {"megabytes": megabytes},
                code="too_large",
            )
            return render(request, "error.html", {"error": error, "status": 413}, status=413)
        return self.get_response(request)
