"""The banner `eportal demo` prints: where the demo runs, whom to log in as and what each featured person
shows of the access rules on the day, and where the codes arrive."""

import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from eportal.cli import DEMO_DATA_DIR
from eportal.clinic.ages import PROXY_HOLDER_FROM, age_on, has_own_access
from eportal.clinic.models import Clinic, Guardianship, ListPatient, Proxy
from eportal.identity.mobile import display_mobile
from eportal.representation.policy import ALL, guardian_capabilities

from .clinic import STAFF_PASSWORD, STAFF_TOTP_KEY_BASE32, STAFF_USERNAME, featured_patients
from .messages import GP_USERNAME, RECEPTIONIST_USERNAME

ADULT_FROM = PROXY_HOLDER_FROM  # the age the rules treat as adult (18)


def _staff_code_command() -> str:
    """How to get the staff code from another terminal: in this folder, the short command finds the demo."""
    if (Path.cwd() / DEMO_DATA_DIR).resolve() == settings.DATA_DIR:
        return _("eportal demo-staff-code (in this folder)")
    return f"EPORTAL_ENV=demo EPORTAL_DATA_DIR={settings.DATA_DIR} eportal demo-staff-code"


def role_on(patient: ListPatient, day: datetime.date, featured: list[ListPatient]) -> str:
    """What the person shows of the access rules on the day, as the policy decides it."""
    proxy = Proxy.objects.in_force(day).filter(giver=patient).first()
    if proxy is not None:
        holder = next((p.first_name for p in featured if p.national_id == proxy.proxy_national_id), proxy.proxy_name)
        return _("parent who has given %(name)s power of attorney") % {"name": holder}
    if patient.guardianships.exists():
        if has_own_access(patient.national_id, day):
            if age_on(patient.national_id, day) < ADULT_FROM:
                return _("young person 16–17: own access")
            return _("adult")
        capabilities = guardian_capabilities(patient, day)
        if capabilities == ALL:
            return _("child under 12")
        if capabilities:
            return _("child 12–15: guardians see appointments only")
        return _("child withheld from guardians")
    if Guardianship.objects.filter(guardian_national_id=patient.national_id, child__in=featured).exists():
        return _("parent, guardian of the children")
    return _("adult")


def demo_banner(base_url: str) -> str:
    lines = [
        "",
        "=" * 72,
        "  "
        + _("eportal demo: %(clinic)s runs at %(url)s") % {"clinic": Clinic.objects.get().name, "url": f"{base_url}/"},
        "=" * 72,
        "  " + _("Demo patients (synthetic national identity numbers, mobile registered at the clinic):"),
        "  "
        + _("Register at %(url)s with a number and its mobile; the e-mail and SMS codes are in the outbox.")
        % {"url": f"{base_url}/registrer/"},
    ]
    mobile_label = _("mobile")
    featured = featured_patients()
    today = timezone.localdate()
    for patient in featured:
        role = role_on(patient, today, featured)
        mobile = display_mobile(patient.mobile)
        lines.append(f"    {patient.full_name:<16} {patient.national_id}   {mobile_label} {mobile}   ({role})")
    lines += [
        "  "
        + _(
            "Kari and Ola are registered as the children's guardians; a child under 16 is registered with Kari's "
            "mobile, from 16 with their own."
        ),
        "  " + _("Log in as Kari, choose a person under «Personer du kan handle på vegne av» on Min side."),
        "  " + _("BankID: choose BankID under Logg inn and type a fødselsnummer above on the test BankID page."),
        "  " + _("Logged in: «Bestill time» and «Mine timer» are on Min side; the GPs have free times ahead."),
        "  "
        + _(
            "Waiting list: book a later time, choose «Gi meg beskjed om en tidligere time» on «Mine timer», then "
            "cancel an earlier booking with the same GP as staff («Avlys timen» on the day list); the SMS with "
            "the link is in the outbox."
        ),
        "",
        "  " + _("Outbox for SMS and e-mail in the demo: %(url)s") % {"url": f"{base_url}/demo/utboks/"},
        "  "
        + _("Staff pages (Dagsliste, Uke, Belegg, admin): %(url)s (user %(user)s, password %(password)s)")
        % {"url": f"{base_url}/personale/", "user": STAFF_USERNAME, "password": STAFF_PASSWORD},
        "    "
        + _("Code: add the key %(key)s to an authenticator app, or run: %(command)s")
        % {"key": STAFF_TOTP_KEY_BASE32, "command": _staff_code_command()},
        "    "
        + _(
            "Inboxes: user %(reception)s reads reception's inbox, %(gp)s is %(name)s (Kari's GP) and reads her own, "
            "%(staff)s reads all; same password and code. «Meldinger» is in the staff menu."
        )
        % {"reception": RECEPTIONIST_USERNAME, "gp": GP_USERNAME, "name": "Ingrid Haugen", "staff": STAFF_USERNAME},
        "    "
        + _(
            "«Varsler som ikke kom fram» in the staff menu lists the notices the SMS gateway or mail server would "
            "not take, to send again (none in the demo: everything goes to the outbox). Health: %(url)s"
        )
        % {"url": f"{base_url}/healthz"},
        "  "
        + _(
            "Messages: as Kari, «Meldinger» on Min side, «Ny melding» (a photo may go with it); answer it as %(user)s "
            "under «Meldinger»; the notice to Kari comes in the outbox after %(minutes)d minutes."
        )
        % {"user": RECEPTIONIST_USERNAME, "minutes": settings.EPORTAL_MESSAGE_NOTICE_DELAY_MINUTES},
        "  "
        + _(
            "Prescription renewal: as Kari, «Reseptfornyelse» on Min side; %(gp)s answers it in her inbox with the "
            "template «Resepten er sendt»."
        )
        % {"gp": GP_USERNAME},
        "  "
        + _(
            "eKonsultasjon: as Kari, «eKonsultasjon» on Min side; logged in with password and SMS, «Nei, gå videre» "
            "sends you to BankID (type Kari's fødselsnummer) and back to the form with the price."
        ),
        "  "
        + _(
            "Payments: as %(staff)s, «Betalinger» in the staff menu lists the month's closed eKonsultasjoner, with "
            "CSV; %(gp)s closes one by ticking «Avslutt samtalen» with the answer."
        )
        % {"staff": STAFF_USERNAME, "gp": GP_USERNAME},
        "  " + _("Import a patient list (CSV from the journal system) into the demo:"),
        f"    EPORTAL_ENV=demo EPORTAL_DATA_DIR={settings.DATA_DIR} eportal import-patients FIL.csv",
        "  " + _("Stop with Ctrl+C."),
        "=" * 72,
        "",
    ]
    return "\n".join(lines)
