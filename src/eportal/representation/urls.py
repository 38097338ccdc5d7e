"""Addresses of acting for others."""

from django.urls import path

from .views import access_log, people

app_name = "representation"

urlpatterns = [
    path("min-side/handle-for/", people.act_for, name="act-for"),
    path("min-side/handle-for/meg-selv/", people.act_for_myself, name="act-for-myself"),
    path("min-side/logg/", access_log.access_log, name="access-log"),
]
