"""The demo clinic, Gjerdrum legesenter: its practitioners, synthetic patients and families, and the
staff user with its TOTP key. Deterministic, so the demo patients printed by `eportal demo` are the same
on every machine."""

import datetime
import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from eportal.clinic.models import Clinic, Guardianship, ListPatient, Practitioner
from eportal.identity.mobile import InvalidMobile, parse_mobile
from eportal.identity.synthetic import random_birth_date, synthetic_national_id

from .schedule import seed_booking

REFERENCE_DATE = datetime.date(2026, 1, 1)
LIST_SINCE = datetime.date(2020, 1, 1)
HOUSEHOLDS = 2130
STAFF_USERNAME = "personale"
STAFF_PASSWORD = "demo-personale-2026"  # noqa: S105 - printed for the demo user
# The RFC 4226 test secret ("12345678901234567890"): any authenticator app accepts its base32 form.
STAFF_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
STAFF_TOTP_KEY_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

CLINIC = {
    "name": "Gjerdrum legesenter",
    "street_address": "Ask sentrum 12",
    "postal_code": "2022",
    "city": "Gjerdrum",
    "phone": "63 99 10 00",
    "email": "post@gjerdrum-legesenter.example",
    "opening_hours": (
        "Mandag–fredag 08.00–15.30\nTelefonen er åpen 08.00–11.00 og 12.00–14.00\nStengt lørdag, søndag og helligdager"
    ),
    "about_text": (
        "Gjerdrum legesenter er et fastlegekontor med seks fastleger og en sykepleier. "
        "Vi holder til i Ask sentrum, med parkering rett utenfor og heis til andre etasje.\n\n"
        "I e-portalen kan du bestille og avbestille time, skrive sikre meldinger til legen din, "
        "fornye resepter og sende eKonsultasjon."
    ),
    "help_text": (
        "Første gang du besøker e-portalen, må du opprettes som bruker. Det er kun pasienter som har "
        "fastlege ved Gjerdrum legesenter som kan opprette bruker.\n\n"
        "Du kan identifisere deg på to måter: BankID eller Engangspassord på mobil. Bruker du "
        "Engangspassord må du ha registrert riktig mobiltelefonnummer hos oss på forhånd. "
        "Ta kontakt hvis du er usikker på dette."
    ),
}

PRACTITIONERS = [
    ("Ingrid", "Haugen", "9100011", Practitioner.Role.GP),
    ("Lars", "Bakke", "9100022", Practitioner.Role.GP),
    ("Sofie", "Lund", "9100033", Practitioner.Role.GP),
    ("Mohammed", "Rahimi", "9100044", Practitioner.Role.GP),
    ("Kristin", "Solberg", "9100055", Practitioner.Role.GP),
    ("Anders", "Moen", "9100066", Practitioner.Role.GP),
    ("Hanne", "Strand", "9100077", Practitioner.Role.NURSE),
]

FIRST_NAMES = [
    "Kari",
    "Ola",
    "Nora",
    "Jakob",
    "Emma",
    "Emil",
    "Sofie",
    "Filip",
    "Ingrid",
    "Henrik",
    "Maja",
    "Lukas",
    "Sara",
    "Oskar",
    "Ella",
    "Aksel",
    "Leah",
    "William",
    "Olivia",
    "Noah",
    "Ida",
    "Tobias",
    "Hanna",
    "Magnus",
    "Thea",
    "Sander",
    "Amalie",
    "Elias",
    "Frida",
    "Jonas",
    "Linnea",
    "Mathias",
    "Selma",
    "Adrian",
    "Astrid",
    "Kasper",
    "Marte",
    "Sindre",
    "Tiril",
    "Even",
    "Aisha",
    "Ali",
    "Zofia",
    "Piotr",
    "Fatima",
    "Omar",
    "Mari",
    "Per",
]
LAST_NAMES = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Johannessen",
    "Andreassen",
    "Jacobsen",
    "Dahl",
    "Jørgensen",
    "Halvorsen",
    "Henriksen",
    "Lund",
    "Sørensen",
    "Jakobsen",
    "Moen",
    "Gundersen",
    "Iversen",
    "Strand",
    "Solberg",
    "Svendsen",
    "Eide",
    "Knutsen",
    "Martinsen",
    "Paulsen",
]

# The family printed by `eportal demo`: two parents and two children of different ages.
FEATURED = [
    ("Kari", "Nordmann", datetime.date(1986, 4, 12), "kari.nordmann@example.com"),
    ("Ola", "Nordmann", datetime.date(1984, 9, 3), "ola.nordmann@example.com"),
    ("Emma", "Nordmann", datetime.date(2015, 6, 20), ""),
    ("Jakob", "Nordmann", datetime.date(2009, 2, 14), ""),
]


def _mobile(rng: random.Random, used: set[str]) -> str:
    while True:
        candidate = f"{rng.choice('49')}{rng.randrange(10_000_000):07d}"
        try:
            number = parse_mobile(candidate)
        except InvalidMobile:
            continue
        if number not in used:
            used.add(number)
            return number


def _national_id(rng: random.Random, born: datetime.date, used: set[str]) -> str:
    while True:
        number = synthetic_national_id(born, rng=rng, d_number=rng.random() < 0.03)
        if number not in used:
            used.add(number)
            return number


def _build_patients(gps: list[Practitioner]):
    """Yield (patient, guardians) where guardians is a list of (national_id, mobile)."""
    rng = random.Random(20260101)
    ids: set[str] = set()
    mobiles: set[str] = set()
    kari_id, ola_id, *_ = featured_ids = [_national_id(rng, born, ids) for _, _, born, _ in FEATURED]
    kari_mobile, ola_mobile = _mobile(rng, mobiles), _mobile(rng, mobiles)
    gp = gps[0]
    for (first, last, _born, email), number in zip(FEATURED, featured_ids, strict=True):
        is_child = not email
        patient = ListPatient(
            national_id=number,
            first_name=first,
            last_name=last,
            gp=gp,
            mobile=kari_mobile if is_child or first == "Kari" else ola_mobile,
            email=email,
            on_list_from=LIST_SINCE,
        )
        yield patient, ([(kari_id, kari_mobile), (ola_id, ola_mobile)] if is_child else [])

    for _ in range(HOUSEHOLDS):
        last = rng.choice(LAST_NAMES)
        gp = rng.choice(gps)
        adults = []
        for _ in range(rng.choice((1, 2, 2))):
            first = rng.choice(FIRST_NAMES)
            born = random_birth_date(rng, min_age=19, max_age=92, today=REFERENCE_DATE)
            number, mobile = _national_id(rng, born, ids), _mobile(rng, mobiles)
            email = f"{first}.{last}.{number[-5:]}@example.com".lower() if rng.random() < 0.8 else ""
            adults.append((number, mobile))
            yield (
                ListPatient(
                    national_id=number,
                    first_name=first,
                    last_name=last,
                    gp=gp,
                    mobile=mobile,
                    email=email,
                    on_list_from=LIST_SINCE,
                ),
                [],
            )
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            born = random_birth_date(rng, min_age=0, max_age=17, today=REFERENCE_DATE)
            yield (
                ListPatient(
                    national_id=_national_id(rng, born, ids),
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=last,
                    gp=gp,
                    mobile=adults[0][1],
                    on_list_from=LIST_SINCE,
                ),
                adults,
            )


@transaction.atomic
def seed_demo_clinic() -> dict[str, int]:
    """Create or complete the demo clinic; running it again changes nothing."""
    if not settings.EPORTAL_ALLOW_SYNTHETIC_IDS:
        raise ImproperlyConfigured("The demo clinic needs EPORTAL_ALLOW_SYNTHETIC_IDS (on in the demo).")
    Clinic.objects.update_or_create(pk=Clinic.SINGLETON_ID, defaults=CLINIC)
    gps = []
    for first, last, hpr, role in PRACTITIONERS:
        practitioner, _ = Practitioner.objects.update_or_create(
            hpr_number=hpr,
            defaults={"first_name": first, "last_name": last, "role": role, "has_patient_list": role == "gp"},
        )
        if role == Practitioner.Role.GP:
            gps.append(practitioner)
    built = list(_build_patients(gps))
    ListPatient.objects.bulk_create([patient for patient, _ in built], batch_size=1000, ignore_conflicts=True)
    patient_ids = dict(ListPatient.objects.values_list("national_id", "id"))
    Guardianship.objects.bulk_create(
        [
            Guardianship(child_id=patient_ids[child.national_id], guardian_national_id=number, guardian_mobile=mobile)
            for child, guardians in built
            for number, mobile in guardians
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    user_model = get_user_model()
    staff = user_model.objects.filter(username=STAFF_USERNAME).first()
    if staff is None:
        staff = user_model.objects.create_superuser(STAFF_USERNAME, "", STAFF_PASSWORD)
    TOTPDevice.objects.get_or_create(user=staff, name="demo", defaults={"key": STAFF_TOTP_KEY_HEX, "confirmed": True})
    seed_booking()
    return {
        "practitioners": Practitioner.objects.count(),
        "patients": ListPatient.objects.count(),
        "guardianships": Guardianship.objects.count(),
    }


def featured_patients() -> list[ListPatient]:
    names = [(first, last) for first, last, _, _ in FEATURED]
    patients = {(p.first_name, p.last_name): p for p in ListPatient.objects.filter(last_name="Nordmann")}
    return [patients[name] for name in names if name in patients]
