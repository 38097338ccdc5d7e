"""The demo clinic's message inboxes: a receptionist and a GP to log in as, the clinic's reply templates, and
other patients' threads waiting in the inboxes so that a new user sees ages and counts at once."""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from eportal.clinic.models import ListPatient, Practitioner
from eportal.messaging.models import Message, ReplyTemplate, Thread

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

TEMPLATES = [
    ("Resepten er sendt", "Resepten er sendt til e-resept. Du kan hente medisinen på et apotek med legitimasjon."),
    ("Prøvesvar normalt", "Prøvesvarene dine er normale. Du trenger ikke gjøre noe mer."),
    ("Ring oss", "Vi vil gjerne snakke med deg. Ring oss i telefontiden, så finner vi en løsning."),
]

# (days waiting, practitioner's HPR or None for reception, subject, text): other patients' messages.
WAITING = [
    (1, None, "Attest til idrettslaget", "Hei! Kan jeg få en helseattest til idrettslaget? Den skal leveres fredag."),
    (3, None, "Flytte timen", "Jeg har time neste uke, men må flytte den. Kan dere ringe meg?"),
    (6, None, "Kopi av vaksinekort", "Kan jeg få en kopi av vaksinekortet mitt til jobben?"),
    (2, "9100011", "Spørsmål om blodtrykk", "Blodtrykket hjemme er 150/95 de siste dagene. Bør jeg komme inn?"),
]


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
    writers = ListPatient.objects.on_list(today).filter(gp=gp).exclude(last_name="Nordmann").order_by("pk")
    now = timezone.now()
    for (days, hpr, subject, text), patient in zip(WAITING, writers[10:], strict=False):
        sent = now - datetime.timedelta(days=days, hours=2)
        thread = Thread(
            patient=patient,
            kind=Thread.Kind.RECEPTION,
            practitioner=Practitioner.objects.get(hpr_number=hpr) if hpr else None,
            last_message_at=sent,
            waiting_since=sent,
        )
        thread.subject = subject
        thread.save()
        Thread.objects.filter(pk=thread.pk).update(created_at=sent)
        message = Message(thread=thread, author_role=Message.Role.PATIENT, author_name=patient.full_name)
        message.body = text
        message.save()
        Message.objects.filter(pk=message.pk).update(created_at=sent)
