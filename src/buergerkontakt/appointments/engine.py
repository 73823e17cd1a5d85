"""The slot engine's pure rules: time units, booking window, consecutive free units.

No database access here, so the rules can be tested table-driven and are shared by the write
services and the availability reads in ``queries.py``. All datetimes are timezone-aware; local
times are interpreted in the configured zone (Europe/Berlin) day by day, so a unit that starts at
08:00 stays at 08:00 local time across the DST changes.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from buergerkontakt.core.calendar import local_zone

MINUTES_PER_DAY = 24 * 60


def day_start(day: date, tz: ZoneInfo | None = None) -> datetime:
    """Local midnight at the beginning of ``day`` as an aware datetime."""
    return datetime.combine(day, time.min, tz or local_zone())


def local_day(moment: datetime, tz: ZoneInfo | None = None) -> date:
    return moment.astimezone(tz or local_zone()).date()


def _exists(moment: datetime) -> bool:
    """False for local times inside the spring-forward gap (e.g. 02:30 on 29 March 2026)."""
    round_trip = moment.astimezone(UTC).astimezone(moment.tzinfo)
    return round_trip.replace(tzinfo=None) == moment.replace(tzinfo=None)


def _at_minute(day: date, minute: int, tz: ZoneInfo) -> datetime:
    if minute >= MINUTES_PER_DAY:
        return datetime.combine(day + timedelta(days=1), time.min, tz)
    return datetime.combine(day, time(minute // 60, minute % 60), tz)


def split_units(day: date, start: time, end: time, slot_minutes: int,
                tz: ZoneInfo | None = None) -> Iterator[tuple[datetime, datetime]]:
    """The time units of a local window ``start``–``end`` on ``day``.

    Units lie on a grid of ``slot_minutes`` counted from local midnight, so overlapping schedules
    of one group always produce the same units; a partial unit at either edge is left out. Units
    whose local start or end does not exist (spring-forward gap) are skipped.
    """
    tz = tz or local_zone()
    first = math.ceil((start.hour * 60 + start.minute + (start.second > 0)) / slot_minutes) * slot_minutes
    last = end.hour * 60 + end.minute
    minute = first
    while minute + slot_minutes <= last:
        unit_start = _at_minute(day, minute, tz)
        unit_end = _at_minute(day, minute + slot_minutes, tz)
        if _exists(unit_start) and _exists(unit_end):
            yield unit_start, unit_end
        minute += slot_minutes


def units_needed(durations: Iterable[int], slot_minutes: int) -> int:
    """k: how many consecutive units an appointment with these service durations occupies."""
    total = sum(durations)
    return max(1, math.ceil(total / slot_minutes))


def bookable_range(*, now: datetime, min_days_ahead: int, max_days_ahead: int, release_time: time,
                   internal: bool = False, tz: ZoneInfo | None = None) -> tuple[date, date]:
    """First and last local day on which regular (not same-day) units may be booked.

    Online: from today + ``min_days_ahead``; the last day is today + ``max_days_ahead`` from
    ``release_time`` on, before that one day less. Internal (phone centre, reception): from today
    up to today + ``max_days_ahead``, without release time. The range is empty when first > last.
    """
    local = now.astimezone(tz or local_zone())
    today = local.date()
    if internal:
        return today, today + timedelta(days=max_days_ahead)
    last = today + timedelta(days=max_days_ahead)
    if local.time() < release_time:
        last -= timedelta(days=1)
    return today + timedelta(days=min_days_ahead), last


@dataclass(frozen=True)
class DayRules:
    """Which units may be booked at a given moment.

    A same-day unit (spontaneous window) only on its own day, today; a regular unit only on a
    day within the booking window.
    """

    today: date
    first: date
    last: date

    def allows(self, day: date, same_day_only: bool) -> bool:
        if same_day_only:
            return day == self.today
        return self.first <= day <= self.last

    def allows_any(self, day: date) -> bool:
        return self.allows(day, True) or self.allows(day, False)


def chain_starts(units: Iterable[tuple[datetime, datetime, int]], k: int,
                 not_before: datetime) -> list[datetime]:
    """Starts of k consecutive units among ``units`` (start, end, capacity; sorted, each usable).

    Consecutive means contiguous: each unit starts where the previous one ends, so a gap such as a
    lunch break is never bridged. A booking also never runs across a drop in capacity (a counter
    closing), so every set of bookings can be seated at concrete counters without a hand-over
    (see :func:`crosses_capacity_drop` and ADR 0002). Starts at or before ``not_before`` are left out.
    """
    starts: list[datetime] = []
    window: deque[datetime] = deque(maxlen=k)
    previous_end: datetime | None = None
    previous_capacity = 0
    for start, end, capacity in units:
        if start != previous_end or capacity < previous_capacity:
            window.clear()
        window.append(start)
        previous_end, previous_capacity = end, capacity
        if len(window) == k and window[0] > not_before:
            starts.append(window[0])
    return starts


def crosses_capacity_drop(capacities: Sequence[int]) -> bool:
    """Whether consecutive units' capacities ever decrease (a counter closes mid-booking)."""
    return any(later < earlier for earlier, later in pairwise(capacities))
