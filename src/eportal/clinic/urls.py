"""The public pages' addresses: the front page, «Om Klinikken» and «Hjelp»."""

from django.urls import path

from . import views

app_name = "clinic"
urlpatterns = [
    path("", views.front, name="front"),
    path("om-klinikken/", views.about, name="about"),
    path("hjelp/", views.help_page, name="help"),
]
