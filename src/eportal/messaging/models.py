"""Threads between a patient and the clinic, their messages and attachments, and the clinic's reply templates.

Texts, subjects, attachment names and contents are stored sealed (messaging.crypto): the columns hold
`<key id>:<token>`, never readable text, and no __str__ or admin list shows them.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eportal.clinic.models import ListPatient, Practitioner

from .crypto import seal, seal_text, unseal, unseal_text


class Thread(models.Model):
    """A conversation about one patient, in one of the clinic's inboxes: a practitioner's, or reception's
    (practitioner empty)."""

    class Kind(models.TextChoices):
        RECEPTION = "reception", _("Message to the clinic")

    patient = models.ForeignKey(
        ListPatient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="threads"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    subject_sealed = models.TextField(editable=False)
    practitioner = models.ForeignKey(
        Practitioner,
        verbose_name=_("inbox"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="threads",
        help_text=_("Empty: the reception inbox."),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_threads",
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    last_message_at = models.DateTimeField(_("last message"))
    # Set while the patient's side waits for the clinic (their message is the last, not marked done).
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed to replies"), null=True, blank=True)
    # The clinic's answers not yet told to the patient: set by the first, cleared when the notice goes.
    notice_due_since = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("message thread")
        verbose_name_plural = _("message threads")
        permissions = [
            ("read_reception_inbox", _("Can read and answer the reception inbox")),
            ("read_all_inboxes", _("Can read and answer every inbox")),
        ]
        indexes = [
            models.Index(fields=["patient", "-last_message_at"]),
            models.Index(fields=["practitioner", "waiting_since"]),
            # Reception's queue: PostgreSQL does not use the index above for `practitioner IS NULL` in order.
            models.Index(
                fields=["waiting_since", "id"],
                condition=Q(practitioner__isnull=True, waiting_since__isnull=False),
                name="thread_reception_waiting",
            ),
            models.Index(fields=["practitioner", "-last_message_at"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def subject(self) -> str:
        return unseal_text(self.subject_sealed, what=f"thread {self.pk} subject")

    @subject.setter
    def subject(self, text: str) -> None:
        self.subject_sealed = seal_text(text)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Message(models.Model):
    """One message in a thread, by the patient's side (the patient, a guardian, a proxy) or the clinic."""

    class Role(models.TextChoices):
        PATIENT = "patient", _("patient")
        GUARDIAN = "guardian", _("guardian")
        PROXY = "proxy", _("power of attorney")
        STAFF = "staff", _("the clinic")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_role = models.CharField(_("written by"), max_length=10, choices=Role.choices)
    # The writer's name as it was when writing (a staff member's, or the person acting for the patient).
    author_name = models.CharField(_("name"), max_length=200)
    body_sealed = models.TextField(editable=False)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    read_by_clinic_at = models.DateTimeField(_("read by the clinic"), null=True, blank=True)
    read_by_patient_at = models.DateTimeField(_("read by the patient"), null=True, blank=True)
    # The form's one-time id: a second submit of the same form finds this message instead of a copy.
    submit_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["thread", "created_at"]),
            # The staff's count of new messages reads only these: the patient side's that the clinic has not read
            # (the clinic's own messages are never "read by the clinic", so they are left out by the condition).
            models.Index(
                fields=["thread"],
                condition=Q(read_by_clinic_at__isnull=True, author_role__in=["patient", "guardian", "proxy"]),
                name="message_unread_by_clinic",
            ),
        ]

    def __str__(self):
        return f"{self.get_author_role_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def from_clinic(self) -> bool:
        return self.author_role == self.Role.STAFF

    @property
    def body(self) -> str:
        return unseal_text(self.body_sealed, what=f"message {self.pk}")

    @body.setter
    def body(self, text: str) -> None:
        self.body_sealed = seal_text(text)


class Attachment(models.Model):
    """A photo or PDF sent with a message: checked, re-encoded where an image, sealed, kept in the database
    (so several app servers need no shared disk, and a backup holds it with its message)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    name_sealed = models.TextField(editable=False)
    data_sealed = models.TextField(editable=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=["image/jpeg", "image/png", "application/pdf"]),
                name="attachment_type_allowed",
            )
        ]

    def __str__(self):
        return f"{self.content_type} {self.size} B"

    @property
    def name(self) -> str:
        return unseal_text(self.name_sealed, what=f"attachment {self.pk} name")

    @property
    def data(self) -> bytes:
        return unseal(self.data_sealed, what=f"attachment {self.pk}")

    def fill(self, *, name: str, data: bytes, content_type: str) -> None:
        self.name_sealed = seal_text(name)
        self.data_sealed = seal(data)
        self.size = len(data)
        self.content_type = content_type


class ReplyTemplate(models.Model):
    """A text the clinic often answers with, picked when replying (kept in the admin)."""

    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("text"))
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["title"]

    def __str__(self):
        return self.title
