"""Threads between a patient and the clinic, their messages and attachments, and the clinic's reply templates.

Texts, subjects, attachment names and contents are stored sealed (messaging.crypto): the columns hold
`<key id>:<token>`, never readable text, and no __str__ or admin list shows them.
"""

import json
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eportal.clinic.models import ListPatient, Practitioner

from .crypto import seal, seal_text, unseal, unseal_text
from .fees import EXEMPTION_NAMES, FeeTable, Quote


class Thread(models.Model):
    """A conversation about one patient, in one of the clinic's inboxes: a practitioner's, or reception's
    (practitioner empty)."""

    class Kind(models.TextChoices):
        RECEPTION = "reception", _("Message to the clinic")
        RENEWAL = "renewal", _("Prescription renewal")
        EKONSULTASJON = "ekonsultasjon", _("eKonsultasjon")

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
    # The day the clinic promised an answer by when it was sent (working days; messaging.services.answer_by).
    answer_due = models.DateField(_("answer promised by"), null=True, blank=True)
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

    @property
    def is_overdue(self) -> bool:
        """Still waiting for the clinic after the day an answer was promised by."""
        return bool(self.waiting_since and self.answer_due and self.answer_due < timezone.localdate())


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


class Medicine(models.Model):
    """One medicine a prescription renewal asks for: name, strength, how it is taken, a note (sealed, as one
    JSON text). «Forny igjen» offers the patient's earlier ones."""

    FIELDS = ("name", "strength", "usage", "note")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="medicines")
    position = models.PositiveSmallIntegerField()
    details_sealed = models.TextField(editable=False)

    class Meta:
        verbose_name = _("medicine")
        verbose_name_plural = _("medicines")
        ordering = ["thread", "position"]

    def __str__(self):
        return f"#{self.thread_id}.{self.position}"

    @property
    def details(self) -> dict:
        data = json.loads(unseal_text(self.details_sealed, what=f"medicine {self.pk}") or "{}")
        return {field: data.get(field, "") for field in self.FIELDS}

    @details.setter
    def details(self, data: dict) -> None:
        self.details_sealed = seal_text(json.dumps({field: data.get(field, "") for field in self.FIELDS}))


class Consultation(models.Model):
    """The billing side of an eKonsultasjon: what it was sent with (the fee table, whether the GP is a
    specialist, the exemption) and, once the GP closed it, the takst and amount fixed (messaging.fees)."""

    thread = models.OneToOneField(Thread, primary_key=True, on_delete=models.PROTECT, related_name="consultation")
    sent_at = models.DateTimeField(_("sent"))
    fee_table = models.JSONField(_("fee table when sent"))
    specialist = models.BooleanField(_("GP is a specialist in general practice"))
    exemption = models.CharField(_("exemption"), max_length=30, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # The GP whose answer the takst is for (the latest before closing): the export's doctor and HPR number.
    answered_by = models.ForeignKey(
        Practitioner, verbose_name=_("answered by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    billed_at = models.DateTimeField(_("fee fixed"), null=True, blank=True)
    takst = models.CharField(_("takst"), max_length=6, blank=True)
    base_fee = models.DecimalField(_("egenandel"), max_digits=7, decimal_places=2, null=True, blank=True)
    specialist_supplement = models.DecimalField(
        _("specialist supplement"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    invoice_fee = models.DecimalField(_("invoice fee"), max_digits=7, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=7, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("eKonsultasjon")
        verbose_name_plural = _("eKonsultasjoner")
        permissions = [("see_payments", _("Can see and export the eKonsultasjon payments"))]
        indexes = [models.Index(fields=["billed_at"])]

    def __str__(self):
        return f"eKonsultasjon #{self.thread_id}"

    @property
    def quote(self) -> Quote:
        """The price as it was told when sent."""
        return Quote(FeeTable.from_json(self.fee_table), self.specialist, self.exemption)

    @property
    def exemption_name(self) -> str:
        return str(EXEMPTION_NAMES.get(self.exemption, self.exemption))

    @property
    def billed(self) -> bool:
        return self.billed_at is not None

    def total_or_zero(self) -> Decimal:
        return self.amount if self.amount is not None else Decimal(0)
