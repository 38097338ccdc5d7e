"""«Betalinger»: the month's eKonsultasjoner whose fee the GP fixed by closing them, on a staff page and as CSV
for the clinic's accounting. Only for staff with `messaging.see_payments`; every patient shown or exported is
in the audit log; the export carries no message text and nothing a spreadsheet would run.

The fee is fixed when the GP closes; with no clock to move, a test moves the moment it was fixed (`billed_at`)
into the month it is about."""

import csv
import datetime
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from eportal.accounts.models import User
from eportal.audit.models import AuditEvent
from eportal.core.actor import Actor
from eportal.messaging import billing, services
from eportal.messaging.models import Consultation
from tests import factories
from tests.helpers import client_for, make_staff

OSLO = ZoneInfo("Europe/Oslo")
PAGE = "/personale/betalinger/"
NOVEMBER = "2026-11"
NOVEMBER_CSV = "/personale/betalinger/2026-11.csv"


def oslo(year, month, day, hour, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=OSLO)


@pytest.fixture(autouse=True)
def fee_table(settings):
    settings.EPORTAL_EKONSULTASJON_FEE_DAYTIME_NOK = Decimal("183")
    settings.EPORTAL_EKONSULTASJON_FEE_EVENING_NOK = Decimal("293")
    settings.EPORTAL_EKONSULTASJON_SPECIALIST_SUPPLEMENT_NOK = Decimal("61")
    settings.EPORTAL_EKONSULTASJON_INVOICE_FEE_NOK = Decimal("0")
    settings.EPORTAL_EKONSULTASJON_DAYTIME_HOURS = (8, 16)
    return settings


@pytest.fixture
def clinic(family):
    """The family's GP with her staff login (she answers and closes), the bookkeeper who sees payments, and a
    receptionist who does not."""
    gp_user = User.objects.create_user("ingrid", is_staff=True, first_name="Ingrid", last_name="Haugen")
    family["gp"].user = gp_user
    family["gp"].save()
    return {
        **family,
        "gp_actor": Actor(user=gp_user),
        "bookkeeper": make_staff("berit", "see_payments", first_name="Berit", last_name="Bokfører"),
        "receptionist": make_staff("rita", "view_thread", "read_reception_inbox", first_name="Rita"),
    }


def patient(clinic, first_name="Kari", last_name="Nordmann", **fields):
    return factories.list_patient(clinic["gp"], first_name=first_name, last_name=last_name, **fields)


sent = factories.sent_ekonsultasjon


def billed(clinic, who, *, fixed_at=None, answered=None, reply="Smør med krem.", **sending) -> Consultation:
    """An eKonsultasjon `who` sent, answered at `answered` (a Wednesday at ten) and closed by the GP; its fee
    counted as fixed at `fixed_at` (15 November 2026, noon)."""
    thread = sent(who, **sending)
    services.reply(actor=clinic["gp_actor"], thread_id=thread.pk, body=reply)
    billing.note_answer(thread, answered or oslo(2026, 11, 11, 10), by=clinic["gp_actor"].user)
    services.set_closed(actor=clinic["gp_actor"], thread_id=thread.pk, closed=True)
    consultation = Consultation.objects.filter(thread=thread)
    consultation.update(billed_at=fixed_at or oslo(2026, 11, 15, 12))
    return consultation.get()


def rows(response) -> list[str]:
    html = response.content.decode()
    if "<tbody>" not in html:
        return []
    return re.findall(r"<tr[^>]*>(.*?)</tr>", html.split("<tbody>")[1].split("</tbody>")[0], re.S)


def cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]


def export(client, url=NOVEMBER_CSV) -> tuple[object, bytes]:
    response = client.get(url)
    return response, b"".join(response.streaming_content) if response.status_code == 200 else response.content


def parsed(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline=""), delimiter=";"))


# Who sees it


def test_only_staff_with_the_payments_permission_open_the_page_and_the_export(clinic, logged_in):
    billed(clinic, clinic["kari"])
    bookkeeper = client_for(clinic["bookkeeper"])
    assert bookkeeper.get(PAGE, {"maned": NOVEMBER}).status_code == 200
    assert export(bookkeeper)[0].status_code == 200

    receptionist = client_for(clinic["receptionist"])
    audited = AuditEvent.objects.count()
    assert receptionist.get(PAGE, {"maned": NOVEMBER}).status_code == 403
    assert receptionist.get(NOVEMBER_CSV).status_code == 403

    for url in (f"{PAGE}?maned={NOVEMBER}", NOVEMBER_CSV):  # Kari, logged in as a patient, and nobody
        for client in (logged_in, Client()):
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith("/personale/logg-inn/")
    assert AuditEvent.objects.filter(action__in=["staff_viewed_payments", "staff_exported_payments"]).count() == 2
    assert AuditEvent.objects.count() == audited  # refused: nobody's payments were shown


# The page


def test_the_page_lists_the_months_closed_consultations_with_takst_amount_and_exemption(clinic):
    kari = clinic["kari"]
    per = patient(clinic, "Per", "Hansen")
    lise = patient(clinic, "Lise", "Berg")
    billed(clinic, kari, fixed_at=oslo(2026, 11, 2, 9), answered=oslo(2026, 11, 2, 8, 30))
    billed(clinic, per, fixed_at=oslo(2026, 11, 10, 12), answered=oslo(2026, 11, 9, 18))
    billed(clinic, lise, fixed_at=oslo(2026, 11, 20, 12), declared="frikort")
    # The months around: fixed on 31 October and on 1 December, a few minutes from November in Oslo (in
    # UTC, 1 December 00:30 is still November).
    billed(clinic, patient(clinic, "Oktober", "Før"), fixed_at=oslo(2026, 10, 31, 23, 50))
    billed(clinic, patient(clinic, "Desember", "Etter"), fixed_at=oslo(2026, 12, 1, 0, 30))
    # Answered but not closed: no fee fixed yet.
    open_thread = sent(patient(clinic, "Åpen", "Samtale"))
    services.reply(actor=clinic["gp_actor"], thread_id=open_thread.pk, body="Et spørsmål tilbake.")

    bookkeeper = client_for(clinic["bookkeeper"])
    response = bookkeeper.get(PAGE, {"maned": NOVEMBER})
    assert response.status_code == 200
    listed = [cells(row) for row in rows(response)]
    assert [row[1] for row in listed] == ["Kari Nordmann", "Per Hansen", "Lise Berg"]  # in the order fixed
    kari_row, per_row, lise_row = listed
    assert kari_row[2] == f"{kari.national_id[:6]}*****"  # the birth date part only
    assert kari_row[3] == "Ingrid Haugen"
    assert (kari_row[4], kari_row[5]) == ("2ae", "183 kr")
    assert (per_row[4], per_row[5]) == ("2aek", "293 kr")
    assert (lise_row[4], lise_row[5]) == ("2ae", "0 kr")
    assert lise_row[6] == Consultation.objects.get(thread__patient=lise).exemption_name != kari_row[6]
    html = response.content.decode()
    assert "476 kr" in html  # the month's egenandel in total
    for elsewhere in ("Oktober", "Desember", "Åpen"):
        assert elsewhere not in html

    december = bookkeeper.get(PAGE, {"maned": "2026-12"})
    assert [cells(row)[1] for row in rows(december)] == ["Desember Etter"]


def test_a_month_with_no_payments_shows_an_empty_page(clinic):
    response = client_for(clinic["bookkeeper"]).get(PAGE, {"maned": "2026-01"})
    assert response.status_code == 200
    assert rows(response) == [] and "0 kr" in response.content.decode()


# The export


def test_the_export_is_semicolon_separated_utf8_with_the_columns_and_one_line_per_consultation(clinic):
    aase = patient(clinic, "Åse", "Ødegård")
    billed(clinic, aase, answered=oslo(2026, 11, 11, 17))
    billed(clinic, clinic["kari"], fixed_at=oslo(2026, 11, 20, 12), declared="frikort")
    billed(clinic, clinic["kari"], fixed_at=oslo(2026, 12, 1, 0, 30))  # December's

    response, content = export(client_for(clinic["bookkeeper"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ekonsultasjoner-2026-11.csv"'
    lines = content.decode("utf-8").split("\r\n")
    assert lines[0] == ";".join(billing.CSV_COLUMNS)
    assert lines[-1] == "" and len(lines) == 4  # the header, two consultations, the final line break
    header, first, second = parsed(content)
    aase_line, kari_line = dict(zip(header, first, strict=True)), dict(zip(header, second, strict=True))
    assert (aase_line["etternavn"], aase_line["fornavn"]) == ("Ødegård", "Åse")
    assert aase_line["fodselsnummer"] == aase.national_id
    assert (aase_line["lege"], aase_line["hpr"]) == ("Ingrid Haugen", "9100011")
    assert (aase_line["takst"], aase_line["egenandel"], aase_line["belop"]) == ("2aek", "293,00", "293,00")
    assert (aase_line["spesialisttillegg"], aase_line["fakturagebyr"], aase_line["fritak"]) == ("0,00", "0,00", "")
    assert (aase_line["besvart"], aase_line["lukket"]) == ("2026-11-11 17:00", "2026-11-15 12:00")
    assert (kari_line["takst"], kari_line["belop"], kari_line["fritak"]) == ("2ae", "0,00", "frikort")


def test_the_export_has_no_message_text_and_no_subject(clinic):
    billed(
        clinic,
        clinic["kari"],
        subject="Kjønnssykdom Xq7",
        body="Jeg har symptomer Zr9 etter ferien.",
        reply="Ta en test for klamydia Wm4.",
    )
    _, content = export(client_for(clinic["bookkeeper"]))
    text = content.decode("utf-8")
    assert len(parsed(content)) == 2
    for secret in ("Xq7", "Zr9", "Wm4", "Kjønnssykdom", "symptomer", "klamydia"):
        assert secret not in text


@pytest.mark.parametrize("name", ['=HYPERLINK("https://x.example";"Klikk")', "+47 22 33", "-1+1", "@SUM(A1)"])
def test_a_name_a_spreadsheet_would_run_is_written_with_a_leading_apostrophe(clinic, name):
    billed(clinic, patient(clinic, first_name=name, last_name=name))
    _, content = export(client_for(clinic["bookkeeper"]))
    header, line = parsed(content)
    row = dict(zip(header, line, strict=True))
    assert row["etternavn"] == row["fornavn"] == f"'{name}"


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "1999-12"])
def test_an_export_of_a_month_that_does_not_exist_is_not_found(clinic, month):
    billed(clinic, clinic["kari"])
    response = client_for(clinic["bookkeeper"]).get(f"{PAGE}{month}.csv")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="staff_exported_payments").exists()


# The audit log


def test_the_page_and_the_export_are_audited_for_each_patient_shown(clinic):
    kari, per = clinic["kari"], patient(clinic, "Per", "Hansen")
    other_month = patient(clinic, "Oktober", "Før")
    billed(clinic, kari)
    billed(clinic, kari, fixed_at=oslo(2026, 11, 16, 12))
    billed(clinic, per)
    billed(clinic, other_month, fixed_at=oslo(2026, 10, 15, 12))
    bookkeeper = client_for(clinic["bookkeeper"])
    bookkeeper.get(PAGE, {"maned": NOVEMBER})
    export(bookkeeper)

    for action in ("staff_viewed_payments", "staff_exported_payments"):
        events = AuditEvent.objects.filter(action=action)
        assert sorted(event.subject_national_id for event in events) == sorted([kari.national_id, per.national_id])
        assert {event.actor for event in events} == {f"staff:{clinic['bookkeeper'].pk}"}
        assert {event.details["month"] for event in events} == {NOVEMBER}


def test_the_exports_queries_do_not_grow_with_the_number_of_consultations(clinic):
    client = client_for(clinic["bookkeeper"])

    def queries_for(count: int) -> tuple[int, int]:
        Consultation.objects.update(billed_at=oslo(2026, 9, 15, 12))  # earlier rounds: out of the month
        for number in range(count):
            billed(clinic, patient(clinic, "Pasient", f"Nummer {number}"))
        with CaptureQueriesContext(connection) as queries:
            response, content = export(client)
        return len(queries), len(parsed(content)) - 1

    few, few_lines = queries_for(3)
    many, many_lines = queries_for(30)
    assert (few_lines, many_lines) == (3, 30)
    assert many == few
