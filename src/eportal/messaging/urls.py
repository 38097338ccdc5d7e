"""The patient's message pages: «Meldinger», «Ny melding», a conversation, an attachment."""

from django.urls import path

from . import views

app_name = "messaging"
urlpatterns = [
    path("meldinger/", views.threads, name="threads"),
    path("meldinger/ny/", views.new_message, name="new"),
    path("meldinger/<int:thread_id>/", views.thread, name="thread"),
    path("meldinger/vedlegg/<uuid:public_id>/", views.attachment, name="attachment"),
]
