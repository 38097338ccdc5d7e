"""Small builders for tests: synthetic people and a clinic registry."""

import datetime
import itertools
import random

from eportal.clinic.models import ListPatient, Practitioner
from eportal.identity.synthetic import synthetic_national_id

_rng = random.Random(4711)
_mobiles = itertools.count(91000001)


def national_id(born=datetime.date(1980, 5, 17)) -> str:
    return synthetic_national_id(born, rng=_rng)


def mobile() -> str:
    return f"+47{next(_mobiles)}"


def practitioner(hpr="9100011", **fields) -> Practitioner:
    defaults = {
        "first_name": "Ingrid",
        "last_name": "Haugen",
        "role": Practitioner.Role.GP,
        "has_patient_list": True,
    }
    return Practitioner.objects.create(hpr_number=hpr, **{**defaults, **fields})


def list_patient(gp: Practitioner, **fields) -> ListPatient:
    defaults = {
        "national_id": national_id(),
        "first_name": "Kari",
        "last_name": "Nordmann",
        "mobile": mobile(),
    }
    return ListPatient.objects.create(gp=gp, **{**defaults, **fields})
