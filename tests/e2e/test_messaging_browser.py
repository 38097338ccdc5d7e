"""«Meldinger» in a real browser: a patient writes to the clinic with a photo and gets the same photo back as a
download; a receptionist logs in with an authenticator code, finds the message in reception's inbox and answers
it with a reply template; the patient is told by SMS that there is a message (never what it says) and reads the
answer. Every page on the way passes axe-core's WCAG 2.1 AA rules, and the pages fit a phone's screen and a
320 px one without sideways scrolling (WCAG 1.4.10 Reflow)."""

import datetime
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
from playwright.sync_api import Page, expect

from eportal.accounts.models import User
from eportal.clinic.working_days import add_working_days
from eportal.demo.clinic import STAFF_PASSWORD
from eportal.messaging import services
from eportal.messaging.models import Attachment, Message, ReplyTemplate, Thread
from eportal.notifications import backends
from eportal.representation.policy import Capability
from tests import factories
from tests.factories import grant_for
from tests.helpers import run_tasks

from .account_steps import h1, log_in, main, staff_password_and_code
from .booking_steps import shown_date
from .browser import DESKTOP, SCREENS, PageChecks, focused_html, tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLINIC_NAME = "Gjerdrum legesenter"
SUBJECT = "Utslett på armen"
BODY = "Hei! Jeg har fått et kløende utslett på armen. Bildet er tatt i dag. Bør jeg komme inn?"
# A link pasted into a message: long runs with few places to break a line, what pushes a page sideways on a phone.
LINK = "https://www.helsenorge.no/sykdom/hud-og-har/utslett-og-kloe-hos-voksne-og-eldre/"
PHOTO_NAME = "utslett-på-armen.jpg"
# As a phone's camera names a photo: underscores, no place to break the line.
CAMERA_NAME = "IMG_20250312_143512_HDR_utslett_venstre_underarm.jpg"
PHOTO_SIZE = (64, 48)
TEMPLATE_TITLE = "Bestill time"
TEMPLATE_TEXT = "Takk for meldingen. Dette bør legen se på: bestill en time under «Bestill time» på Min side."
SIGN_OFF = "Hilsen Rita i resepsjonen"
KIND_HELP = "Praktiske spørsmål, for eksempel om timer, attester eller prøvesvar som er klare."
REPLY_SENT = "Svaret er sendt. Pasienten får beskjed om at det er kommet en ny melding."


@pytest.fixture
def receptionist(clinic):
    """Rita: staff (not a superuser) who reads reception's inbox, and nothing else, with an authenticator app."""
    user = User.objects.create_user(
        "rita", password=STAFF_PASSWORD, is_staff=True, first_name="Rita", last_name="Resepsjon"
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="messaging", codename__in=["view_thread", "read_reception_inbox"]
        )
    )
    TOTPDevice.objects.create(user=user, name="telefon", confirmed=True)
    return user


@pytest.fixture
def reply_template(clinic):
    """One of the clinic's reply templates (kept in the admin), and a retired one the picker must not offer."""
    ReplyTemplate.objects.create(title="Gammel mal", text="Ikke i bruk.", active=False)
    return ReplyTemplate.objects.create(title=TEMPLATE_TITLE, text=TEMPLATE_TEXT)


@pytest.fixture
def notices_at_once(settings):
    """The notice of an answer goes as soon as the worker runs (not five minutes later)."""
    settings.EPORTAL_MESSAGE_NOTICE_DELAY_MINUTES = 0


def jpeg(folder: Path, name: str = PHOTO_NAME, size: tuple[int, int] = PHOTO_SIZE) -> Path:
    """A real small JPEG on disk, as a phone's camera roll holds one."""
    path = folder / name
    Image.new("RGB", size, (200, 40, 40)).save(path, "JPEG")
    return path


def waiting_thread(patient, *, hours_ago: int = 0) -> Thread:
    """A message from the patient with a photo, waiting in reception's inbox for `hours_ago` hours."""
    message = services.start_thread(
        grant=grant_for(patient, Capability.MESSAGES),
        kind="reception",
        subject=SUBJECT,
        body=BODY,
        uploads=[factories.photo(PHOTO_NAME, PHOTO_SIZE)],
    )
    if hours_ago:
        since = timezone.now() - datetime.timedelta(hours=hours_ago)
        Thread.objects.filter(pk=message.thread_id).update(waiting_since=since, last_message_at=since)
    return Thread.objects.get(pk=message.thread_id)


# Steps


def conversation(page: Page):
    """The messages of the conversation shown, in order."""
    return main(page).locator("ol.conversation > li")


def open_messages(page: Page) -> None:
    """«Meldinger» from Min side (or any page with the link in its main content): the patient's threads."""
    main(page).get_by_role("link", name="Meldinger", exact=True).click()
    expect(page).to_have_url(re.compile(r"/meldinger/$"))
    expect(h1(page)).to_have_text("Meldinger")


def write_message(page: Page, *, body: str, photo: Path | None = None) -> None:
    """«Ny melding» from «Meldinger»: about a practical matter, with a subject, a text and maybe a photo; sent."""
    main(page).get_by_role("link", name="Ny melding", exact=True).click()
    expect(page).to_have_url(re.compile(r"/meldinger/ny/$"))
    expect(h1(page)).to_have_text("Ny melding")
    page.get_by_label("Melding til legekontoret", exact=True).check()
    page.get_by_label("Emne", exact=True).fill(SUBJECT)
    page.get_by_label("Melding", exact=True).fill(body)
    if photo is not None:
        page.get_by_label("Vedlegg (bilder eller PDF)", exact=True).set_input_files(photo)
    page.get_by_role("button", name="SEND", exact=True).click()
    expect(page).to_have_url(re.compile(r"/meldinger/\d+/$"))
    expect(page.get_by_role("status")).to_have_text("Meldingen er sendt.")
    expect(h1(page)).to_have_text(SUBJECT)


def staff_nav(page: Page):
    return page.get_by_role("navigation", name="Personalets sider")


def staff_log_in(page: Page, staff) -> None:
    """Username, password and the authenticator app's code on /personale/logg-inn/. A receptionist who reads
    messages and not the day list lands where she works: reception's inbox."""
    staff_password_and_code(page, staff)
    expect(page).to_have_url(re.compile(r"/personale/meldinger/resepsjon/$"))
    expect(h1(page)).to_have_text("Innboks: Resepsjonen")
    expect(staff_nav(page).get_by_role("link", name="Dagsliste")).to_have_count(0)  # not hers to open


def inbox_row(page: Page, text: str):
    return main(page).get_by_role("row").filter(has_text=text)


def answer(page: Page, text: str) -> None:
    """On a conversation's staff page: write the reply and send it."""
    page.get_by_role("textbox", name="Svar", exact=True).fill(text)
    page.get_by_role("button", name="Send svar", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(REPLY_SENT)


def sms_notices(patient) -> list[str]:
    """The SMS texts the patient got about messages (not the login codes)."""
    return [sms["text"] for sms in backends.sms_outbox if sms["to"] == patient.mobile and "melding" in sms["text"]]


def next_field(page: Page, field) -> None:
    """One Tab must take focus to this field: the tab order follows the form's visible order."""
    page.keyboard.press("Tab")
    expect(field, f"Tab went to {focused_html(page)}").to_be_focused()


# The tests


def test_a_patient_writes_to_the_clinic_with_a_photo_and_downloads_it_again(
    open_page, live_server, patient_with_user, tmp_path
):
    patient = patient_with_user
    check = PageChecks("desktop", prefix="meldinger-pasient")
    page = log_in(open_page, live_server.url.rstrip("/"), patient, DESKTOP, bypass_csp=True)

    open_messages(page)
    expect(main(page)).to_contain_text("Du har ingen meldinger ennå.")
    check("meldinger-tom", page)

    # «Ny melding»: urgent help is elsewhere, and the day the clinic usually answers by.
    main(page).get_by_role("link", name="Ny melding", exact=True).click()
    expect(h1(page)).to_have_text("Ny melding")
    urgent = main(page).locator(".notice")
    expect(urgent).to_contain_text("ring 113")
    expect(urgent).to_contain_text("116 117")
    answer_by = add_working_days(timezone.localdate(), 3)
    expect(urgent).to_contain_text(
        f"Legekontoret svarer vanligvis innen 3 virkedager (innen {shown_date(answer_by, 'l j. F')})."
    )
    kind = page.get_by_label("Melding til legekontoret", exact=True)
    expect(kind).to_be_checked()  # the only kind there is, chosen already
    expect(page.get_by_role("group", name="Hva gjelder det?", exact=True)).to_have_accessible_description(KIND_HELP)
    check("ny-melding", page)

    # The form, by its labels, with a real JPEG from the phone's camera roll.
    kind.check()
    page.get_by_label("Emne", exact=True).fill(SUBJECT)
    page.get_by_label("Melding", exact=True).fill(BODY)
    photo = jpeg(tmp_path)
    page.get_by_label("Vedlegg (bilder eller PDF)", exact=True).set_input_files(photo)
    page.get_by_role("button", name="SEND", exact=True).click()

    # The thread: the receipt, the text, the photo's link, and that the clinic has not read it.
    expect(page).to_have_url(re.compile(r"/meldinger/\d+/$"))
    expect(page.get_by_role("status")).to_have_text("Meldingen er sendt.")
    expect(h1(page)).to_have_text(SUBJECT)
    expect(conversation(page)).to_have_count(1)
    sent = conversation(page).first
    expect(sent).to_contain_text(BODY)
    expect(sent).to_contain_text(patient.full_name)
    expect(sent).to_contain_text("Ikke lest av legekontoret ennå")
    link = sent.get_by_role("link", name=PHOTO_NAME, exact=True)
    expect(link).to_be_visible()
    check("sendt", page)

    # Stored once, in reception's inbox, waiting; the photo as a JPEG.
    thread = Thread.objects.get()
    assert thread.patient_id == patient.pk and thread.practitioner is None and thread.waiting_since is not None
    assert page.url.endswith(f"/meldinger/{thread.pk}/")
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/jpeg" and attachment.name == PHOTO_NAME

    # The link downloads the photo (never shown in the portal's own page): the same picture, the same size.
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.failure() is None, download.failure()
    assert download.suggested_filename == PHOTO_NAME
    saved = tmp_path / "lastet-ned.jpg"
    download.save_as(saved)
    with Image.open(saved) as downloaded:
        assert downloaded.format == "JPEG"
        assert downloaded.size == PHOTO_SIZE
    expect(h1(page)).to_have_text(SUBJECT)  # the download did not navigate away

    # «Meldinger» lists the thread.
    main(page).get_by_role("link", name="Tilbake til meldinger", exact=True).click()
    expect(main(page).get_by_role("link", name=SUBJECT, exact=True)).to_be_visible()
    check("meldinger-en", page)
    check.assert_clean("patient messaging")


def test_reception_answers_from_its_inbox_with_a_reply_template(
    open_page, patient_with_user, receptionist, reply_template
):
    patient = patient_with_user
    thread = waiting_thread(patient, hours_ago=3)
    check = PageChecks("desktop", prefix="meldinger-personale")

    page = open_page("/personale/logg-inn/", bypass_csp=True)
    staff_log_in(page, receptionist)

    # «Meldinger» in the staff navigation counts the one thread with a message nobody has read.
    messages_link = staff_nav(page).get_by_role("link", name=re.compile(r"^Meldinger"))
    expect(messages_link).to_have_text("Meldinger (1 ny)")
    messages_link.click()
    expect(page).to_have_url(re.compile(r"/personale/meldinger/resepsjon/$"))
    expect(h1(page)).to_have_text("Innboks: Resepsjonen")
    expect(messages_link).to_have_attribute("aria-current", "page")
    expect(main(page).locator("caption")).to_have_text("Venter på svar, den som har ventet lengst først")
    # Which conversations are shown is marked for the eye too, not only for a screen reader.
    waiting_tab = main(page).get_by_role("link", name="Venter på svar", exact=True)
    expect(waiting_tab).to_have_attribute("aria-current", "true")
    expect(waiting_tab).to_have_css("border-bottom-width", "3px")
    expect(main(page).get_by_role("link", name="Vis alle", exact=True)).to_have_css("border-bottom-width", "0px")

    # The thread, with its patient, subject, unread count and how long it has waited.
    row = inbox_row(page, SUBJECT)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(patient.full_name)
    expect(row).not_to_contain_text(patient.national_id)  # masked in the list
    expect(row.locator('td[data-label="Type"]')).to_have_text("Melding til legekontoret")
    expect(row.locator('td[data-label="Uleste"]')).to_have_text("1")
    expect(row.locator("time")).to_have_text(
        re.compile(r"^venter i 3\stimer")
    )  # a no-break space; a minute more on a slow run
    check("innboks", page)

    row.get_by_role("link", name=SUBJECT, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/personale/meldinger/samtale/{thread.pk}/$"))
    expect(h1(page)).to_have_text(SUBJECT)
    facts = main(page).locator("dl.facts")
    expect(facts).to_contain_text(patient.full_name)
    expect(facts).to_contain_text("Resepsjonen")
    expect(facts).to_contain_text("venter i 3 timer")
    expect(conversation(page)).to_have_count(1)
    expect(conversation(page).first).to_contain_text(BODY)
    expect(conversation(page).first.get_by_role("link", name=PHOTO_NAME, exact=True)).to_be_visible()
    # Opening it read the patient's message: the navigation no longer counts it.
    expect(staff_nav(page).get_by_role("link", name="Meldinger", exact=True)).to_be_visible()
    check("samtale", page)

    # «Sett inn mal» puts the template's text in the reply, without sending anything.
    picker = page.get_by_label("Svarmal", exact=True)
    expect(picker.locator("option")).to_have_text([TEMPLATE_TITLE])  # the retired template is not offered
    picker.select_option(label=TEMPLATE_TITLE)
    page.get_by_role("button", name="Sett inn mal", exact=True).click()
    reply = page.get_by_role("textbox", name="Svar", exact=True)
    expect(reply).to_have_value(TEMPLATE_TEXT)
    assert not Message.objects.filter(author_role=Message.Role.STAFF).exists()
    check("samtale-med-mal", page)

    # Edited and sent.
    answer(page, f"{TEMPLATE_TEXT}\n\n{SIGN_OFF}")
    expect(conversation(page)).to_have_count(2)
    sent = conversation(page).last
    expect(sent).to_contain_text("Rita Resepsjon")
    expect(sent).to_contain_text(SIGN_OFF)
    expect(sent).to_contain_text("Ikke lest av pasienten ennå")
    expect(facts).to_contain_text("Besvart eller ferdig")
    check("besvart", page)

    reply_message = Message.objects.get(author_role=Message.Role.STAFF)
    assert reply_message.body == f"{TEMPLATE_TEXT}\n\n{SIGN_OFF}"
    assert reply_message.author_id == receptionist.pk
    thread.refresh_from_db()
    assert thread.waiting_since is None and thread.notice_due_since is not None

    # Back in the inbox: nothing waits any more.
    main(page).get_by_role("link", name="Tilbake til innboksen", exact=True).click()
    expect(main(page)).to_contain_text("Ingen samtaler venter på svar.")
    check("innboks-tom", page)
    check.assert_clean("staff messaging")


def test_the_patient_is_told_without_the_text_and_reads_the_answer(
    open_page, live_server, patient_with_user, receptionist, notices_at_once
):
    origin = live_server.url.rstrip("/")
    patient = patient_with_user
    check = PageChecks("desktop", prefix="meldinger-svar")

    # The patient writes; the receptionist answers in her own browser.
    page = log_in(open_page, origin, patient, DESKTOP, bypass_csp=True)
    open_messages(page)
    write_message(page, body=BODY)
    staff = open_page("/personale/logg-inn/", bypass_csp=True)
    staff_log_in(staff, receptionist)
    staff_nav(staff).get_by_role("link", name=re.compile(r"^Meldinger")).click()
    inbox_row(staff, SUBJECT).get_by_role("link", name=SUBJECT, exact=True).click()
    answer(staff, f"Ja, kom innom i morgen. {SIGN_OFF}")

    # The worker sends one notice by SMS and one by e-mail: that there is a message, not what it says.
    backends.sms_outbox.clear()
    mail.outbox.clear()
    run_tasks()
    texts = sms_notices(patient)
    assert len(texts) == 1, backends.sms_outbox
    assert texts[0] == f"Du har en ny melding fra {CLINIC_NAME}. Logg inn for å lese den: {origin}/meldinger/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [patient.email]
    for text in [texts[0], mail.outbox[0].subject, mail.outbox[0].body]:
        assert "kom innom" not in text and SUBJECT not in text and "Rita" not in text, text

    # The patient, in the browser she wrote from, follows «Meldinger» from Min side: one unread.
    page.get_by_role("link", name="Min side", exact=True).click()
    open_messages(page)
    listed = main(page).get_by_role("listitem").filter(has_text=SUBJECT)
    expect(listed.locator(".badge")).to_have_text("1 ulest")
    check("meldinger-ulest", page)

    listed.get_by_role("link", name=SUBJECT, exact=True).click()
    expect(h1(page)).to_have_text(SUBJECT)
    expect(conversation(page)).to_have_count(2)
    mine, theirs = conversation(page).first, conversation(page).last
    expect(mine).to_contain_text(re.compile(r"Lest av legekontoret \d+\. \w+ \d\d:\d\d"))
    expect(theirs).to_contain_text("Rita Resepsjon")
    expect(theirs).to_contain_text(CLINIC_NAME)
    expect(theirs).to_contain_text(f"Ja, kom innom i morgen. {SIGN_OFF}")
    check("svar", page)

    # Read: the list counts nothing unread, and the clinic sees that she read it.
    main(page).get_by_role("link", name="Tilbake til meldinger", exact=True).click()
    expect(listed.locator(".badge")).to_have_count(0)
    assert Message.objects.get(author_role=Message.Role.STAFF).read_by_patient_at is not None
    staff.reload()
    expect(conversation(staff).last).to_contain_text(re.compile(r"Lest av pasienten \d+\. \w+ \d\d:\d\d"))
    check.assert_clean("patient reading an answer")


def test_a_patient_writes_with_a_photo_by_keyboard_alone(open_page, live_server, patient_with_user, tmp_path):
    page = log_in(open_page, live_server.url.rstrip("/"), patient_with_user)

    # Min side → «Meldinger» → «Ny melding» with Tab and Enter.
    tab_to(page, main(page).get_by_role("link", name="Meldinger", exact=True))
    page.keyboard.press("Enter")
    expect(h1(page)).to_have_text("Meldinger")
    tab_to(page, main(page).get_by_role("link", name="Ny melding", exact=True))
    page.keyboard.press("Enter")
    expect(h1(page)).to_have_text("Ny melding")

    kind = page.get_by_label("Melding til legekontoret", exact=True)
    subject = page.get_by_label("Emne", exact=True)
    body = page.get_by_label("Melding", exact=True)
    files = page.get_by_label("Vedlegg (bilder eller PDF)", exact=True)
    send = page.get_by_role("button", name="SEND", exact=True)

    # Through the empty form in its visible order, and send it with Enter: the errors are tied to their fields.
    tab_to(page, kind)
    for field in [subject, body, files, send]:
        next_field(page, field)
    page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile(r"^Feil: Ny melding"))
    expect(subject).to_have_attribute("aria-invalid", "true")
    expect(subject).to_have_accessible_description("Skriv et emne.")
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(body).to_have_accessible_description("Maks 5000 tegn. Skriv en melding.")
    assert not Thread.objects.exists()

    # Filled in by typing; the photo chosen from the file dialog that Space opens on the file field.
    tab_to(page, subject)
    page.keyboard.type(SUBJECT)
    next_field(page, body)
    page.keyboard.type(BODY)
    next_field(page, files)
    with page.expect_file_chooser() as chooser_info:
        page.keyboard.press("Space")
    chooser_info.value.set_files(jpeg(tmp_path))
    next_field(page, send)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Meldingen er sendt.")
    expect(conversation(page).first).to_contain_text(BODY)

    # The photo downloads with Enter on its link.
    tab_to(page, conversation(page).first.get_by_role("link", name=PHOTO_NAME, exact=True))
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    saved = tmp_path / "med-tastatur.jpg"
    download_info.value.save_as(saved)
    with Image.open(saved) as downloaded:
        assert downloaded.size == PHOTO_SIZE


@pytest.mark.parametrize("screen", SCREENS)
def test_messaging_pages_are_accessible_and_fit_the_screen(
    open_page, live_server, patient_with_user, receptionist, reply_template, tmp_path, screen
):
    """Both sides' pages on a desktop, a phone and a 320 px screen, with what makes them wide: a link pasted into
    the text, and a photo named as a phone's camera names it."""
    origin = live_server.url.rstrip("/")
    device = SCREENS[screen][0]
    check = PageChecks(screen, prefix="meldinger")

    page = log_in(open_page, origin, patient_with_user, device, bypass_csp=True)
    open_messages(page)
    check("meldinger-tom", page)
    main(page).get_by_role("link", name="Ny melding", exact=True).click()
    check("ny-melding", page)
    page.get_by_role("link", name="Tilbake til meldinger", exact=True).click()
    write_message(page, body=f"{BODY} Jeg leste dette: {LINK}", photo=jpeg(tmp_path, CAMERA_NAME))
    check("sendt", page)

    staff = open_page("/personale/logg-inn/", device, bypass_csp=True)
    check("personale-logg-inn", staff)
    staff_log_in(staff, receptionist)
    staff_nav(staff).get_by_role("link", name=re.compile(r"^Meldinger")).click()
    expect(inbox_row(staff, SUBJECT)).to_have_count(1)
    check("innboks", staff)
    inbox_row(staff, SUBJECT).get_by_role("link", name=SUBJECT, exact=True).click()
    expect(conversation(staff).first).to_contain_text(LINK)
    expect(conversation(staff).first.get_by_role("link", name=CAMERA_NAME, exact=True)).to_be_visible()
    check("personale-samtale", staff)
    staff.get_by_label("Svarmal", exact=True).select_option(label=TEMPLATE_TITLE)
    staff.get_by_role("button", name="Sett inn mal", exact=True).click()
    answer(staff, staff.get_by_role("textbox", name="Svar", exact=True).input_value())
    check("personale-besvart", staff)

    page.reload()
    expect(conversation(page)).to_have_count(2)
    expect(conversation(page).last).to_contain_text(TEMPLATE_TEXT)
    check("svar", page)
    page.get_by_role("link", name="Tilbake til meldinger", exact=True).click()
    check("meldinger-en", page)
    check.assert_clean("messaging")
