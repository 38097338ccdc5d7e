"""Appointment types, the weekly schedule that makes slots, and the appointments booked in them.

The database holds the rule that matters most: one active appointment per slot.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from eportal.clinic.models import ListPatient, Practitioner


class AppointmentType(models.Model):
    """A kind of appointment; patients see those of booking.selectors.bookable_types() in the clinic's order
    (`position`), each with its duration and a short description."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(
        _("order"), default=100, help_text=_("Patients see the types by this number, lowest first.")
    )
    description = models.CharField(
        _("description"),
        max_length=160,
        blank=True,
        help_text=_("One short sentence patients see under the name, e.g. what the appointment is for."),
    )
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    practitioner_role = models.CharField(
        _("booked with"), max_length=10, choices=Practitioner.Role.choices, default=Practitioner.Role.GP
    )
    bookable_online = models.BooleanField(_("bookable online"), default=True)
    reason_required = models.BooleanField(_("reason required"), default=True)
    shown_to_patients = models.BooleanField(_("shown to patients"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("appointment type")
        verbose_name_plural = _("appointment types")
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=240), name="appointment_duration_sane"
            )
        ]

    def __str__(self):
        return self.name


class WeeklySchedule(models.Model):
    """A weekly block of one practitioner's time for one appointment type, cut into slots of its length."""

    practitioner = models.ForeignKey(
        Practitioner, verbose_name=_("practitioner"), on_delete=models.CASCADE, related_name="weekly_schedules"
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), choices=[(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")),
                               (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday"))]
    )  # fmt: skip
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("to"))
    appointment_type = models.ForeignKey(AppointmentType, verbose_name=_("appointment type"), on_delete=models.PROTECT)
    online = models.BooleanField(_("released for online booking"), default=True)

    class Meta:
        verbose_name = _("weekly schedule block")
        verbose_name_plural = _("weekly schedule")
        ordering = ["practitioner", "weekday", "starts"]
        constraints = [models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="schedule_block_in_order")]

    def __str__(self):
        return f"{self.practitioner} {self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class Absence(models.Model):
    """A practitioner's absence, or (no practitioner) a day the whole clinic is closed."""

    practitioner = models.ForeignKey(
        Practitioner, verbose_name=_("practitioner"), null=True, blank=True, on_delete=models.CASCADE
    )
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    note = models.CharField(_("note"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("absence or holiday")
        verbose_name_plural = _("absences and holidays")
        constraints = [models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="absence_in_order")]

    def __str__(self):
        return f"{self.practitioner or _('The clinic')} {self.first_day}–{self.last_day}"


class SlotQuerySet(models.QuerySet):
    def bookable_online(self, now):
        """Times released for online booking that have not begun. Which of them a given patient may book is
        booking.selectors.bookable_slots_for; whether one is free, free()."""
        return self.filter(online=True, blocked=False, appointment_type__bookable_online=True, starts_at__gt=now)

    def free(self, now):
        """Not booked, and not held for a patient on the waiting list."""
        taken = Appointment.objects.filter(slot=OuterRef("pk"), cancelled_at__isnull=True)
        held = WaitlistOffer.objects.holding(now).filter(slot=OuterRef("pk"))
        return self.exclude(Exists(taken)).exclude(Exists(held))


class Slot(models.Model):
    practitioner = models.ForeignKey(
        Practitioner, verbose_name=_("practitioner"), on_delete=models.CASCADE, related_name="slots"
    )
    appointment_type = models.ForeignKey(AppointmentType, verbose_name=_("appointment type"), on_delete=models.PROTECT)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    online = models.BooleanField(_("released for online booking"), default=True)
    blocked = models.BooleanField(_("blocked"), default=False)

    objects = SlotQuerySet.as_manager()

    class Meta:
        verbose_name = _("time slot")
        verbose_name_plural = _("time slots")
        constraints = [
            models.UniqueConstraint(fields=["practitioner", "starts_at"], name="one_slot_per_practitioner_and_time"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="slot_in_order"),
        ]
        indexes = [
            models.Index(fields=["appointment_type", "starts_at"]),
            # The free-time page: one GP's (or the nurses') coming times of one type, in time order. With the
            # type in the index the database walks those alone instead of every practitioner's times of the
            # type (which grew with the clinic: bench/README.md, appointment pages).
            models.Index(fields=["practitioner", "appointment_type", "starts_at"], name="slot_practitioner_type_time"),
        ]

    def __str__(self):
        return f"{self.practitioner} {self.starts_at:%Y-%m-%d %H:%M}"


class Appointment(models.Model):
    slot = models.ForeignKey(Slot, verbose_name=_("time"), on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(
        ListPatient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="appointments"
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("booked by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("booked appointment")
        verbose_name_plural = _("booked appointments")
        constraints = [
            # The rule that matters most lives in the database: one active appointment per slot.
            models.UniqueConstraint(
                fields=["slot"], condition=Q(cancelled_at__isnull=True), name="one_active_appointment_per_slot"
            )
        ]
        indexes = [models.Index(fields=["patient", "cancelled_at"])]

    def __str__(self):
        return f"{self.slot} ({self.patient})"


class WaitlistEntry(models.Model):
    """«Gi meg beskjed om en tidligere time»: the patient of a booked appointment wants an earlier time of
    the same type with the same practitioner. Ends when they take one, leave the list or the appointment
    is cancelled or over."""

    appointment = models.ForeignKey(
        Appointment, verbose_name=_("booked appointment"), on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"], condition=Q(ended_at__isnull=True), name="one_open_waitlist_entry"
            )
        ]

    def __str__(self):
        return f"{self.appointment} ({self.created_at:%Y-%m-%d %H:%M})"


class WaitlistOfferQuerySet(models.QuerySet):
    def holding(self, now):
        """Offers that hold their time now: open and not run out."""
        return self.filter(status=WaitlistOffer.Status.OPEN, expires_at__gt=now)


class WaitlistOffer(models.Model):
    """A freed time held for the first on the waiting list until `expires_at`."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        TAKEN = "taken", _("taken")
        DECLINED = "declined", _("declined")
        EXPIRED = "expired", _("expired")
        WITHDRAWN = "withdrawn", _("withdrawn")

    entry = models.ForeignKey(
        WaitlistEntry, verbose_name=_("waiting list entry"), on_delete=models.CASCADE, related_name="offers"
    )
    slot = models.ForeignKey(Slot, verbose_name=_("time"), on_delete=models.CASCADE, related_name="offers")
    offered_at = models.DateTimeField(_("offered at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("held until"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    objects = WaitlistOfferQuerySet.as_manager()

    class Meta:
        verbose_name = _("offer from the waiting list")
        verbose_name_plural = _("offers from the waiting list")
        constraints = [
            # A freed time is held for one patient at a time.
            models.UniqueConstraint(fields=["slot"], condition=Q(status="open"), name="one_open_offer_per_slot")
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self):
        return f"{self.slot} ({self.get_status_display()})"
