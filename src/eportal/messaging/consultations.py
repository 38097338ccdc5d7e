"""eKonsultasjon: a paid written consultation with the GP, sent only from a BankID login (security level
high), after the patient has said they have none of the symptoms that need 113 or legevakt now, and confirmed
the price (messaging.fees) shown to them. A guardian sends one for a child under 12 (the Grant)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from eportal.representation.policy import Capability, Grant

from . import fees
from .errors import MessagingError
from .models import Consultation, Thread
from .services import SUBJECT_MAX_CHARS, check_for_patient, clean_text, open_thread, require_bankid, text_body


def quote_for(grant: Grant, exemption: str = fees.NO_EXEMPTION) -> fees.Quote:
    """The price of an eKonsultasjon about the grant's patient sent today, with this exemption."""
    gp = grant.patient.gp
    return fees.Quote(fees.FeeTable.current(), bool(gp and gp.active and gp.specialist), exemption)


def send_consultation(
    *,
    grant: Grant,
    subject: str,
    body: str,
    declared_exemption: str = "",
    no_urgent_symptoms: bool,
    price_confirmed: bool,
    price_version: str,
    uploads=(),
    submit_id=None,
    for_patient_id=None,
):
    """Send the eKonsultasjon to the patient's GP, with the price it was sent at. Refused, with nothing stored:
    a login below BankID, an urgent symptom not ruled out, a price not confirmed or not the one shown now."""
    grant.require(Capability.EKONSULTASJON)
    require_bankid(grant.actor)
    check_for_patient(grant, for_patient_id)
    if not no_urgent_symptoms:
        raise MessagingError(
            _("Confirm that you have none of the symptoms that need urgent help."), code="urgent_not_ruled_out"
        )
    sent_on = timezone.localdate()
    exemption = fees.exemption_for(grant.patient.national_id, sent_on, declared_exemption)
    if exemption is None:
        raise MessagingError(_("Choose an exemption from the list, or none."), code="exemption")
    quote = quote_for(grant, exemption)
    if price_version != quote.version:
        raise MessagingError(
            _("The price has changed since the page was shown. Read the new price and confirm it."),
            code="price_changed",
        )
    if not price_confirmed:
        raise MessagingError(_("Confirm the price to send the eKonsultasjon."), code="price_not_confirmed")
    subject = clean_text(subject, limit=SUBJECT_MAX_CHARS, empty_message=_("Write a subject."))

    def record(thread: Thread) -> None:
        Consultation.objects.create(
            thread=thread,
            sent_at=thread.created_at,
            fee_table=quote.table.as_json(),
            specialist=quote.specialist,
            exemption=exemption,
        )

    return open_thread(
        grant,
        kind=Thread.Kind.EKONSULTASJON,
        subject=subject,
        body=text_body(body),
        uploads=uploads,
        submit_id=submit_id,
        then=record,
    )
