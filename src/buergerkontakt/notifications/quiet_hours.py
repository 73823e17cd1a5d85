"""Quiet hours: the night, in Berlin time, when no SMS wakes a citizen and no answer deadline runs.

``QUIET_HOURS`` is ``"HH:MM-HH:MM"`` (default ``20:00-07:00``; it may wrap midnight), empty to
switch quiet hours off. Arithmetic is done on absolute time, so days when the clocks change
have their real length.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from django.conf import settings

from buergerkontakt.core.calendar import local_zone

_PATTERN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse(value: str) -> tuple[time, time] | None:
    """``"20:00-07:00"`` → (20:00, 07:00); empty → None. Raises ValueError for anything else."""
    if not (value or "").strip():
        return None
    match = _PATTERN.match(value)
    if not match:
        raise ValueError(f"QUIET_HOURS: expected HH:MM-HH:MM, got {value!r}")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    start, end = time(h1, m1), time(h2, m2)
    if start == end:
        raise ValueError("QUIET_HOURS: start and end must differ")
    return start, end


def _window() -> tuple[time, time] | None:
    return parse(getattr(settings, "QUIET_HOURS", "20:00-07:00"))


def _nights(moment: datetime, window: tuple[time, time]) -> list[tuple[datetime, datetime]]:
    """The quiet intervals (absolute, aware) that begin on the day before, of and after ``moment``."""
    zone = local_zone()
    start, end = window
    day = moment.astimezone(zone).date()
    intervals = []
    for offset in (-1, 0, 1):
        begin_day = day + timedelta(days=offset)
        end_day = begin_day + timedelta(days=1) if end <= start else begin_day
        intervals.append((datetime.combine(begin_day, start, tzinfo=zone).astimezone(UTC),
                          datetime.combine(end_day, end, tzinfo=zone).astimezone(UTC)))
    return intervals


def is_quiet(moment: datetime) -> bool:
    window = _window()
    if window is None:
        return False
    return any(begin <= moment < end for begin, end in _nights(moment, window))


def daytime_from(moment: datetime) -> datetime:
    """``moment`` itself in daytime, else the end of the quiet hours it falls in (local time)."""
    window = _window()
    if window is None:
        return moment
    for begin, end in _nights(moment, window):
        if begin <= moment < end:
            return end.astimezone(local_zone())
    return moment


def _next_night(moment: datetime, window: tuple[time, time]) -> datetime:
    return min(begin for begin, _end in _nights(moment, window) if begin > moment)


def add_daytime(start: datetime, amount: timedelta) -> datetime:
    """The moment when ``amount`` of daytime (outside the quiet hours) has passed after ``start``."""
    window = _window()
    if window is None:
        return start + amount
    moment, remaining = daytime_from(start).astimezone(UTC), amount
    while True:
        night = _next_night(moment, window)
        if moment + remaining <= night:
            return (moment + remaining).astimezone(local_zone())
        remaining -= night - moment
        moment = daytime_from(night).astimezone(UTC)
