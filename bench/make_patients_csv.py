"""Make a patient-list CSV like the journal system's export, with N synthetic patients.

    .venv/bin/python bench/make_patients_csv.py --rows 100000 --seed 1 -o patients.csv

The fødselsnummer are synthetic (month + 80, from eportal.identity.synthetic), so they can never be a
real person's; the import accepts them only outside production (EPORTAL_ENV=test or demo). Mobiles are
Norwegian, written as +47XXXXXXXX or XXXXXXXX, and each is one that parse_mobile accepts. About a
quarter of the e-mail addresses are empty. The GP column holds HPR numbers from a given list (by default
the demo clinic's six GPs, so a file made here can be imported into `eportal demo`).

The same seed gives the same file, byte for byte. No Django set-up is needed.
"""

import argparse
import csv
import datetime
import io
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from eportal.identity.mobile import InvalidMobile, parse_mobile
from eportal.identity.synthetic import random_birth_date, synthetic_national_id

HEADER = ("fodselsnummer", "fornavn", "etternavn", "mobil", "epost", "fastlege_hpr")
# The GPs of the demo clinic (eportal.demo.clinic.PRACTITIONERS).
DEFAULT_GP_HPR = ("9100011", "9100022", "9100033", "9100044", "9100055", "9100066")
# Birth dates are drawn relative to a fixed day, so a seed gives the same file on any date.
REFERENCE_DATE = datetime.date(2025, 1, 1)
EMPTY_EMAIL_SHARE = 0.25
D_NUMBER_SHARE = 0.03

# fmt: off
FIRST_NAMES = [
    "Kari", "Ola", "Nora", "Jakob", "Emma", "Emil", "Sofie", "Filip", "Ingrid", "Henrik", "Maja", "Lukas",
    "Sara", "Oskar", "Ella", "Aksel", "Leah", "William", "Olivia", "Noah", "Ida", "Tobias", "Hanna", "Magnus",
    "Thea", "Sander", "Amalie", "Elias", "Frida", "Jonas", "Linnea", "Mathias", "Selma", "Adrian", "Astrid",
    "Kasper", "Marte", "Sindre", "Tiril", "Even", "Aisha", "Ali", "Zofia", "Piotr", "Fatima", "Omar", "Mari",
    "Per", "Åse", "Øystein", "Ærling", "Bjørn", "Sølvi", "Håkon", "Gro", "Tor", "Siv", "Ståle", "Dagfinn",
    "Kjellaug",
]
LAST_NAMES = [
    "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen",
    "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen", "Johannessen", "Andreassen",
    "Jacobsen", "Dahl", "Jørgensen", "Halvorsen", "Henriksen", "Lund", "Sørensen", "Jakobsen", "Moen",
    "Gundersen", "Iversen", "Strand", "Solberg", "Svendsen", "Eide", "Knutsen", "Martinsen", "Paulsen",
    "Øvrebø", "Ødegård", "Aasen", "Bråthen", "Løvås", "Sæther", "Ærø", "Kowalski", "Ahmed", "Nguyen",
]
# fmt: on
_ASCII = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "Ae", "Ø": "O", "Å": "A"})


@dataclass(frozen=True)
class Patient:
    national_id: str
    first_name: str
    last_name: str
    mobile: str  # as written in the file: +47XXXXXXXX or XXXXXXXX
    email: str
    gp_hpr: str

    def row(self) -> tuple[str, ...]:
        return (self.national_id, self.first_name, self.last_name, self.mobile, self.email, self.gp_hpr)

    @property
    def mobile_e164(self) -> str:
        """The mobile as the registry should store it."""
        return f"+47{self.mobile[-8:]}"


class PatientGenerator:
    """Synthetic patients, every fødselsnummer and mobile unique within one generator."""

    def __init__(self, seed: int = 1, gp_hpr: Sequence[str] = DEFAULT_GP_HPR):
        if not gp_hpr:
            raise ValueError("at least one GP HPR number is needed")
        self.rng = random.Random(seed)
        self.gp_hpr = tuple(gp_hpr)
        self._national_ids: set[str] = set()
        self._mobiles: set[str] = set()

    def national_id(self) -> str:
        while True:
            born = random_birth_date(self.rng, min_age=0, max_age=99, today=REFERENCE_DATE)
            number = synthetic_national_id(born, rng=self.rng, d_number=self.rng.random() < D_NUMBER_SHARE)
            if number not in self._national_ids:
                self._national_ids.add(number)
                return number

    def mobile(self) -> str:
        """A new mobile, as written in an EPJ export (half with +47, half 8 digits only)."""
        while True:
            digits = f"{self.rng.choice('49')}{self.rng.randrange(10_000_000):07d}"
            if digits in self._mobiles:
                continue
            try:
                parse_mobile(digits)
            except InvalidMobile:
                continue
            self._mobiles.add(digits)
            return f"+47{digits}" if self.rng.random() < 0.5 else digits

    def patient(self) -> Patient:
        rng = self.rng
        first = rng.choice(FIRST_NAMES)
        if rng.random() < 0.1:
            first = f"{first} {rng.choice(FIRST_NAMES)}"
        last = rng.choice(LAST_NAMES)
        if rng.random() < 0.05:
            last = f"{last}-{rng.choice(LAST_NAMES)}"
        national_id = self.national_id()
        email = ""
        if rng.random() >= EMPTY_EMAIL_SHARE:
            local = f"{first}.{last}".replace(" ", ".").translate(_ASCII).lower()
            email = f"{local}.{national_id[-5:]}@example.com"
        return Patient(national_id, first, last, self.mobile(), email, rng.choice(self.gp_hpr))

    def patients(self, count: int) -> list[Patient]:
        return [self.patient() for _ in range(count)]

    def with_new_mobile(self, patient: Patient) -> Patient:
        return replace(patient, mobile=self.mobile())


def to_csv(patients: Iterable[Patient]) -> bytes:
    """The file as the EPJ writes it: UTF-8, semicolons, Windows line ends, a header line."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(patient.row() for patient in patients)
    return out.getvalue().encode("utf-8")


def make_patients_csv(rows: int, *, seed: int = 1, gp_hpr: Sequence[str] = DEFAULT_GP_HPR) -> bytes:
    """The CSV (bytes) of `rows` synthetic patients; the same arguments give the same bytes."""
    return to_csv(PatientGenerator(seed, gp_hpr).patients(rows))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1000, help="number of patients (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--gp",
        default=",".join(DEFAULT_GP_HPR),
        help="comma-separated GP HPR numbers (default: the demo clinic's GPs)",
    )
    parser.add_argument("-o", "--output", default="-", help="file to write, or - for standard output")
    options = parser.parse_args(argv)
    if options.rows < 1:
        parser.error("--rows must be at least 1")
    gp_hpr = [hpr.strip() for hpr in options.gp.split(",") if hpr.strip()]
    if not gp_hpr:
        parser.error("--gp needs at least one HPR number")
    data = make_patients_csv(options.rows, seed=options.seed, gp_hpr=gp_hpr)
    if options.output == "-":
        sys.stdout.buffer.write(data)
    else:
        Path(options.output).write_bytes(data)
        print(f"{options.rows} patients written to {options.output} ({len(data):,} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
