"""The eKonsultasjon's fee at closing, and «Betalinger»: a month's fixed fees and their CSV export.

When an eKonsultasjon a GP has answered is closed, its fee is fixed (messaging.fees.fix): the takst by when a
GP last answered, the amounts of the table it was sent with, its exemption. Closed without a GP's answer it
costs nothing and is no line in the export; opened and closed again, the fee stays as first fixed.
"""

import csv
import datetime

from django.utils import timezone

from eportal.audit.services import record_event
from eportal.clinic.models import Practitioner
from eportal.core.actor import Actor

from . import fees
from .models import Consultation, Thread

CSV_COLUMNS = [
    "sendt",
    "besvart",
    "lukket",
    "fodselsnummer",
    "etternavn",
    "fornavn",
    "lege",
    "hpr",
    "takst",
    "egenandel",
    "spesialisttillegg",
    "fakturagebyr",
    "belop",
    "fritak",
]


def note_answer(thread: Thread, at: datetime.datetime, *, by) -> None:
    """Staff user `by` answered at `at`. In an eKonsultasjon a GP's answer (a practitioner with the GP role)
    sets the takst's time and the doctor, until the fee is fixed; anyone else's (reception saying «ring oss»)
    is no consultation with a doctor, and bills nothing."""
    if thread.kind != Thread.Kind.EKONSULTASJON:
        return
    doctor = Practitioner.objects.filter(user=by, role=Practitioner.Role.GP).first() if by is not None else None
    if doctor is not None:
        Consultation.objects.filter(thread=thread, billed_at__isnull=True).update(answered_at=at, answered_by=doctor)


def fix_on_close(thread: Thread, *, actor: Actor, at: datetime.datetime) -> Consultation | None:
    """The thread (locked by the caller) is being closed: fix an answered eKonsultasjon's fee, once."""
    if thread.kind != Thread.Kind.EKONSULTASJON:
        return None
    consultation = Consultation.objects.select_for_update().filter(thread=thread).first()
    if consultation is None or consultation.billed or consultation.answered_at is None:
        return consultation
    fee = fees.fix(consultation.quote, consultation.answered_at)
    consultation.takst = fee.takst
    consultation.base_fee = fee.base
    consultation.specialist_supplement = fee.specialist_supplement
    consultation.invoice_fee = fee.invoice_fee
    consultation.amount = fee.amount
    consultation.billed_at = at
    consultation.save()
    record_event(
        "ekonsultasjon_fee_fixed",
        actor=actor,
        role="staff",
        subject_national_id=thread.patient.national_id,
        details={
            "thread": thread.pk,
            "takst": fee.takst,
            "amount": str(fee.amount),
            "exemption": consultation.exemption,
        },
    )
    return consultation


def month_bounds(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The month's start and the next month's, local time."""
    start = datetime.datetime(year, month, 1)
    following = datetime.datetime(year + (month == 12), month % 12 + 1, 1)
    return timezone.make_aware(start), timezone.make_aware(following)


def month_payments(year: int, month: int):
    """The eKonsultasjoner whose fee was fixed in the month, in order, with patient and GP (one query)."""
    start, end = month_bounds(year, month)
    return (
        Consultation.objects.filter(billed_at__gte=start, billed_at__lt=end)
        .select_related("thread__patient", "answered_by")
        .order_by("billed_at", "thread_id")
    )


def _amount(value) -> str:
    return f"{value:.2f}".replace(".", ",") if value is not None else ""


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run: one starting with = + - @ (or a tab or CR) gets a quote first."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _stamp(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


class _Echo:
    def write(self, value):
        return value


# The export's columns as read: only what it writes (no sealed subject, no fee table), no model objects.
_CSV_FIELDS = (
    "sent_at",
    "answered_at",
    "billed_at",
    "thread__patient__national_id",
    "thread__patient__last_name",
    "thread__patient__first_name",
    "answered_by__first_name",
    "answered_by__last_name",
    "answered_by__hpr_number",
    "takst",
    "base_fee",
    "specialist_supplement",
    "invoice_fee",
    "amount",
    "exemption",
)


def csv_lines(payments):
    """The export, line by line: semicolons, UTF-8, one line per consultation, no message text."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield writer.writerow(CSV_COLUMNS)
    rows = payments.values_list(*_CSV_FIELDS).iterator(chunk_size=2000)
    for sent, answered, billed, number, last, first, gp_first, gp_last, hpr, takst, *amounts, exemption in rows:
        gp = f"{gp_first} {gp_last}" if hpr else ""
        yield writer.writerow(
            [_stamp(sent), _stamp(answered), _stamp(billed), number, _cell(last), _cell(first), _cell(gp), hpr or ""]
            + [takst, *map(_amount, amounts), exemption]
        )
