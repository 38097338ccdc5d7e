"""The demo clinic's message inboxes: a receptionist and a GP to log in as, the clinic's reply templates, and
other patients' threads waiting in the inboxes so that a new user sees ages and counts at once."""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from eportal.clinic.models import ListPatient, Practitioner
from eportal.core.actor import system_actor
from eportal.messaging import services
from eportal.messaging.fees import FeeTable
from eportal.messaging.models import Consultation, Medicine, Message, ReplyTemplate, Thread

RECEPTIONIST_USERNAME = "resepsjon"
GP_USERNAME = "lege"

GROUPS = {
    "Resepsjon": [
        "messaging.view_thread",
        "messaging.read_reception_inbox",
        "booking.view_appointment",
        "booking.change_appointment",
    ],
    "Lege": ["messaging.view_thread", "booking.view_appointment"],
}

# «Resepten er sendt» comes with every clinic (messaging's migration 0002).
TEMPLATES = [
    ("Prøvesvar normalt", "Prøvesvarene dine er normale. Du trenger ikke gjøre noe mer."),
    ("Ring oss", "Vi vil gjerne snakke med deg. Ring oss i telefontiden, så finner vi en løsning."),
]

R, P, E = Thread.Kind.RECEPTION, Thread.Kind.RENEWAL, Thread.Kind.EKONSULTASJON
# (days waiting, kind, subject, text): other patients' messages; renewals and eKonsultasjoner go to the GP.
WAITING = [
    (1, R, "Attest til idrettslaget", "Hei! Kan jeg få en helseattest til idrettslaget? Den skal leveres fredag."),
    (3, R, "Flytte timen", "Jeg har time neste uke, men må flytte den. Kan dere ringe meg?"),
    (6, R, "Kopi av vaksinekort", "Kan jeg få en kopi av vaksinekortet mitt til jobben?"),
    (2, E, "Blodtrykk hjemme", "Blodtrykket hjemme er 150/95 de siste dagene. Bør jeg komme inn?"),
    (7, E, "Eksem i hendene", "Eksemet i hendene er blitt verre etter at jeg begynte i ny jobb. Hva kan jeg gjøre?"),
    (1, P, "Reseptfornyelse: Levaxin", "1. Levaxin 50 mikrogram: 1 tablett om morgenen"),
]
# Answered and closed this month: the lines of «Betalinger» (days ago, subject, exemption).
CLOSED = [(1, "Hoste etter forkjølelse", ""), (2, "Vorte på foten", "frikort"), (3, "Søvnproblemer", "")]


def seed_messages(*, password: str, totp_key_hex: str, today: datetime.date) -> None:
    """Staff users for the inboxes (idempotent), the reply templates, and a few waiting threads once."""
    users = get_user_model()
    gp = Practitioner.objects.get(hpr_number="9100011")
    for username, group_name, first, last in (
        (RECEPTIONIST_USERNAME, "Resepsjon", "Rita", "Resepsjon"),
        (GP_USERNAME, "Lege", gp.first_name, gp.last_name),
    ):
        group, _ = Group.objects.get_or_create(name=group_name)
        for permission in GROUPS[group_name]:
            app_label, codename = permission.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        user = users.objects.filter(username=username).first()
        if user is None:
            user = users.objects.create_user(
                username, password=password, is_staff=True, first_name=first, last_name=last
            )
        user.groups.add(group)
        TOTPDevice.objects.get_or_create(user=user, name="demo", defaults={"key": totp_key_hex, "confirmed": True})
        if username == GP_USERNAME and gp.user_id is None:
            gp.user = user
            gp.save(update_fields=["user"])
    for title, text in TEMPLATES:
        ReplyTemplate.objects.get_or_create(title=title, defaults={"text": text})
    if Thread.objects.exists():
        return
    writers = list(ListPatient.objects.on_list(today).filter(gp=gp).exclude(last_name="Nordmann").order_by("pk"))
    now = timezone.now()
    for (days, kind, subject, text), patient in zip(WAITING, writers[10:], strict=False):
        sent = now - datetime.timedelta(days=days, hours=2)
        thread = _thread(patient, kind, subject, text, sent, gp=None if kind == R else gp)
        if kind == P:
            medicine = Medicine(thread=thread, position=1)
            medicine.details = {"name": "Levaxin", "strength": "50 mikrogram", "usage": "1 tablett om morgenen"}
            medicine.save()
    gp_user = users.objects.get(username=GP_USERNAME)
    for (days, subject, exemption), patient in zip(CLOSED, writers[20:], strict=False):
        answered = now - datetime.timedelta(days=days)
        thread = _thread(patient, E, subject, "Jeg lurer på om dette går over av seg selv.", answered, gp=gp)
        Consultation.objects.filter(thread=thread).update(exemption=exemption)
        services.reply(
            actor=system_actor(user=gp_user, operator="demo"),
            thread_id=thread.pk,
            body="Takk for meldingen. Dette går som regel over av seg selv; ta kontakt om det ikke blir bedre.",
            close=True,
        )


def _thread(patient, kind, subject, text, sent, *, gp) -> Thread:
    """A thread from the patient sent at `sent`, waiting (an eKonsultasjon with the price of today's table)."""
    thread = Thread(
        patient=patient,
        kind=kind,
        practitioner=gp,
        last_message_at=sent,
        waiting_since=sent,
        answer_due=services.answer_by(sent),
    )
    thread.subject = subject
    thread.save()
    Thread.objects.filter(pk=thread.pk).update(created_at=sent)
    message = Message(thread=thread, author_role=Message.Role.PATIENT, author_name=patient.full_name)
    message.body = text
    message.save()
    Message.objects.filter(pk=message.pk).update(created_at=sent)
    if kind == E:
        Consultation.objects.create(
            thread=thread, sent_at=sent, fee_table=FeeTable.current().as_json(), specialist=gp.specialist, exemption=""
        )
    return thread
