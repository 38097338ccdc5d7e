"""The staff pages' addresses under /personale/: day list, week, online capacity, cancelling, blocking, the
message inboxes under /personale/meldinger/, the eKonsultasjon payments under /personale/betalinger/, and the
notices that did not arrive under /personale/varsler/."""

from django.urls import path

from . import inbox_views, notice_views, payment_views, views

app_name = "staff"
urlpatterns = [
    path("personale/", views.home, name="home"),
    path("personale/dagsliste/", views.day_list, name="day-list"),
    path("personale/uke/", views.week, name="week"),
    path("personale/belegg/", views.online_capacity, name="capacity"),
    path("personale/timer/<int:appointment_id>/avlys/", views.cancel, name="cancel"),
    path("personale/tider/<int:slot_id>/sperr/", views.block_slot, {"blocked": True}, name="block-slot"),
    path("personale/tider/<int:slot_id>/apne/", views.block_slot, {"blocked": False}, name="open-slot"),
    path("personale/meldinger/", inbox_views.messages_home, name="messages"),
    path("personale/meldinger/samtale/<int:thread_id>/", inbox_views.thread, name="thread"),
    path("personale/meldinger/samtale/<int:thread_id>/videresend/", inbox_views.forward, name="thread-forward"),
    path("personale/meldinger/samtale/<int:thread_id>/tildel/", inbox_views.assign, name="thread-assign"),
    path("personale/meldinger/samtale/<int:thread_id>/ferdig/", inbox_views.mark_done, name="thread-done"),
    path(
        "personale/meldinger/samtale/<int:thread_id>/avslutt/",
        inbox_views.set_closed,
        {"closed": True},
        name="thread-close",
    ),
    path(
        "personale/meldinger/samtale/<int:thread_id>/apne/",
        inbox_views.set_closed,
        {"closed": False},
        name="thread-reopen",
    ),
    path("personale/meldinger/vedlegg/<uuid:public_id>/", inbox_views.attachment, name="attachment"),
    path("personale/meldinger/<str:inbox_key>/", inbox_views.inbox, name="inbox"),
    path("personale/betalinger/", payment_views.payments, name="payments"),
    path("personale/varsler/", notice_views.undelivered, name="undelivered-notices"),
    path("personale/varsler/<int:message_id>/send-igjen/", notice_views.send_again, name="notice-send-again"),
    path("personale/varsler/<int:message_id>/fjern/", notice_views.remove, name="notice-remove"),
    path("personale/betalinger/<int:year>-<int:month>.csv", payment_views.payments_csv, name="payments-csv"),
]
