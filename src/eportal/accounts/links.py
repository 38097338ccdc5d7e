"""Links sent by e-mail: the account's id and a state token in the path, under the portal's public address."""

from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from eportal.core.public_url import public_url

from .models import User


def link(url_name: str, user: User, token) -> str:
    """A full link to `url_name` for this account, carrying a fresh `token` (a tokens.StateToken)."""
    return public_url(reverse(url_name, args=[urlsafe_base64_encode(force_bytes(user.pk)), token.make(user)]))


def user_from_link(uidb64: str) -> User | None:
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return User.objects.filter(pk=pk, national_id__isnull=False).first()
