"""The operator's addresses: `/healthz` (no trailing slash, as monitors and load balancers ask for it)."""

from django.urls import path

from . import views

app_name = "operations"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
