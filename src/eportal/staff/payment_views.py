"""«Betalinger»: the month's eKonsultasjoner whose fee is fixed, with takst, amount and exemption, and the same
as CSV for the clinic's journal or accounting system (messaging.billing). Only for staff with
`messaging.see_payments`; the page and the export are audited per patient, as the day list is."""

import datetime
import re

from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from eportal.audit.services import record_events_for
from eportal.identity.national_id import masked
from eportal.messaging import billing
from eportal.messaging.fees import format_nok
from eportal.web.decorators import staff_required

SEES_PAYMENTS = "messaging.see_payments"
PAGE_SIZE = 100


def _is_month(year: int, month: int) -> bool:
    """A month the pages and the export answer for."""
    return 2000 <= year <= 2100 and 1 <= month <= 12


def _month(value: str | None) -> tuple[int, int]:
    """?maned=2026-11; the current month when absent or not a month."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", value or "")
    if match and _is_month(int(match[1]), int(match[2])):
        return int(match[1]), int(match[2])
    today = timezone.localdate()
    return today.year, today.month


@staff_required(SEES_PAYMENTS)
def payments(request):
    year, month = _month(request.GET.get("maned"))
    found = billing.month_payments(year, month)
    totals = found.aggregate(count=Count("pk"), amount=Sum("amount"))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("side"))
    rows = list(page.object_list)
    record_events_for(
        "staff_viewed_payments",
        subjects=[row.thread.patient.national_id for row in rows],
        actor=request.actor,
        role="staff",
        details={"month": f"{year}-{month:02d}"},
    )
    start, end = billing.month_bounds(year, month)
    first, following = timezone.localdate(start), timezone.localdate(end)
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    context = {
        "month": first,
        "month_key": f"{year}-{month:02d}",
        "previous": f"{previous:%Y-%m}",
        "following": f"{following:%Y-%m}",
        "page": page,
        "rows": [(row, masked(row.thread.patient.national_id), format_nok(row.total_or_zero())) for row in rows],
        "count": totals["count"],
        "total": format_nok(totals["amount"] or 0),
    }
    return render(request, "staff/payments.html", context)


@staff_required(SEES_PAYMENTS)
def payments_csv(request, year, month):
    if not _is_month(year, month):
        raise Http404
    found = billing.month_payments(year, month)
    record_events_for(
        "staff_exported_payments",
        subjects=list(found.values_list("thread__patient__national_id", flat=True)),
        actor=request.actor,
        role="staff",
        details={"month": f"{year}-{month:02d}"},
    )
    response = StreamingHttpResponse(billing.csv_lines(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ekonsultasjoner-{year}-{month:02d}.csv"'
    response["Cache-Control"] = "no-store"
    return response
