"""The staff pages' addresses under /personale/: day list, week, online capacity, cancelling, blocking."""

from django.urls import path

from . import views

app_name = "staff"
urlpatterns = [
    path("personale/", views.home, name="home"),
    path("personale/dagsliste/", views.day_list, name="day-list"),
    path("personale/uke/", views.week, name="week"),
    path("personale/belegg/", views.online_capacity, name="capacity"),
    path("personale/timer/<int:appointment_id>/avlys/", views.cancel, name="cancel"),
    path("personale/tider/<int:slot_id>/sperr/", views.block_slot, {"blocked": True}, name="block-slot"),
    path("personale/tider/<int:slot_id>/apne/", views.block_slot, {"blocked": False}, name="open-slot"),
]
