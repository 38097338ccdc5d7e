"""What the staff navigation shows on every staff page: the number of threads with new messages from patients.

Counted only when a template shows it (a callable the template calls, once), and only for staff: a patient's
page asks nothing."""

import functools

from eportal.messaging.selectors import waiting_counts


def new_messages(request):
    """`staff_new_messages`: threads in the staff member's inboxes with patients' messages not yet read."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {}

    @functools.cache
    def count() -> int:
        return sum(waiting_counts(user).values())

    return {"staff_new_messages": count}
