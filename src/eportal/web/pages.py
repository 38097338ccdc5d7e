"""Rendering a page with forms: its status tells the browser, the app and the tests whether it refused."""

from django import forms
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import error_status


def form_page(request, template: str, context: dict):
    """Render a page with forms: the error's status when it shows one (context["error"]), 400 when a form
    was refused, else 200."""
    error = context.get("error")
    if error:
        status = error_status(error)
    elif any(_refused(value) for value in context.values()):
        status = 400
    else:
        status = 200
    return render(request, template, context, status=status)


def _refused(value) -> bool:
    """A form, or a formset (rows of forms), that was posted and refused."""
    if isinstance(value, forms.BaseForm):
        return bool(value.errors)
    return isinstance(value, forms.BaseFormSet) and value.is_bound and not value.is_valid()


def safe_next(request) -> str:
    """The `next` address asked for, if it stays on this site; else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""
