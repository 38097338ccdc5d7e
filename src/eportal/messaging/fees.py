"""What an eKonsultasjon costs the patient: every fee rule in one place.

The normaltariff's written consultation with the GP: takst 2ae when the GP answers in the daytime (the
clinic's daytime hours on a working day: a weekday that is not a Norwegian public holiday), 2aek at every other
time. The patient's egenandel is the clinic's amount for that takst, plus the supplement where the GP is a
specialist in general practice, plus the clinic's invoice fee if it has one. Nothing to pay for a child under
16 on the day it is sent, for a holder of frikort (the patient says so), or for the other groups the clinic
exempts. Prescription renewal costs nothing.

The price shown before sending is the table of that moment; the consultation keeps the table it was sent with
(a changed table does not change its price), and the fee is fixed when the GP closes it, from when they
answered.
"""

import dataclasses
import datetime
import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eportal.clinic.ages import age_on
from eportal.clinic.working_days import is_working_day

TAKST_DAYTIME = "2ae"
TAKST_EVENING = "2aek"
FREE_UNDER_AGE = 16

NO_EXEMPTION = ""
UNDER_16 = "under_16"
FRIKORT = "frikort"
# The groups a clinic may exempt besides children and frikort, by key (EPORTAL_EKONSULTASJON_EXEMPT_GROUPS).
EXEMPT_GROUPS = {
    "pregnancy": _("Pregnancy: the question is about the pregnancy"),
    "occupational_injury": _("An occupational injury approved by NAV, and the question is about it"),
    "infectious_disease": _("A generally dangerous infectious disease (allmennfarlig smittsom sykdom)"),
    "war_veteran": _("War pensioner or veteran with an approved injury from service"),
}
EXEMPTION_NAMES = {
    NO_EXEMPTION: _("none"),
    UNDER_16: _("child under 16"),
    FRIKORT: _("frikort"),
    **EXEMPT_GROUPS,
}


def format_nok(amount: Decimal) -> str:
    """«183 kr», «183,50 kr»: as the pages show an amount."""
    amount = Decimal(str(amount))
    whole = amount == amount.to_integral_value()
    text = f"{amount:.0f}" if whole else f"{amount:.2f}".replace(".", ",")
    return f"{text} kr"


@dataclasses.dataclass(frozen=True)
class FeeTable:
    """The clinic's amounts in kroner."""

    daytime: Decimal
    evening: Decimal
    specialist_supplement: Decimal
    invoice_fee: Decimal

    @classmethod
    def current(cls) -> "FeeTable":
        return cls(
            daytime=Decimal(str(settings.EPORTAL_EKONSULTASJON_FEE_DAYTIME_NOK)),
            evening=Decimal(str(settings.EPORTAL_EKONSULTASJON_FEE_EVENING_NOK)),
            specialist_supplement=Decimal(str(settings.EPORTAL_EKONSULTASJON_SPECIALIST_SUPPLEMENT_NOK)),
            invoice_fee=Decimal(str(settings.EPORTAL_EKONSULTASJON_INVOICE_FEE_NOK)),
        )

    def as_json(self) -> dict:
        return {field.name: str(getattr(self, field.name)) for field in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, data: dict) -> "FeeTable":
        return cls(**{field.name: Decimal(data[field.name]) for field in dataclasses.fields(cls)})


def declarable_exemptions() -> list[tuple[str, str]]:
    """What the patient may tick: frikort, then the groups the clinic exempts, as (key, label)."""
    groups = [(key, EXEMPT_GROUPS[key]) for key in settings.EPORTAL_EKONSULTASJON_EXEMPT_GROUPS]
    return [(FRIKORT, _("I have a frikort for egenandel")), *groups]


def exemption_for(national_id: str, day: datetime.date, declared: str) -> str | None:
    """The exemption that holds for a consultation about this patient sent on `day`: under 16 by the birth
    date (the 16th birthday itself pays), else what the patient declared if the clinic offers it. None: the
    declared value is not one the clinic offers."""
    if age_on(national_id, day) < FREE_UNDER_AGE:
        return UNDER_16
    if not declared:
        return NO_EXEMPTION
    if declared in dict(declarable_exemptions()):
        return declared
    return None


def is_daytime(moment: datetime.datetime) -> bool:
    """Whether the GP's answer at this moment is daytime (2ae): the daytime hours, local time, on a working day."""
    local = timezone.localtime(moment)
    start, end = settings.EPORTAL_EKONSULTASJON_DAYTIME_HOURS
    return is_working_day(local.date()) and start <= local.hour < end


@dataclasses.dataclass(frozen=True)
class Quote:
    """The price told before sending: what the patient pays if answered in the daytime or the evening."""

    table: FeeTable
    specialist: bool
    exemption: str

    @property
    def free(self) -> bool:
        return self.exemption != NO_EXEMPTION

    def fee(self, *, daytime: bool) -> "Fee":
        """The takst and what the patient pays for an answer in the daytime or not (nothing when exempt; the
        clinic still claims the takst)."""
        takst = TAKST_DAYTIME if daytime else TAKST_EVENING
        if self.free:
            return Fee(takst, Decimal(0), Decimal(0), Decimal(0))
        supplement = self.table.specialist_supplement if self.specialist else Decimal(0)
        return Fee(takst, self.table.daytime if daytime else self.table.evening, supplement, self.table.invoice_fee)

    def total(self, *, daytime: bool) -> Decimal:
        return self.fee(daytime=daytime).amount

    @property
    def daytime_total(self) -> Decimal:
        return self.total(daytime=True)

    @property
    def evening_total(self) -> Decimal:
        return self.total(daytime=False)

    @property
    def version(self) -> str:
        """A fingerprint of what the page showed (the amounts and the daytime hours), so a change between showing
        and sending is noticed."""
        hours = list(settings.EPORTAL_EKONSULTASJON_DAYTIME_HOURS)
        shown = json.dumps([self.table.as_json(), self.specialist, hours], sort_keys=True)
        return hashlib.sha256(shown.encode()).hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class Fee:
    """The fee fixed at closing."""

    takst: str
    base: Decimal
    specialist_supplement: Decimal
    invoice_fee: Decimal

    @property
    def amount(self) -> Decimal:
        return self.base + self.specialist_supplement + self.invoice_fee


def fix(quote: Quote, answered_at: datetime.datetime) -> Fee:
    """The fee fixed at closing, by when the GP answered."""
    return quote.fee(daytime=is_daytime(answered_at))


def check_exempt_groups() -> None:
    """At start: an exempt group the clinic names must be one this module knows (a typo would silently
    offer nothing)."""
    unknown = [key for key in settings.EPORTAL_EKONSULTASJON_EXEMPT_GROUPS if key not in EXEMPT_GROUPS]
    if unknown:
        raise ImproperlyConfigured(
            f"EPORTAL_EKONSULTASJON_EXEMPT_GROUPS names unknown groups: {', '.join(unknown)}; known: "
            f"{', '.join(EXEMPT_GROUPS)}"
        )
