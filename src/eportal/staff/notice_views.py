"""«Varsler som ikke kom fram»: the notices the SMS gateway or mail server would not take, after the worker had
tried for EPORTAL_NOTICE_GIVE_UP_HOURS, with what staff can do: check the number or address, tell the patient
another way, send again or remove. For staff with `notifications.change_queuedmessage`."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eportal.notifications import services
from eportal.web.decorators import staff_required

HANDLES_NOTICES = "notifications.change_queuedmessage"


@staff_required(HANDLES_NOTICES)
def undelivered(request):
    context = {"notices": services.undelivered_notices(), "hours": settings.EPORTAL_NOTICE_GIVE_UP_HOURS}
    return render(request, "staff/undelivered_notices.html", context)


@staff_required(HANDLES_NOTICES)
@require_POST
def send_again(request, message_id):
    done = services.send_notice_again(actor=request.actor, message_id=message_id)
    return _back_to_the_list(request, done, _("The notice is queued again."))


@staff_required(HANDLES_NOTICES)
@require_POST
def remove(request, message_id):
    done = services.remove_notice(actor=request.actor, message_id=message_id)
    return _back_to_the_list(request, done, _("The notice is removed."))


def _back_to_the_list(request, done: bool, success: str):
    """The list again, saying what happened: `success`, or that the notice was gone (another staff member's
    click, or the back button)."""
    if done:
        messages.success(request, success)
    else:
        messages.error(request, _("The notice is no longer on the list."))
    return redirect("staff:undelivered-notices")
