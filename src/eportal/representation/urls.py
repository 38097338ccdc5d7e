"""Addresses of acting for others."""

from django.urls import path

from .views import people

app_name = "representation"

urlpatterns = [
    path("min-side/handle-for/", people.act_for, name="act-for"),
    path("min-side/handle-for/meg-selv/", people.act_for_myself, name="act-for-myself"),
]
