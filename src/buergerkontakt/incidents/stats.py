"""Anonymised incident statistics (for the reports dashboard).

Only counts, never a person or a narrative; see :func:`monthly_summary` for how small counts,
short ranges and small groups are kept from singling out an incident.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from django.conf import settings
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


def monthly_summary(
    location_ids, start: date, end: date, *, min_count: int = 3, min_group: int | None = None
) -> list[dict]:
    """Reports per calendar month (Europe/Berlin) at the given locations, by Aachener level.

    Built so that no incident can be singled out:

    * whole calendar months only – ``start`` and ``end`` are widened to the months containing them,
      so overlapping ranges give identical cells and cannot be subtracted from each other;
    * every count below ``min_count`` – including 0 – is ``None`` ("< min_count");
    * the breakdown by level is given only when the month has at least ``min_group`` reports
      (``INCIDENT_STATS_MIN_GROUP``); otherwise only the month's total;
    * beside a suppressed level cell the total is not shown (it would reveal the cell).

    One dict per month: ``{"month": date, "breakdown": bool, "levels": {level: int | None}``
    (empty without breakdown), ``"total": int | None, "total_shown": bool}``.
    """
    if end < start:
        return []
    if min_group is None:
        min_group = settings.INCIDENT_STATS_MIN_GROUP
    first = start.replace(day=1)
    last = (end.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    tz = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(first, time.min), tz)
    until = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min), tz)
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

    def shown(n: int) -> int | None:
        return n if n >= min_count else None

    result = []
    for month in _month_starts(first, last):
        per_level = {level: counts.get((month, level), 0) for level in Level.values}
        total = sum(per_level.values())
        breakdown = total >= max(min_group, min_count)
        levels = {level: shown(n) for level, n in per_level.items()} if breakdown else {}
        total_shown = not breakdown or all(value is not None for value in levels.values())
        result.append(
            {
                "month": month,
                "breakdown": breakdown,
                "levels": levels,
                "total": shown(total) if total_shown else None,
                "total_shown": total_shown,
            }
        )
    return result
