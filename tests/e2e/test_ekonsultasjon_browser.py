"""«eKonsultasjon» and «Reseptfornyelse» in a real browser.

A patient logged in with password and SMS code opens «eKonsultasjon», says «Nei» to the urgent symptoms, is sent
to BankID (the loopback OpenID provider, where she picks herself) and comes back to the form, reads the price
from the clinic's fee settings, confirms it and sends; the consultation lies in her GP's inbox with the fee table
it was sent with. «Ja» shows 113 and legevakt instead of a form. A guardian's choice of her child survives the
step-up. A patient asks for two medicines to be renewed; the GP (a staff login with an authenticator code) finds
the request in their own inbox with its promised date, answers with the template «Resepten er sendt» and closes
it; the patient is told by SMS (never what it says), reads the answer, and «Forny igjen» fills the form with an
earlier medicine. Every page on the way passes axe-core's WCAG 2.1 AA rules, and fits a phone's screen and a
320 px one without sideways scrolling (WCAG 1.4.10 Reflow)."""

import importlib
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from eportal.accounts.models import User
from eportal.demo.clinic import STAFF_PASSWORD
from eportal.messaging.models import Consultation, Medicine, Message, ReplyTemplate, Thread
from eportal.notifications import backends
from tests import factories
from tests.helpers import run_tasks

from .account_steps import bankid_pick_person, finish_login, h1, log_in, main, staff_password_and_code, start_login
from .booking_steps import shown_date
from .browser import DESKTOP, SCREENS, PageChecks, save_screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLINIC_NAME = "Gjerdrum legesenter"

# The fee table the clinic configured (settings), and the amounts as the pages write them.
FEES = {
    "EPORTAL_EKONSULTASJON_FEE_DAYTIME_NOK": Decimal("183"),
    "EPORTAL_EKONSULTASJON_FEE_EVENING_NOK": Decimal("293"),
    "EPORTAL_EKONSULTASJON_SPECIALIST_SUPPLEMENT_NOK": Decimal("61"),
    "EPORTAL_EKONSULTASJON_INVOICE_FEE_NOK": Decimal("0"),
}
FEE_TABLE_SENT = {"daytime": "183", "evening": "293", "specialist_supplement": "61", "invoice_fee": "0"}
DAYTIME_PRICE, EVENING_PRICE = "183 kr", "293 kr"
PRICE_CAPTION = "Egenandelen du betaler, etter når legen svarer"

CHECK_YES = "Ja, jeg har noe av dette"
CHECK_NO = "Nei, gå videre (logg inn med BankID)"
BANKID_NOTE = "NB ! BankID er påkrevd for bruk av eKonsultasjon"
URGENT_HEADING = "Du trenger hjelp nå, ikke en eKonsultasjon"
SEND_CONSULTATION = "SEND EKONSULTASJON"
CONSULTATION_SENT = "eKonsultasjonen er sendt til fastlegen din."
CONFIRM_PRICE = "Jeg har lest prisen og godtar at eKonsultasjonen koster det som står ovenfor"
PRICE_NOT_CONFIRMED = "Bekreft prisen for å sende eKonsultasjonen."
NO_EXEMPTION = "Ingen fritak: jeg betaler egenandelen"
FREE_UNDER_16 = "Gratis: pasienten er under 16 år."
SUBJECT = "Vondt i korsryggen"
BODY = "Jeg har hatt vondt i korsryggen i to uker, verst om morgenen. Ingen nummenhet i beina. Hva kan jeg gjøre?"

RENEWAL = "Reseptfornyelse"
EARLIER = "Legemidler du har bedt om før"
SEND_RENEWAL = "SEND FORESPØRSEL"
ADD_MEDICINE = "Legg til et legemiddel"
RENEWAL_SENT = "Forespørselen om reseptfornyelse er sendt til fastlegen din."
MEDICINE_LABELS = {
    "name": "Navn på legemiddelet",
    "strength": "Styrke",
    "usage": "Hvordan du tar det",
    "note": "Merknad",
}
METFORMIN = {"name": "Metformin", "strength": "500 mg", "usage": "1 tablett morgen og kveld", "note": ""}
LEVAXIN = {
    "name": "Levaxin",
    "strength": "50 mikrogram",
    "usage": "1 tablett om morgenen",
    "note": "Jeg har fem tabletter igjen",
}
RENEWAL_SUBJECT = "Reseptfornyelse: Metformin, Levaxin"
CLOSE_LABEL = "Avslutt samtalen (pasienten kan ikke svare i den)"
REPLY_SENT = "Svaret er sendt. Pasienten får beskjed om at det er kommet en ny melding."
CLOSED_FOR_PATIENT = "Legekontoret har avsluttet denne samtalen."
# The reply template migration messaging 0002 adds («Resepten er sendt»), title and text.
TEMPLATE_TITLE, TEMPLATE_TEXT = importlib.import_module(
    "eportal.messaging.migrations.0002_renewal_ekonsultasjon"
).RENEWAL_TEMPLATE


@pytest.fixture
def fee_settings(settings):
    for name, amount in FEES.items():
        setattr(settings, name, amount)


@pytest.fixture
def notices_at_once(settings):
    """The notice of an answer goes as soon as the worker runs."""
    settings.EPORTAL_MESSAGE_NOTICE_DELAY_MINUTES = 0


@pytest.fixture
def gp_user(patient_with_user):
    """Marte Kvam, Sigrid's GP, as staff: reads messages (her own inbox only) and logs in with an authenticator
    app."""
    user = User.objects.create_user(
        "marte", password=STAFF_PASSWORD, is_staff=True, first_name="Marte", last_name="Kvam"
    )
    user.user_permissions.add(Permission.objects.get(content_type__app_label="messaging", codename="view_thread"))
    TOTPDevice.objects.create(user=user, name="telefon", confirmed=True)
    gp = patient_with_user.gp
    gp.user = user
    gp.save(update_fields=["user"])
    return user


@pytest.fixture
def renewal_template(clinic):
    """The migration's template (a transactional test before this one may have emptied the table)."""
    template, _ = ReplyTemplate.objects.get_or_create(title=TEMPLATE_TITLE, defaults={"text": TEMPLATE_TEXT})
    return template


@pytest.fixture
def child(patient_with_user):
    """Sigrid's son Emil, 7, on the same GP's list."""
    return factories.child_of(patient_with_user, first_name="Emil", years=7)


@pytest.fixture
def open_with_bankid(new_context, live_server, bankid, clinic):
    """open_with_bankid(device) -> a page on the portal's front page, in a context that may reach the portal and
    the loopback BankID provider only (bypassing the CSP, for axe). The test errors at teardown if a portal page
    tried any other host (the provider's own page may try its CDN stylesheet: aborted, not counted)."""
    origin, provider = live_server.url.rstrip("/"), bankid.base_url
    foreign_requests: list[str] = []

    def block(route):
        frame_url = route.request.frame.url if route.request.frame else ""
        if frame_url.startswith(origin + "/"):
            foreign_requests.append(route.request.url)
        route.abort()

    def _open(device: dict = DESKTOP):
        context = new_context(**device, bypass_csp=True, locale="nb-NO")
        context.route(lambda url: not url.startswith((origin + "/", provider + "/")), block)
        page = context.new_page()
        page.goto(origin + "/")
        return page

    yield _open
    assert not foreign_requests, f"A portal page requested hosts other than the live server: {foreign_requests}"


# Steps


def conversation(page: Page):
    return main(page).locator("ol.conversation > li")


def price_table(page: Page):
    return main(page).get_by_role("table", name=PRICE_CAPTION, exact=True)


# Each amount in the price table, and the column heading a sighted reader sees for it: the table's header row
# when it is on screen, else what the cell itself writes before the amount (the site's phone tables do that with
# `data-label`), else nothing.
PRICE_CELL_LABELS_JS = """(table) => {
    const head = table.tHead;
    const box = head ? head.getBoundingClientRect() : null;
    const headShown = box && box.width > 1 && box.height > 1;
    return [...table.querySelectorAll('td')].map((cell) => {
        const before = getComputedStyle(cell, '::before').content;
        const written = before && before !== 'none' && before !== 'normal' ? before.replace(/^"|"$/g, '') : '';
        const heading = headShown ? head.rows[0].cells[cell.cellIndex].innerText : written;
        return [cell.closest('tr').querySelector('th').innerText, cell.innerText, heading.trim()];
    });
}"""


def check_price_labels(check: PageChecks, name: str, page: Page) -> None:
    """The price table says which amount is for a daytime answer and which for another time, on this screen too:
    an amount without its column's heading in view is reported with the page's other problems."""
    cells = price_table(page).evaluate(PRICE_CELL_LABELS_JS)
    unlabelled = [f"{row}: {amount}" for row, amount, heading in cells if not heading]
    if unlabelled:
        shot = save_screenshot(page, f"{check.prefix}-{name}-pristabell-{check.screen}")
        check.problems.append(
            f"{name} ({page.url}, {check.screen}, screenshot {shot}):\nthe price table shows amounts without "
            f"saying when they apply (its header row is hidden on this screen and the cells have no label): "
            f"{unlabelled}"
        )


def medicine_row(page: Page, number: int):
    return main(page).get_by_role("group", name=f"Legemiddel {number}", exact=True)


def fill_medicine(page: Page, number: int, medicine: dict) -> None:
    row = medicine_row(page, number)
    for field, label in MEDICINE_LABELS.items():
        row.get_by_label(label, exact=True).fill(medicine[field])


def expect_medicine(page: Page, number: int, medicine: dict) -> None:
    row = medicine_row(page, number)
    for field, label in MEDICINE_LABELS.items():
        expect(row.get_by_label(label, exact=True)).to_have_value(medicine[field])


def fact(page: Page, term: str):
    """The value of a term in the staff conversation page's facts."""
    return main(page).locator(f"dl.facts > dt:text-is('{term}') + dd")


def inbox_row(page: Page, text: str):
    return main(page).get_by_role("row").filter(has_text=text)


def sms_notices(patient) -> list[str]:
    """The SMS texts the patient got about messages (not the login codes)."""
    return [sms["text"] for sms in backends.sms_outbox if sms["to"] == patient.mobile and "melding" in sms["text"]]


# The tests


@pytest.mark.parametrize("screen", SCREENS)
def test_an_ekonsultasjon_after_bankid_step_up_with_the_price_shown(
    open_with_bankid, live_server, bankid, patient_with_user, fee_settings, screen
):
    patient, origin, provider = patient_with_user, live_server.url.rstrip("/"), bankid.base_url
    check = PageChecks(screen, prefix="ekonsultasjon")
    page = open_with_bankid(SCREENS[screen][0])
    start_login(page, origin, patient)
    finish_login(page, patient)  # password + SMS code: security level substantial, not BankID
    expect(main(page).get_by_role("link", name="eKonsultasjon", exact=True)).to_be_visible()

    # Min side → «Meldinger» → «eKonsultasjon»: what it is, that it needs BankID, the check and the price.
    main(page).get_by_role("link", name="Meldinger", exact=True).click()
    expect(h1(page)).to_have_text("Meldinger")
    check("meldinger", page)
    main(page).get_by_role("link", name="eKonsultasjon", exact=True).click()
    expect(page).to_have_url(re.compile(r"/ekonsultasjon/$"))
    expect(h1(page)).to_have_text("eKonsultasjon")
    expect(main(page)).to_contain_text(BANKID_NOTE)
    symptoms = main(page).get_by_role("region", name="Først: har du noe av dette nå?", exact=True)
    expect(symptoms.get_by_role("listitem")).to_have_count(5)
    expect(price_table(page).locator("[data-price=daytime]")).to_have_text(DAYTIME_PRICE)
    expect(price_table(page).locator("[data-price=evening]")).to_have_text(EVENING_PRICE)
    check("sjekk", page)
    check_price_labels(check, "sjekk", page)

    # «Ja»: 113 and legevakt, and no way on to the form.
    symptoms.get_by_role("button", name=CHECK_YES, exact=True).click()
    expect(page).to_have_url(re.compile(r"/ekonsultasjon/\?hast=ja$"))
    urgent = main(page).get_by_role("alert")
    expect(urgent.get_by_role("heading", level=2)).to_have_text(URGENT_HEADING)
    expect(urgent).to_contain_text("113")
    expect(urgent).to_contain_text("116 117")
    expect(urgent.get_by_role("link", name="Ring 113", exact=True)).to_have_attribute("href", "tel:113")
    expect(urgent.get_by_role("link", name="Ring 116 117", exact=True)).to_have_attribute("href", "tel:116117")
    expect(main(page).get_by_role("link", name=CHECK_NO, exact=True)).to_have_count(0)
    expect(main(page).locator("a[href*='/ekonsultasjon/skjema/']")).to_have_count(0)
    expect(main(page).get_by_role("button", name=SEND_CONSULTATION)).to_have_count(0)
    expect(main(page).get_by_role("textbox")).to_have_count(0)
    check("hast", page)
    main(page).get_by_role("link", name="Tilbake", exact=True).click()
    expect(page).to_have_url(re.compile(r"/ekonsultasjon/$"))

    # «Nei»: the password + SMS session is sent to BankID at the high level, and back to the form.
    hops: list[str] = []
    page.on("request", lambda request: hops.append(request.url) if request.is_navigation_request() else None)
    main(page).get_by_role("link", name=CHECK_NO, exact=True).click()
    bankid_pick_person(page, provider, patient)
    expect(page).to_have_url(re.compile(r"/ekonsultasjon/skjema/\?ingen-hast=ja$"))
    assert f"{origin}/logg-inn/bankid/?niva=high&next=%2Fekonsultasjon%2Fskjema%2F%3Fingen-hast%3Dja" in hops, hops
    expect(h1(page)).to_have_text("eKonsultasjon")
    expect(main(page)).to_contain_text(f"Til fastlegen din, {patient.gp.full_name}.")
    expect(main(page).locator(".notice")).to_contain_text("116 117")
    prices = price_table(page)
    base_fee = prices.locator("tbody tr").filter(has_text="Egenandel for eKonsultasjon")
    expect(base_fee.locator("td")).to_have_text([DAYTIME_PRICE, EVENING_PRICE])
    expect(prices.locator("[data-price=daytime]")).to_have_text(DAYTIME_PRICE)
    expect(prices.locator("[data-price=evening]")).to_have_text(EVENING_PRICE)
    expect(prices.locator("tbody tr")).to_have_count(1)  # no specialist supplement, no invoice fee
    exemption = main(page).get_by_role("group", name="Fritak for egenandel", exact=True)
    expect(exemption.get_by_role("radio", name=NO_EXEMPTION, exact=True)).to_be_checked()
    check("skjema", page)
    check_price_labels(check, "skjema", page)

    # Sent without confirming the price: refused, nothing stored, and what was written is still there.
    page.get_by_label("Emne", exact=True).fill(SUBJECT)
    page.get_by_label("Beskriv hva du vil ha hjelp med", exact=True).fill(BODY)
    page.get_by_role("button", name=SEND_CONSULTATION, exact=True).click()
    expect(main(page).get_by_role("alert")).to_have_text(PRICE_NOT_CONFIRMED)
    expect(page.get_by_label("Emne", exact=True)).to_have_value(SUBJECT)
    expect(page.get_by_label("Beskriv hva du vil ha hjelp med", exact=True)).to_have_value(BODY)
    expect(price_table(page).locator("[data-price=daytime]")).to_have_text(DAYTIME_PRICE)
    assert not Thread.objects.exists()
    check("skjema-uten-bekreftet-pris", page)

    page.get_by_label(CONFIRM_PRICE, exact=True).check()
    page.get_by_role("button", name=SEND_CONSULTATION, exact=True).click()

    # The thread, an eKonsultasjon waiting for the GP's answer by the promised day.
    expect(page).to_have_url(re.compile(r"/meldinger/\d+/$"))
    expect(page.get_by_role("status")).to_have_text(CONSULTATION_SENT)
    expect(h1(page)).to_have_text(SUBJECT)
    thread = Thread.objects.get()
    assert page.url.endswith(f"/meldinger/{thread.pk}/")
    expect(main(page).locator(".thread-meta")).to_have_text(
        f"eKonsultasjon · Svar ventes innen {shown_date(thread.answer_due, 'l j. F')}"
    )
    expect(conversation(page)).to_have_count(1)
    expect(conversation(page).first).to_contain_text(BODY)
    expect(conversation(page).first).to_contain_text("Ikke lest av legekontoret ennå")
    check("sendt", page)

    # Stored: an eKonsultasjon in the GP's inbox, with the fee table it was sent with.
    assert thread.kind == Thread.Kind.EKONSULTASJON
    assert thread.patient_id == patient.pk and thread.practitioner_id == patient.gp_id
    assert thread.waiting_since is not None and thread.answer_due is not None
    consultation = Consultation.objects.get(thread=thread)
    assert consultation.fee_table == FEE_TABLE_SENT
    assert consultation.specialist is False and consultation.exemption == ""
    assert consultation.billed_at is None and consultation.amount is None

    # «Meldinger» lists it.
    main(page).get_by_role("link", name="Tilbake til meldinger", exact=True).click()
    listed = main(page).get_by_role("listitem").filter(has_text=SUBJECT)
    expect(listed).to_contain_text("eKonsultasjon")
    check("meldinger-en", page)
    check.assert_clean("eKonsultasjon")


def test_a_guardian_keeps_acting_for_her_child_through_the_bankid_step_up(
    open_with_bankid, live_server, bankid, patient_with_user, child, fee_settings
):
    patient, origin = patient_with_user, live_server.url.rstrip("/")
    check = PageChecks("desktop", prefix="ekonsultasjon-barn")
    page = open_with_bankid(DESKTOP)
    start_login(page, origin, patient)
    finish_login(page, patient)
    main(page).get_by_role("button", name="Handle på vegne av Emil Bakken", exact=True).click()
    banner = page.get_by_role("region", name="Handler på vegne av")
    expect(banner).to_contain_text("Du handler nå på vegne av Emil Bakken")

    main(page).get_by_role("link", name="eKonsultasjon", exact=True).click()
    expect(h1(page)).to_have_text("eKonsultasjon")
    expect(main(page)).to_contain_text(FREE_UNDER_16)  # Emil is 7
    expect(price_table(page)).to_have_count(0)
    check("sjekk-barn", page)

    main(page).get_by_role("link", name=CHECK_NO, exact=True).click()
    bankid_pick_person(page, bankid.base_url, patient)  # the guardian logs in as herself

    # Back on the form, still for Emil: free, no exemption to choose.
    expect(page).to_have_url(re.compile(r"/ekonsultasjon/skjema/\?ingen-hast=ja$"))
    expect(banner).to_contain_text("Du handler nå på vegne av Emil Bakken")
    expect(main(page)).to_contain_text(FREE_UNDER_16)
    expect(price_table(page)).to_have_count(0)
    expect(main(page).get_by_role("group", name="Fritak for egenandel")).to_have_count(0)
    check("skjema-barn", page)
    page.get_by_label("Emne", exact=True).fill("Hoste i tre uker")
    page.get_by_label("Beskriv hva du vil ha hjelp med", exact=True).fill("Emil har hostet i tre uker, mest om natten.")
    page.get_by_label(CONFIRM_PRICE, exact=True).check()
    page.get_by_role("button", name=SEND_CONSULTATION, exact=True).click()

    expect(page.get_by_role("status")).to_have_text(CONSULTATION_SENT)
    expect(banner).to_contain_text("Emil Bakken")
    expect(conversation(page).first).to_contain_text("Sigrid Bakken (foresatt)")
    check("sendt-barn", page)
    thread = Thread.objects.get()
    assert thread.patient_id == child.pk and thread.kind == Thread.Kind.EKONSULTASJON
    assert Consultation.objects.get(thread=thread).exemption == "under_16"
    check.assert_clean("eKonsultasjon for a child")


@pytest.mark.parametrize("screen", SCREENS)
def test_a_renewal_answered_by_the_gp_with_a_template_and_renewed_again(
    open_page, live_server, patient_with_user, gp_user, renewal_template, notices_at_once, screen
):
    patient, origin, device = patient_with_user, live_server.url.rstrip("/"), SCREENS[screen][0]
    gp = patient.gp
    check = PageChecks(screen, prefix="reseptfornyelse")
    page = log_in(open_page, origin, patient, device, bypass_csp=True)

    # Min side → «Reseptfornyelse»: free, the answer date, three empty rows.
    main(page).get_by_role("link", name=RENEWAL, exact=True).click()
    expect(page).to_have_url(re.compile(r"/reseptfornyelse/$"))
    expect(h1(page)).to_have_text(RENEWAL)
    expect(main(page).get_by_role("region", name=EARLIER)).to_have_count(0)
    expect(main(page).locator("fieldset.medicine")).to_have_count(3)
    expect(medicine_row(page, 1).get_by_label("Styrke", exact=True)).to_have_accessible_description(
        "For eksempel 500 mg."
    )
    check("skjema", page)

    # Two medicines; «Legg til et legemiddel» keeps them and gives an empty row after them.
    fill_medicine(page, 1, METFORMIN)
    fill_medicine(page, 2, LEVAXIN)
    main(page).get_by_role("button", name=ADD_MEDICINE, exact=True).click()
    expect_medicine(page, 1, METFORMIN)
    expect_medicine(page, 2, LEVAXIN)
    expect_medicine(page, 3, dict.fromkeys(MEDICINE_LABELS, ""))
    assert not Thread.objects.exists()
    check("skjema-lagt-til", page)
    main(page).get_by_role("button", name=SEND_RENEWAL, exact=True).click()

    expect(page).to_have_url(re.compile(r"/meldinger/\d+/$"))
    expect(page.get_by_role("status")).to_have_text(RENEWAL_SENT)
    expect(h1(page)).to_have_text(RENEWAL_SUBJECT)
    thread = Thread.objects.get()
    due = thread.answer_due
    expect(main(page).locator(".thread-meta")).to_have_text(
        f"{RENEWAL} · Svar ventes innen {shown_date(due, 'l j. F')}"
    )
    sent = conversation(page).first
    expect(sent).to_contain_text("1. Metformin 500 mg: 1 tablett morgen og kveld")
    expect(sent).to_contain_text("2. Levaxin 50 mikrogram: 1 tablett om morgenen")
    expect(sent).to_contain_text("Merknad: Jeg har fem tabletter igjen")
    check("sendt", page)
    assert thread.kind == Thread.Kind.RENEWAL and thread.practitioner_id == gp.pk
    assert [row.details for row in Medicine.objects.filter(thread=thread)] == [METFORMIN, LEVAXIN]
    assert not Consultation.objects.filter(thread=thread).exists()

    # The GP logs in and lands in her own inbox: the request, its kind and the day it is promised by.
    staff = open_page("/personale/logg-inn/", device, bypass_csp=True)
    staff_password_and_code(staff, gp_user)
    expect(staff).to_have_url(re.compile(rf"/personale/meldinger/{gp.pk}/$"))
    expect(h1(staff)).to_have_text(f"Innboks: {gp.full_name}")
    row = inbox_row(staff, RENEWAL_SUBJECT)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(patient.full_name)
    expect(row.locator("td[data-label=Type]")).to_have_text(RENEWAL)
    expect(row).to_contain_text(f"lovet innen {shown_date(due, 'j. F')}")
    check("innboks", staff)

    row.get_by_role("link", name=RENEWAL_SUBJECT, exact=True).click()
    expect(h1(staff)).to_have_text(RENEWAL_SUBJECT)
    expect(fact(staff, "Type")).to_have_text(RENEWAL)
    expect(fact(staff, "Svar lovet innen")).to_have_text(shown_date(due, "l j. F Y"))
    expect(main(staff).get_by_role("region", name="Betaling")).to_have_count(0)  # a renewal is free
    expect(conversation(staff).first).to_contain_text("2. Levaxin 50 mikrogram: 1 tablett om morgenen")
    check("samtale", staff)

    # «Resepten er sendt» from the templates, the conversation closed with the answer.
    staff.get_by_label("Svarmal", exact=True).select_option(label=TEMPLATE_TITLE)
    staff.get_by_role("button", name="Sett inn mal", exact=True).click()
    expect(staff.get_by_role("textbox", name="Svar", exact=True)).to_have_value(TEMPLATE_TEXT)
    staff.get_by_label(CLOSE_LABEL, exact=True).check()
    staff.get_by_role("button", name="Send svar", exact=True).click()
    expect(staff.get_by_role("status")).to_have_text(REPLY_SENT)
    expect(conversation(staff)).to_have_count(2)
    expect(conversation(staff).last).to_contain_text(TEMPLATE_TEXT)
    expect(fact(staff, "Status")).to_contain_text("Stengt for svar")
    check("besvart", staff)
    thread.refresh_from_db()
    assert thread.closed_at is not None and thread.waiting_since is None
    answer = Message.objects.get(thread=thread, author_role=Message.Role.STAFF)
    assert answer.body == TEMPLATE_TEXT and answer.author_id == gp_user.pk
    main(staff).get_by_role("link", name="Tilbake til innboksen", exact=True).click()
    expect(main(staff)).to_contain_text("Ingen samtaler venter på svar.")

    # The patient is told by SMS that there is a message, not what it says.
    backends.sms_outbox.clear()
    run_tasks()
    texts = sms_notices(patient)
    assert texts == [f"Du har en ny melding fra {CLINIC_NAME}. Logg inn for å lese den: {origin}/meldinger/"], (
        backends.sms_outbox
    )
    for word in ["Resepten", "e-resept", "Metformin", "Levaxin", "Marte"]:
        assert word not in texts[0]

    # She reads the answer; the conversation is closed.
    page.get_by_role("link", name="Min side", exact=True).click()
    main(page).get_by_role("link", name="Meldinger", exact=True).click()
    listed = main(page).get_by_role("listitem").filter(has_text=RENEWAL_SUBJECT)
    expect(listed.locator(".badge")).to_have_text("1 ulest")
    listed.get_by_role("link", name=RENEWAL_SUBJECT, exact=True).click()
    expect(conversation(page)).to_have_count(2)
    theirs = conversation(page).last
    expect(theirs).to_contain_text(gp.full_name)
    expect(theirs).to_contain_text(CLINIC_NAME)
    expect(theirs).to_contain_text(TEMPLATE_TEXT)
    expect(main(page).locator(".notice")).to_contain_text(CLOSED_FOR_PATIENT)
    expect(main(page).get_by_role("textbox")).to_have_count(0)
    check("svar", page)
    assert Message.objects.get(pk=answer.pk).read_by_patient_at is not None

    # «Reseptfornyelse» again: the earlier medicines, and «Forny igjen» fills the first row with one.
    page.get_by_role("link", name="Min side", exact=True).click()
    main(page).get_by_role("link", name=RENEWAL, exact=True).click()
    earlier = main(page).get_by_role("region", name=EARLIER, exact=True)
    expect(earlier.get_by_role("listitem")).to_have_text(
        [re.compile(r"^Metformin 500 mg: 1 tablett morgen og kveld\s"), re.compile(r"^Levaxin 50 mikrogram: ")]
    )
    check("skjema-tidligere", page)
    earlier.get_by_role("link", name="Forny igjen: Metformin 500 mg", exact=True).click()
    metformin = Medicine.objects.get(thread=thread, position=1)
    expect(page).to_have_url(re.compile(rf"/reseptfornyelse/\?forny={metformin.pk}$"))
    expect_medicine(page, 1, METFORMIN)
    expect_medicine(page, 2, dict.fromkeys(MEDICINE_LABELS, ""))
    expect(main(page).locator("fieldset.medicine")).to_have_count(3)
    check("forny-igjen", page)
    check.assert_clean("prescription renewal")
