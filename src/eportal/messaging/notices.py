"""What the patient's side is told of the clinic's answers: that there is a message, never what it says."""

from django.urls import reverse
from django.utils.translation import gettext as _

from eportal.clinic.selectors import get_clinic
from eportal.core.public_url import public_url
from eportal.representation.policy import Capability
from eportal.representation.recipients import tell_about


def new_answer(thread) -> None:
    """Tell the patient and everyone who reads their messages now, each by their own chosen channels."""
    clinic = get_clinic().name
    tell_about(
        thread.patient,
        capability=Capability.MESSAGES,
        subject=_("New message from %(clinic)s") % {"clinic": clinic},
        own=_("You have a new message from %(clinic)s. Log in to read it: %(link)s"),
        for_other=_("You have a new message from %(clinic)s about %(name)s. Log in to read it: %(link)s"),
        values={"clinic": clinic, "link": public_url(reverse("messaging:threads"))},
    )
