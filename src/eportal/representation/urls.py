"""Addresses of acting for others: choosing whom to act for, «Fullmakter» and «Hvem har sett opplysningene
mine»."""

from django.urls import path

from .views import access_log, people, proxies

app_name = "representation"

urlpatterns = [
    path("min-side/handle-for/", people.act_for, name="act-for"),
    path("min-side/handle-for/meg-selv/", people.act_for_myself, name="act-for-myself"),
    path("min-side/fullmakter/", proxies.proxies, name="proxies"),
    path("min-side/fullmakter/<int:proxy_id>/avslutt/", proxies.end, name="proxy-end"),
    path("min-side/logg/", access_log.access_log, name="access-log"),
]
