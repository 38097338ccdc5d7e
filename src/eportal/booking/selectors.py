"""Read queries for booking, built for a constant number of queries per page."""

from django.db.models import Exists, OuterRef
from django.utils import timezone

from .models import Appointment, Slot


def free_online_slots(*, practitioner_ids, appointment_type_id: int, limit: int = 200):
    """Free slots open for online booking, soonest first."""
    taken = Appointment.objects.filter(slot=OuterRef("pk"), cancelled_at__isnull=True)
    return (
        Slot.objects.filter(
            practitioner_id__in=practitioner_ids,
            appointment_type_id=appointment_type_id,
            online=True,
            blocked=False,
            starts_at__gt=timezone.now(),
        )
        .exclude(Exists(taken))
        .select_related("practitioner")
        .order_by("starts_at")[:limit]
    )
