"""What the patient's side is told of the clinic's answers: that there is a message, never what it says."""

from urllib.parse import urljoin

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from eportal.clinic.selectors import get_clinic
from eportal.notifications.services import queue_email, queue_sms
from eportal.representation.policy import Capability
from eportal.representation.recipients import recipients_for


def new_answer(thread) -> None:
    """Tell the patient and everyone who reads their messages now, each by their own chosen channels."""
    clinic = get_clinic().name
    link = urljoin(settings.EPORTAL_PUBLIC_URL, reverse("messaging:threads"))
    for recipient in recipients_for(thread.patient, capability=Capability.MESSAGES):
        if recipient.for_name:
            text = _("You have a new message from %(clinic)s about %(name)s. Log in to read it: %(link)s")
        else:
            text = _("You have a new message from %(clinic)s. Log in to read it: %(link)s")
        text %= {"clinic": clinic, "name": recipient.for_name, "link": link}
        if recipient.user.notify_by_email and recipient.email:
            queue_email(to=recipient.email, subject=_("New message from %(clinic)s") % {"clinic": clinic}, body=text)
        if recipient.user.notify_by_sms and recipient.mobile:
            queue_sms(to=recipient.mobile, text=text, user=recipient.user)
