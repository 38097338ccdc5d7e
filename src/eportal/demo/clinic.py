"""The demo clinic, Gjerdrum legesenter: its practitioners, synthetic patients and families, and the
staff user with its TOTP key. The population is deterministic, the same on every machine; the featured
family printed by `eportal demo` has its children's birth dates set from the day the demo is seeded, so
that each child is in its age band of the access rules (representation.policy) for most of a year."""

import datetime
import random
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from eportal.clinic.ages import has_own_access
from eportal.clinic.models import Clinic, Guardianship, ListPatient, Practitioner, Proxy
from eportal.identity.email import parse_email
from eportal.identity.mobile import InvalidMobile, parse_mobile
from eportal.identity.synthetic import random_birth_date, synthetic_national_id

from .messages import seed_messages
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

SPECIALIST_HPR = "9100011"
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

# The family printed by `eportal demo`: Kari and Ola, a child in each age band of the access rules (age in
# whole years on the day the demo is seeded), and Kari's father, who has given Kari fullmakt.
FAMILY_NAME = "Nordmann"
PARENTS = [("Kari", datetime.date(1986, 4, 12)), ("Ola", datetime.date(1984, 9, 3))]
CHILDREN = [("Emma", 8), ("Nora", 13), ("Jakob", 17)]  # under 12, 12 to 15, 16 or 17
ELDER = ("Arne", datetime.date(1941, 3, 8))
PROXY_HOLDER = "Kari"
# A featured child had their birthday this many days before the seeding: far from either birthday.
DAYS_PAST_BIRTHDAY = 100


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` years earlier; 28 February for a 29 February in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def featured_birth_dates(today: datetime.date) -> list[tuple[str, datetime.date]]:
    """The featured family's first names and birth dates for a demo seeded on `today`, in printing order."""
    children = [
        (name, years_before(today, age) - datetime.timedelta(days=DAYS_PAST_BIRTHDAY)) for name, age in CHILDREN
    ]
    return [*PARENTS, *children, ELDER]


FEATURED_NAMES = [first for first, _ in featured_birth_dates(REFERENCE_DATE)]


NORWEGIAN_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})


def ascii_name(name: str) -> str:
    """A name as an e-mail address's local part may have it (identity.email): lower case, æ ø å as ae o a,
    other letters without their accents (é as e)."""
    decomposed = unicodedata.normalize("NFKD", name.lower().translate(NORWEGIAN_LETTERS))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _email(*parts: str) -> str:
    return parse_email(f"{'.'.join(ascii_name(part) for part in parts)}@example.com")


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


def _national_id(rng: random.Random, born: datetime.date, used: set[str], *, d_number: bool | None = None) -> str:
    while True:
        number = synthetic_national_id(born, rng=rng, d_number=rng.random() < 0.03 if d_number is None else d_number)
        if number not in used:
            used.add(number)
            return number


def _population(gps: list[Practitioner], ids: set[str], mobiles: set[str]):
    """Yield (patient, guardians) for the clinic's households, where guardians is a list of (national_id,
    mobile); the same on every machine and every day."""
    rng = random.Random(20260101)
    for _ in range(HOUSEHOLDS):
        last = rng.choice(LAST_NAMES)
        gp = rng.choice(gps)
        adults = []
        for _ in range(rng.choice((1, 2, 2))):
            first = rng.choice(FIRST_NAMES)
            born = random_birth_date(rng, min_age=19, max_age=92, today=REFERENCE_DATE)
            number, mobile = _national_id(rng, born, ids), _mobile(rng, mobiles)
            email = _email(first, last, number[-5:]) if rng.random() < 0.8 else ""
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


def _featured(gp: Practitioner, today: datetime.date, ids: set[str], mobiles: set[str]) -> dict[str, tuple]:
    """The featured family by first name: (patient, guardians). A member already registered is kept as is,
    so seeding again on a later day adds no second family."""
    rng = random.Random(19860412)
    registered = {patient.first_name: patient for patient in ListPatient.objects.filter(last_name=FAMILY_NAME)}
    children = [first for first, _ in CHILDREN]
    patients = {}
    for first, born in featured_birth_dates(today):
        patients[first] = registered.get(first) or ListPatient(
            national_id=_national_id(rng, born, ids, d_number=False),
            first_name=first,
            last_name=FAMILY_NAME,
            gp=gp,
            email="" if first in children else _email(first, FAMILY_NAME),
            on_list_from=LIST_SINCE,
        )
    kari = patients[PARENTS[0][0]]
    for patient in patients.values():  # Kari first
        if patient.pk is not None:
            continue
        if patient.first_name in children and not has_own_access(patient.national_id, today):
            patient.mobile = kari.mobile  # the user guide's way of booking for a child
        else:
            patient.mobile = _mobile(rng, mobiles)
    guardians = [(patients[first].national_id, patients[first].mobile) for first, _ in PARENTS]
    return {first: (patient, guardians if first in children else []) for first, patient in patients.items()}


def _build_patients(gps: list[Practitioner], today: datetime.date):
    """(patients with their guardians, the featured family by first name)."""
    ids: set[str] = set()
    mobiles: set[str] = set()
    population = list(_population(gps, ids, mobiles))
    featured = _featured(gps[0], today, ids, mobiles)
    return [*featured.values(), *population], featured


@transaction.atomic
def seed_demo_clinic(*, today: datetime.date | None = None) -> dict[str, int]:
    """Create or complete the demo clinic; running it again changes nothing. The featured children's ages
    are set from `today` (the local date)."""
    if not settings.EPORTAL_ALLOW_SYNTHETIC_IDS:
        raise ImproperlyConfigured("The demo clinic needs EPORTAL_ALLOW_SYNTHETIC_IDS (on in the demo).")
    Clinic.objects.update_or_create(pk=Clinic.SINGLETON_ID, defaults=CLINIC)
    gps = []
    for first, last, hpr, role in PRACTITIONERS:
        practitioner, _ = Practitioner.objects.update_or_create(
            hpr_number=hpr,
            defaults={
                "first_name": first,
                "last_name": last,
                "role": role,
                "has_patient_list": role == "gp",
                # Kari's GP is a specialist in general practice: the eKonsultasjon's price shows the supplement.
                "specialist": hpr == SPECIALIST_HPR,
            },
        )
        if role == Practitioner.Role.GP:
            gps.append(practitioner)
    built, featured = _build_patients(gps, today or timezone.localdate())
    ListPatient.objects.bulk_create(
        [patient for patient, _ in built if patient.pk is None], batch_size=1000, ignore_conflicts=True
    )
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
    holder = featured[PROXY_HOLDER][0]
    Proxy.objects.get_or_create(
        giver_id=patient_ids[featured[ELDER[0]][0].national_id],
        proxy_national_id=holder.national_id,
        ended_at=None,
        defaults={
            "proxy_name": holder.full_name,
            "valid_from": LIST_SINCE,
            "valid_until": None,
            "source": Proxy.Source.CLINIC,
        },
    )
    user_model = get_user_model()
    staff = user_model.objects.filter(username=STAFF_USERNAME).first()
    if staff is None:
        staff = user_model.objects.create_superuser(STAFF_USERNAME, "", STAFF_PASSWORD)
    TOTPDevice.objects.get_or_create(user=staff, name="demo", defaults={"key": STAFF_TOTP_KEY_HEX, "confirmed": True})
    seed_booking()
    seed_messages(password=STAFF_PASSWORD, totp_key_hex=STAFF_TOTP_KEY_HEX, today=today or timezone.localdate())
    return {
        "practitioners": Practitioner.objects.count(),
        "patients": ListPatient.objects.count(),
        "guardianships": Guardianship.objects.count(),
    }


def featured_patients() -> list[ListPatient]:
    """The featured family as registered, in printing order."""
    patients = {patient.first_name: patient for patient in ListPatient.objects.filter(last_name=FAMILY_NAME)}
    return [patients[first] for first in FEATURED_NAMES if first in patients]
