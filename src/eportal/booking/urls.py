"""The booking pages' addresses: «Bestill time», «Mine timer», cancelling, calendar files, the waiting list."""

from django.urls import path

from . import views

app_name = "booking"
urlpatterns = [
    path("timer/", views.my_appointments, name="mine"),
    path("timer/bestill/", views.choose_type, name="choose-type"),
    path("timer/bestill/<int:type_id>/", views.choose_time, name="choose-time"),
    path("timer/bestill/tid/<int:slot_id>/", views.confirm, name="confirm"),
    path("timer/<int:appointment_id>/bestilt/", views.booked, name="booked"),
    path("timer/<int:appointment_id>/avbestill/", views.cancel, name="cancel"),
    path("timer/<int:appointment_id>/avbestilt/", views.cancelled, name="cancelled"),
    path("timer/<int:appointment_id>/kalender.ics", views.calendar_file, name="ics"),
    path("timer/<int:appointment_id>/venteliste/", views.join_waitlist, name="join-waitlist"),
    path("timer/<int:appointment_id>/venteliste/forlat/", views.leave_waitlist, name="leave-waitlist"),
    path("timer/tilbud/<int:offer_id>/", views.offer, name="offer"),
    path("timer/tilbud/<int:offer_id>/nei/", views.decline_offer, name="decline-offer"),
]
