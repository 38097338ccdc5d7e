"""The clinic's registry. The journal system (EPJ) is the source; the portal never trusts a number a
user typed over the one registered here."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eportal.identity.fields import MobileNumberField, NationalIdField
from eportal.identity.national_id import masked


def person_name(first_name: str, last_name: str) -> str:
    """How a person's name is written («Kari Nordmann»): a practitioner's and a patient's full_name, and pages
    that read names as rows without model instances."""
    return f"{first_name} {last_name}"


class Clinic(models.Model):
    """The one clinic this installation serves (one row; several clinics run several installations)."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    name = models.CharField(_("name"), max_length=120)
    street_address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=4, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    opening_hours = models.TextField(_("opening hours"), blank=True, help_text=_("One line per day or period."))
    about_text = models.TextField(_("text for “About the clinic”"), blank=True)
    help_text = models.TextField(_("text for “Help”"), blank=True)

    class Meta:
        verbose_name = _("clinic")
        verbose_name_plural = _("clinic")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="clinic_single_row")]

    def __str__(self):
        return self.name

    @property
    def opening_hours_lines(self):
        return [line for line in self.opening_hours.splitlines() if line.strip()]


class ClosedDay(models.Model):
    """A weekday the clinic is closed besides the public holidays (e.g. «Romjulen», an inventory day): no
    times are made that day, and its free times are withdrawn (booking.services.closed_days)."""

    date = models.DateField(_("date"), unique=True)
    reason = models.CharField(_("reason"), max_length=100, help_text=_("Staff see it, e.g. «Romjulen»."))

    class Meta:
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%d.%m.%Y} {self.reason}"


class Practitioner(models.Model):
    class Role(models.TextChoices):
        GP = "gp", _("GP")
        NURSE = "nurse", _("nurse")
        OTHER = "other", _("other health personnel")

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    hpr_number = models.CharField(
        _("HPR number"),
        max_length=9,
        unique=True,
        help_text=_("The number in the Norwegian Health Personnel Register."),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.GP)
    has_patient_list = models.BooleanField(_("has a patient list"), default=False)
    specialist = models.BooleanField(
        _("specialist in general practice"),
        default=False,
        help_text=_("The patient pays the specialist supplement for an eKonsultasjon with this GP."),
    )
    active = models.BooleanField(_("active"), default=True)
    # The practitioner's own staff login: it reads and answers their inbox.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="practitioner",
        limit_choices_to={"is_staff": True},  # a patient's user (named by their fødselsnummer) is never offered
        help_text=_("The practitioner's staff login, which reads and answers their message inbox."),
    )

    class Meta:
        verbose_name = _("practitioner")
        verbose_name_plural = _("practitioners")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(condition=Q(hpr_number__regex=r"^[0-9]{6,9}$"), name="hpr_number_digits"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        return person_name(self.first_name, self.last_name)

    full_name.fget.short_description = _("name")  # the admin's column header


class ListPatientQuerySet(models.QuerySet):
    def on_list(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.filter(Q(on_list_to__isnull=True) | Q(on_list_to__gt=on), on_list_from__lte=on)


class ListPatient(models.Model):
    """A person on the clinic's list, as the journal system knows them."""

    national_id = NationalIdField(_("national identity number"), unique=True)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    gp = models.ForeignKey(Practitioner, verbose_name=_("GP"), on_delete=models.PROTECT, related_name="list_patients")
    mobile = MobileNumberField(_("registered mobile"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    on_list_from = models.DateField(_("on the list from"), default=timezone.localdate)
    on_list_to = models.DateField(_("on the list until"), null=True, blank=True)
    withheld_from_guardians = models.BooleanField(
        _("withheld from guardians"),
        default=False,
        help_text=_(
            "The child's information is not shown to guardians (the child has reasons the law respects, or there "
            "are weighty reasons). Ends guardians' access in the portal at once."
        ),
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = ListPatientQuerySet.as_manager()

    class Meta:
        verbose_name = _("patient on the list")
        verbose_name_plural = _("patients on the list")
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["gp", "last_name"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(on_list_to__isnull=True) | Q(on_list_to__gte=models.F("on_list_from")),
                name="list_period_in_order",
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        return person_name(self.first_name, self.last_name)

    full_name.fget.short_description = _("name")  # the admin's column header

    def is_on_list(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.on_list_from <= on and (self.on_list_to is None or self.on_list_to > on)


class Guardianship(models.Model):
    """A guardian registered on a child, with the mobile the clinic registered for that guardian."""

    child = models.ForeignKey(
        ListPatient, verbose_name=_("child"), on_delete=models.CASCADE, related_name="guardianships"
    )
    guardian_national_id = NationalIdField(_("guardian's national identity number"))
    guardian_mobile = MobileNumberField(_("guardian's mobile"))
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)

    class Meta:
        verbose_name = _("parental responsibility")
        verbose_name_plural = _("parental responsibility")
        constraints = [
            models.UniqueConstraint(fields=["child", "guardian_national_id"], name="one_row_per_guardian"),
        ]
        indexes = [models.Index(fields=["guardian_national_id"])]

    def __str__(self):
        return f"{masked(self.guardian_national_id)} → {self.child}"


class ProxyQuerySet(models.QuerySet):
    def in_force(self, on: datetime.date | None = None):
        """Fullmakter that hold on the day: begun, not past their end date, not ended."""
        on = on or timezone.localdate()
        return self.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=on), valid_from__lte=on, ended_at__isnull=True
        )


class Proxy(models.Model):
    """Fullmakt: a patient (16 or older) lets another adult (18 or older) use the portal's services for
    them, until an end date or until either ends it. Given online with BankID, or registered by the clinic
    from a signed form."""

    class Source(models.TextChoices):
        ONLINE = "online", _("given online with BankID")
        CLINIC = "clinic", _("registered by the clinic from a signed form")

    giver = models.ForeignKey(
        ListPatient, verbose_name=_("given by"), on_delete=models.CASCADE, related_name="proxies_given"
    )
    proxy_national_id = NationalIdField(_("proxy's national identity number"))
    proxy_name = models.CharField(_("proxy's name"), max_length=200)
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Empty: until ended."))
    source = models.CharField(_("given"), max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    objects = ProxyQuerySet.as_manager()

    class Meta:
        verbose_name = _("power of attorney")
        verbose_name_plural = _("powers of attorney")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["giver", "proxy_national_id"],
                condition=Q(ended_at__isnull=True),
                name="one_open_proxy_per_pair",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="proxy_period_in_order",
            ),
        ]
        indexes = [models.Index(fields=["proxy_national_id"])]

    def __str__(self):
        return f"{self.giver} → {self.proxy_name}"

    @property
    def masked_proxy_national_id(self) -> str:
        return masked(self.proxy_national_id)
