from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/bare/", views.bare),
    path("", include("eportal.urls")),
]
