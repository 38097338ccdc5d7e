"""«Reseptfornyelse»: asking the GP to renew prescriptions, free of charge, with a Grant for renewal (a
guardian of a child under 12 and a fullmakt holder too; password + SMS is enough). «Forny igjen» offers the
medicines of the patient's earlier requests."""

from django.conf import settings
from django.utils.translation import gettext as _

from eportal.representation.policy import Capability, Grant

from .errors import MessagingError
from .models import Medicine, Thread
from .services import SUBJECT_MAX_CHARS, check_for_patient, clean_text, open_thread

LIMITS = {"name": 100, "strength": 50, "usage": 200, "note": 500}
EARLIER_SHOWN = 20


def _optional(text: str, limit: int) -> str:
    return clean_text(text, limit=limit, empty_message="") if (text or "").strip() else ""


def clean_medicine(fields: dict) -> dict | None:
    """One medicine as stored, None for a row left empty; refused when it has no name, or a field is too long."""
    cleaned = {field: _optional(fields.get(field, ""), limit) for field, limit in LIMITS.items()}
    if not any(cleaned.values()):
        return None
    if not cleaned["name"]:
        raise MessagingError(_("Write the name of each medicine."), code="no_name")
    return cleaned


def clean_medicines(rows) -> list[dict]:
    medicines = [medicine for medicine in map(clean_medicine, rows) if medicine is not None]
    if not medicines:
        raise MessagingError(_("Name at least one medicine to renew."), code="no_medicine")
    limit = settings.EPORTAL_RENEWAL_MAX_MEDICINES
    if len(medicines) > limit:
        raise MessagingError(
            _("You can ask for at most %(num)d medicines at a time.") % {"num": limit}, code="too_many"
        )
    return medicines


def describe(medicine: dict) -> str:
    """One medicine as the request's text shows it: «Metformin 500 mg: 1 tablett morgen og kveld»."""
    text = " ".join(part for part in (medicine["name"], medicine["strength"]) if part)
    if medicine["usage"]:
        text += f": {medicine['usage']}"
    if medicine["note"]:
        text += "\n  " + _("Note: %(note)s") % {"note": medicine["note"]}
    return text


def request_renewal(*, grant: Grant, medicines, submit_id=None, for_patient_id=None):
    """Ask for the medicines to be renewed: a renewal thread in the GP's inbox, its text the list."""
    grant.require(Capability.RENEWAL)
    check_for_patient(grant, for_patient_id)
    medicines = clean_medicines(medicines)
    subject = _("Prescription renewal: %(names)s") % {"names": ", ".join(m["name"] for m in medicines)}
    if len(subject) > SUBJECT_MAX_CHARS:
        subject = subject[: SUBJECT_MAX_CHARS - 1] + "…"
    body = "\n".join(f"{number}. {describe(medicine)}" for number, medicine in enumerate(medicines, 1))

    def add_medicines(thread: Thread) -> None:
        rows = []
        for position, medicine in enumerate(medicines, 1):
            row = Medicine(thread=thread, position=position)
            row.details = medicine
            rows.append(row)
        Medicine.objects.bulk_create(rows)

    return open_thread(
        grant, kind=Thread.Kind.RENEWAL, subject=subject, body=body, submit_id=submit_id, then=add_medicines
    )


def earlier_medicines(grant: Grant) -> list[Medicine]:
    """The medicines of the patient's earlier requests, newest first, each name and strength once: what
    «Forny igjen» offers."""
    grant.require(Capability.RENEWAL)
    rows = Medicine.objects.filter(thread__patient=grant.patient, thread__kind=Thread.Kind.RENEWAL).order_by(
        "-thread__created_at", "-thread_id", "position"
    )
    seen, found = set(), []
    for row in rows[:200]:
        details = row.details
        key = (details["name"].casefold(), details["strength"].casefold())
        if key not in seen:
            seen.add(key)
            found.append(row)
        if len(found) == EARLIER_SHOWN:
            break
    return found


def earlier_medicine(grant: Grant, medicine_id) -> dict | None:
    """One of the patient's earlier medicines, for «Forny igjen»; None for another's or an unknown id."""
    grant.require(Capability.RENEWAL)
    if not isinstance(medicine_id, int):
        return None
    row = Medicine.objects.filter(
        pk=medicine_id, thread__patient=grant.patient, thread__kind=Thread.Kind.RENEWAL
    ).first()
    return row.details if row is not None else None
