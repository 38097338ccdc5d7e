"""The patient's message pages: «Meldinger», «Ny melding», a conversation, an attachment, «Reseptfornyelse»,
«eKonsultasjon»."""

from django.urls import path

from . import consultation_views, renewal_views, views

app_name = "messaging"
urlpatterns = [
    path("meldinger/", views.threads, name="threads"),
    path("meldinger/ny/", views.new_message, name="new"),
    path("meldinger/<int:thread_id>/", views.thread, name="thread"),
    path("meldinger/vedlegg/<uuid:public_id>/", views.attachment, name="attachment"),
    path("reseptfornyelse/", renewal_views.renewal, name="renewal"),
    path("ekonsultasjon/", consultation_views.check, name="ekonsultasjon"),
    path("ekonsultasjon/skjema/", consultation_views.form, name="ekonsultasjon-form"),
]
