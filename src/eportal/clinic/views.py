"""The public pages: front page, «Om Klinikken» and «Hjelp»."""

from django.conf import settings
from django.shortcuts import render

from .models import Practitioner
from .selectors import get_clinic


def _paragraphs(text: str) -> list[str]:
    return [part.strip() for part in text.split("\n\n") if part.strip()]


def front(request):
    return render(request, "clinic/front.html")


def about(request):
    practitioners = Practitioner.objects.filter(active=True).exclude(role=Practitioner.Role.OTHER)
    context = {"about_paragraphs": _paragraphs(get_clinic().about_text), "practitioners": practitioners}
    return render(request, "clinic/about.html", context)


def help_page(request):
    context = {
        "help_paragraphs": _paragraphs(get_clinic().help_text),
        "sms_price": settings.EPORTAL_SMS_PRICE_NOK,
    }
    return render(request, "clinic/help.html", context)
