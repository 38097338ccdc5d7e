"""The public pages a visitor sees before logging in."""

import html as html_text

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django_otp.plugins.otp_totp.models import TOTPDevice

from eportal.clinic.models import Clinic, ListPatient, Practitioner
from eportal.demo.clinic import STAFF_PASSWORD, seed_demo_clinic
from tests import factories
from tests.helpers import staff_login


@pytest.fixture
def clinic(db):
    clinic = Clinic.objects.create(
        name="Gjerdrum legesenter",
        street_address="Ask sentrum 12",
        postal_code="2022",
        city="Gjerdrum",
        phone="63 99 10 00",
        opening_hours="Mandag–fredag 08.00–15.30\n\nStengt lørdag",
        about_text="Vi er seks fastleger.\n\nParkering rett utenfor.",
        help_text="Ring oss om du står fast.",
    )
    factories.practitioner("9100011")
    factories.practitioner("9100077", first_name="Hanne", last_name="Strand", role="nurse")
    return clinic


def get(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def test_every_page_has_the_seeds_header_in_norwegian(client, clinic):
    for name in ["clinic:front", "clinic:about", "clinic:help", "accounts:login"]:
        html = get(client, name)
        assert '<html lang="nb">' in html
        assert "GJERDRUM LEGESENTER" in html
        for label in ["Om Klinikken", "Hjelp", "Logg inn"]:
            assert f">{label}</a>" in html, (name, label)
        assert "116 117" in html


def test_front_page_tells_a_first_time_visitor_how_to_start(client, clinic):
    html = get(client, "clinic:front")
    assert "Første gang du besøker e-portalen, må du opprettes som bruker." in html
    assert "Det er kun pasienter som har fastlege ved Gjerdrum legesenter som kan opprette bruker." in html
    assert "Mandag–fredag 08.00–15.30" in html


def test_about_page_shows_contact_hours_and_practitioners(client, clinic):
    html = get(client, "clinic:about")
    assert "<h1>Om Klinikken</h1>" in html
    assert "<p>Vi er seks fastleger.</p>" in html and "<p>Parkering rett utenfor.</p>" in html
    assert "Ask sentrum 12, 2022 Gjerdrum" in html
    assert 'href="tel:63991000"' in html
    assert "Ingrid Haugen, fastlege" in html and "Hanne Strand, sykepleier" in html


def test_help_page_has_the_seeds_sms_help_with_the_configured_price(client, clinic, settings):
    settings.EPORTAL_SMS_PRICE_NOK = "2"
    html = get(client, "clinic:help")
    assert "Ring oss om du står fast." in html
    assert "mobilabonnementet ditt er sperret for kostnadsbelagte SMS-tjenester" in html
    assert "Prisen for tjenesten er kr.2,- per mottatt melding." in html


def test_help_page_states_who_may_act_for_a_child_and_how(client, clinic):
    html = get(client, "clinic:help")
    section = html[html.index('<section aria-labelledby="child-help">') :]
    section = section[: section.index("</section>")]
    for rule in [
        "Foresatte til barn under 12 år kan bruke alle tjenestene for barnet.",
        "For barn mellom 12 og 16 år kan foresatte se, bestille og avbestille timer, men ikke lese meldinger, "
        "sende eKonsultasjon eller fornye resepter.",
        "Fra 16 år har ingen foresatte tilgang",
        "Legekontoret kan skjerme et barns opplysninger for foresatte",
        "Logg inn som deg selv og velg barnet under «Personer du kan handle på vegne av» på Min side.",
        "må du registrere dette med riktig personnummer, og ditt mobilnummer må være registrert på barnet",
        "En pasient som har fylt 16 år, kan gi en annen voksen (fra 18 år) fullmakt",
        "på nett, innlogget med BankID, eller med et signert skjema hos legekontoret",
    ]:
        assert rule in html_text.unescape(section), rule


def test_login_page_offers_the_seeds_two_electronic_ids(client, clinic):
    html = get(client, "accounts:login")
    assert "Velg en elektronisk ID for å identifisere deg:" in html
    assert "Bruk kodebrikken for BankID" in html
    assert "NB ! BankID er påkrevd for bruk av eKonsultasjon" in html
    assert "Engangspassord på mobil" in html
    assert "Legekontoret må ha registrert mobilnummeret ditt." in html


def test_clinic_comes_from_settings_when_none_is_registered(client, db, settings):
    settings.EPORTAL_CLINIC_NAME = "Ask legekontor"
    html = get(client, "clinic:front")
    assert "ASK LEGEKONTOR" in html
    assert Clinic.objects.get().name == "Ask legekontor"


def test_security_headers_on_public_pages(client, clinic):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    for directive in ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "default-src 'self'"]:
        assert directive in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_unknown_page_is_a_404_not_a_500(client, clinic):
    assert client.get("/finnes-ikke/").status_code == 404


def test_demo_outbox_exists_only_in_the_demo(client, clinic, settings):
    settings.EPORTAL_DEMO_OUTBOX = False
    assert client.get("/demo/utboks/").status_code == 404


def test_admin_is_for_staff_only(client, clinic, django_user_model):
    response = client.get("/personale/admin/")
    assert response.status_code == 302 and "/personale/admin/login/" in response["Location"]
    staff_without_code = django_user_model.objects.create_user("anne", password="x" * 12, is_staff=True)
    client.force_login(staff_without_code)
    response = client.get("/personale/admin/clinic/listpatient/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/personale/logg-inn/?next=")
    assert "Innlogging for personalet" in response.content.decode()


def test_staff_can_search_the_registry_in_the_admin(client, db, django_user_model):
    seed_demo_clinic()
    staff_login(client, django_user_model.objects.get(username="personale"))
    response = client.get("/personale/admin/clinic/listpatient/", {"q": "Nordmann"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Kari Nordmann" in html and "Emma Nordmann" in html


def test_staff_see_and_filter_the_withheld_flag_in_the_admin(client, clinic, django_user_model):
    staff = django_user_model.objects.create_user("anne", password=STAFF_PASSWORD, is_staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=staff, name="telefon", confirmed=True)
    staff_login(client, staff)
    gp = Practitioner.objects.get(hpr_number="9100011")
    withheld = factories.list_patient(gp, first_name="Nora", withheld_from_guardians=True)
    factories.list_patient(gp, first_name="Emma")
    url = "/personale/admin/clinic/listpatient/"
    field = ListPatient._meta.get_field("withheld_from_guardians")
    with translation.override("nb"):
        label, help_text = str(field.verbose_name), str(field.help_text)
    listing = client.get(url).content.decode()
    assert "Nora Nordmann" in listing and "Emma Nordmann" in listing
    assert "withheld_from_guardians__exact=1" in listing and escape(label.capitalize()) in listing
    filtered = client.get(url, {"withheld_from_guardians__exact": "1"}).content.decode()
    assert "Nora Nordmann" in filtered and "Emma Nordmann" not in filtered
    change = client.get(f"{url}{withheld.pk}/change/").content.decode()
    assert help_text in change  # the admin shows a help text as it is written
