from django.http import HttpResponse
from django.template.loader import get_template

from eportal.clinic.models import Clinic


def bare(request):
    """The yardstick: one query and one small template render, behind the same middleware as every page."""
    clinic = Clinic.objects.get(pk=Clinic.SINGLETON_ID)
    return HttpResponse(get_template("bench/bare.html").render({"clinic": clinic}))
