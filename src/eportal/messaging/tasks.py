"""Background work for messages: one notice for the clinic's answers that came close together."""

from django.db import transaction
from django_tasks import task

from . import notices
from .models import Message, Thread


@task()
def tell_of_answers_task(*, thread_id: int) -> None:
    """Run a few minutes after the first of the clinic's answers (EPORTAL_MESSAGE_NOTICE_DELAY_MINUTES): the
    answers since are told in one notice, unless the patient's side has read them all already."""
    with transaction.atomic():
        thread = Thread.objects.select_for_update().select_related("patient").filter(pk=thread_id).first()
        if thread is None or thread.notice_due_since is None:
            return
        unread = thread.messages.filter(author_role=Message.Role.STAFF, read_by_patient_at__isnull=True).exists()
        thread.notice_due_since = None
        thread.save(update_fields=["notice_due_since"])
        if unread:
            notices.new_answer(thread)
