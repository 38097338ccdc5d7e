"""What django-axes stores about a failed login: a keyed hash of the personnummer, never the number."""

from django.utils.crypto import salted_hmac


def username_key(request, credentials) -> str:
    username = (credentials or {}).get("username") or request.POST.get("national_id") or request.POST.get("username")
    if not username:
        return ""
    return salted_hmac("eportal.accounts.lockout", str(username)).hexdigest()[:40]
