"""The banner `eportal demo` prints: where the demo runs, whom to log in as, and where the codes arrive."""

from django.conf import settings
from django.utils.translation import gettext as _

from eportal.clinic.models import Clinic
from eportal.identity.mobile import display_mobile

from .clinic import STAFF_PASSWORD, STAFF_TOTP_KEY_BASE32, STAFF_USERNAME, featured_patients


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
    for patient in featured_patients():
        role = _("child") if not patient.email else _("adult")
        mobile = display_mobile(patient.mobile)
        lines.append(f"    {patient.full_name:<16} {patient.national_id}   {mobile_label} {mobile}   ({role})")
    lines += [
        "  " + _("The children are registered with Kari's mobile, and Kari and Ola have parental responsibility."),
        "  " + _("BankID: choose BankID under Logg inn and type a fødselsnummer above as the user."),
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
        % {
            "key": STAFF_TOTP_KEY_BASE32,
            "command": f"EPORTAL_ENV=demo EPORTAL_DATA_DIR={settings.DATA_DIR} eportal demo-staff-code",
        },
        "  " + _("Import a patient list (CSV from the journal system) into the demo:"),
        f"    EPORTAL_ENV=demo EPORTAL_DATA_DIR={settings.DATA_DIR} eportal import-patients FIL.csv",
        "  " + _("Stop with Ctrl+C."),
        "=" * 72,
        "",
    ]
    return "\n".join(lines)
