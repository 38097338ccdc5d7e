"""The demo's pages: the outbox of every SMS and e-mail the demo kept instead of sending."""

from django.urls import path

from . import views

urlpatterns = [
    path("demo/utboks/", views.outbox, name="demo-outbox"),
]
