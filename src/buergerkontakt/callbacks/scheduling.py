"""When to call next (pure functions on the team's callback calendar).

Rule (docs/adr/0005-callbacks.md): after a failed attempt ("nicht erreicht", "Mailbox") the next
attempt is the earliest moment in the team's callback hours that is

1. at least ``gap`` after the last attempt, and
2. at a *different time of day*: at least ``DIFFERENT_TIME`` (2 h) away, by clock time, from every
   earlier failed attempt,

preferring, in this order, a day part (vormittags / nachmittags) not tried yet that the caller
wished for, then any day part the caller wished for, then any time at all. Candidates lie on a
quarter-hour grid and leave at least ``CALL_MINUTES`` before a window closes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from buergerkontakt.core.calendar import BusinessCalendar

MORNING_ENDS_HOUR = 12  # the same split as the waitlist's mornings / afternoons
DIFFERENT_TIME = timedelta(hours=2)
GRID_MINUTES = 15
CALL_MINUTES = 15
HORIZON_DAYS = 60


def day_part(moment: datetime, calendar: BusinessCalendar) -> str:
    return "morning" if moment.astimezone(calendar.tz).hour < MORNING_ENDS_HOUR else "afternoon"


def _clock_minutes(moment: datetime, calendar: BusinessCalendar) -> int:
    local = moment.astimezone(calendar.tz)
    return local.hour * 60 + local.minute


def _round_up(moment: datetime, calendar: BusinessCalendar) -> datetime:
    local = moment.astimezone(calendar.tz).replace(second=0, microsecond=0)
    if local < moment:
        local += timedelta(minutes=1)
    extra = (-local.minute) % GRID_MINUTES
    return local + timedelta(minutes=extra)


def candidates(calendar: BusinessCalendar, earliest: datetime) -> Iterator[datetime]:
    """Quarter-hour moments inside the calendar's windows, from ``earliest`` on."""
    for window in calendar.windows(earliest, HORIZON_DAYS):
        moment = _round_up(max(window.start, earliest), calendar)
        while moment + timedelta(minutes=CALL_MINUTES) <= window.end:
            yield moment
            moment += timedelta(minutes=GRID_MINUTES)


def _far_enough(moment: datetime, previous: Sequence[datetime], calendar: BusinessCalendar) -> bool:
    here = _clock_minutes(moment, calendar)
    limit = DIFFERENT_TIME.total_seconds() // 60
    return all(abs(here - _clock_minutes(p, calendar)) >= limit for p in previous)


def first_attempt(calendar: BusinessCalendar, now: datetime, *, morning: bool = True,
                  afternoon: bool = True, window_start: datetime | None = None) -> datetime | None:
    """When to call first: the wished window's start, else the next moment in a wished day part."""
    if window_start is not None and window_start > now:
        return window_start
    wished = {part for part, ok in (("morning", morning), ("afternoon", afternoon)) if ok}
    fallback = None
    for moment in candidates(calendar, now):
        fallback = fallback or moment
        if day_part(moment, calendar) in wished:
            return moment
    return fallback


def next_attempt(calendar: BusinessCalendar, last: datetime, previous: Sequence[datetime], *,
                 gap: timedelta, morning: bool = True, afternoon: bool = True) -> datetime | None:
    """The next attempt after failed attempts at ``previous`` (the last one at ``last``)."""
    wished = {part for part, ok in (("morning", morning), ("afternoon", afternoon)) if ok} or {
        "morning", "afternoon"}
    tried = {day_part(p, calendar) for p in previous}
    preferences = [parts for parts in (wished - tried, wished, {"morning", "afternoon"}) if parts]
    found: list[datetime | None] = [None] * len(preferences)
    fallback = None
    for moment in candidates(calendar, last + gap):
        fallback = fallback or moment
        if not _far_enough(moment, previous, calendar):
            continue
        part = day_part(moment, calendar)
        for index, parts in enumerate(preferences):
            if part in parts and found[index] is None:
                found[index] = moment
        if found[0] is not None:
            break
    return next((moment for moment in found if moment is not None), fallback)
