"""Anonymised incident statistics (for the reports dashboard).

Only counts, never a person or a narrative; counts below ``min_count`` are suppressed (None) so
that a single incident in a small location cannot be singled out.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from .models import Level, Report


def _month_starts(start: date, end: date) -> list[date]:
    months = []
    current = start.replace(day=1)
    while current <= end:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def monthly_counts_by_level(location_ids, start: date, end: date, min_count: int = 3) -> list[dict]:
    """Reports per calendar month (Europe/Berlin) and Aachener level at the given locations, for
    incidents from ``start`` to ``end`` inclusive.

    Returns one row per month in the range and level 0–3, ordered by month and level:
    ``{"month": date(first of month), "level": int, "count": int | None}`` – ``count`` is ``None``
    when 0 < count < min_count (suppressed), 0 when there were none.
    """
    if end < start:
        return []
    tz = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, time.min), tz)
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz)
    rows = (
        Report.objects.filter(
            location_id__in=list(location_ids), occurred_at__gte=since, occurred_at__lt=until
        )
        .annotate(month=TruncMonth("occurred_at", tzinfo=tz))
        .values("month", "level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: Counter = Counter()
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, datetime) else month
        counts[(month.replace(day=1), row["level"])] += row["n"]
    result = []
    for month in _month_starts(start, end):
        for level in Level.values:
            n = counts.get((month, level), 0)
            result.append({"month": month, "level": level, "count": None if 0 < n < min_count else n})
    return result
