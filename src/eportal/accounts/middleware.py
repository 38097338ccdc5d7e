"""Session rules for logged-in people: 12 hours at most, ended sessions really end, and personal
pages are never stored by browsers or proxies."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from eportal.web.actor import login_facts

from . import oidc
from .models import AccountSession

LAST_SEEN_RESOLUTION_SECONDS = 60


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not self._session_is_valid(request):
            logout(request)
            messages.info(request, _("You have been logged out. Log in again to continue."))
            return redirect(settings.LOGIN_URL)
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)  # Cache-Control: no-store on everything a logged-in person sees
            if login_facts(request).get("id_token"):
                # The logout form is followed to the provider's end-session page: let the CSP allow that.
                origin = oidc.end_session_origin()
                if origin:
                    response._csp_update = {"form-action": [origin]}
        return response

    @staticmethod
    def _session_is_valid(request) -> bool:
        auth = login_facts(request)
        if not auth or time.time() - auth.get("at", 0) > settings.EPORTAL_SESSION_ABSOLUTE_SECONDS:
            return False
        # Ended elsewhere («Min side», a password change) means this row is gone: one read by its unique key.
        listed = AccountSession.objects.filter(session_key=request.session.session_key)
        last_seen_at = listed.values_list("last_seen_at", flat=True).first()
        if last_seen_at is None:
            return False
        now = timezone.now()
        if (now - last_seen_at).total_seconds() > LAST_SEEN_RESOLUTION_SECONDS:
            listed.update(last_seen_at=now)
        return True
