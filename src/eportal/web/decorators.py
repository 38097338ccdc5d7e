"""Who may open a page: patients, staff with a permission, or a login at a given assurance level."""

import functools

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode


def patient_required(view):
    """Logged in as a patient (staff have their own pages)."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_patient:
            return redirect("staff:home")
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(permission: str):
    """Staff who logged in with password and an authenticator code, holding `permission`."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not (user.is_authenticated and user.is_staff and user.is_verified()):
                return redirect_to_login(request.get_full_path(), reverse("accounts:staff-login"))
            if not user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def step_up_url(next_url: str, level: str) -> str:
    """BankID at `level`, then back to `next_url` in the same session."""
    return f"{reverse('accounts:bankid-start')}?{urlencode({'niva': level, 'next': next_url})}"


def requires_level(level: str):
    """A view's declared assurance level: a weaker session is sent to BankID (step-up) and back."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")
            if not request.actor.meets(level):
                return redirect(step_up_url(request.get_full_path(), level))
            return view(request, *args, **kwargs)

        wrapper.required_level = level
        return wrapper

    return decorator
