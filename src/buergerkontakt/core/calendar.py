"""Business calendar: weekly hours, public holidays per Bundesland, closures and extra days.

Pure logic on plain data, so pages, the API, appointments and callback deadlines all share one
implementation and it can be tested table-driven without a database. Local times are interpreted
in the configured zone (Europe/Berlin) day by day, so windows stay at 10:00 local time across the
DST changes; all returned datetimes are timezone-aware.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _elapsed(start: datetime, end: datetime) -> timedelta:
    """Real time between two aware moments (Python subtracts wall clocks when both share a zone,
    which is an hour off across a DST change)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


@lru_cache(maxsize=32)
def public_holidays(bundesland: str) -> holidays.HolidayBase:
    """German public holidays for one Bundesland (years are filled in on demand)."""
    return holidays.country_holidays("DE", subdiv=bundesland, language="de")


@dataclass(frozen=True)
class WeeklyRule:
    """A recurring window: ``weekday`` 0 = Monday; valid between optional dates (inclusive)."""

    weekday: int
    start: time
    end: time
    valid_from: date | None = None
    valid_until: date | None = None

    def applies(self, day: date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or day >= self.valid_from)
            and (self.valid_until is None or day <= self.valid_until)
        )


@dataclass(frozen=True, order=True)
class Window:
    start: datetime
    end: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def duration(self) -> timedelta:
        return _elapsed(self.start, self.end)


@dataclass
class BusinessCalendar:
    """Hours of one kind (opening, phone, callback, walk-in) for one place.

    ``special_days`` replace the weekly rules on their date (an extra Saturday, a shortened
    Christmas Eve); ``closures`` and public ``holidays`` close a day unless it is a special day.
    """

    weekly: Sequence[WeeklyRule]
    holidays: Container[date] = field(default_factory=frozenset)
    closures: Container[date] = field(default_factory=frozenset)
    special_days: Mapping[date, Sequence[tuple[time, time]]] = field(default_factory=dict)
    tz: ZoneInfo = field(default_factory=local_zone)

    # -- one day ------------------------------------------------------------------------------
    def local_hours(self, day: date) -> list[tuple[time, time]]:
        if day in self.special_days:
            return sorted(self.special_days[day])
        if day in self.closures or day in self.holidays:
            return []
        return sorted((r.start, r.end) for r in self.weekly if r.applies(day))

    def windows_on(self, day: date) -> list[Window]:
        return [
            Window(datetime.combine(day, start, self.tz), datetime.combine(day, end, self.tz))
            for start, end in self.local_hours(day)
            if start < end
        ]

    def is_closed_day(self, day: date) -> bool:
        return not self.local_hours(day)

    # -- moments ------------------------------------------------------------------------------
    def windows(self, since: datetime, days: int = 400) -> Iterator[Window]:
        """Windows that end after ``since``, in order, looking at most ``days`` days ahead."""
        first = since.astimezone(self.tz).date()
        for offset in range(days + 1):
            for window in self.windows_on(first + timedelta(days=offset)):
                if window.end > since:
                    yield window

    def current_window(self, at: datetime) -> Window | None:
        for window in self.windows_on(at.astimezone(self.tz).date()):
            if at in window:
                return window
        return None

    def is_open(self, at: datetime) -> bool:
        return self.current_window(at) is not None

    def next_window(self, at: datetime, days: int = 400) -> Window | None:
        """The window open at ``at``, else the next one to start (None if none within ``days``)."""
        return next(self.windows(at, days), None)

    def next_opening(self, at: datetime, days: int = 400) -> Window | None:
        """The next window that starts strictly after ``at``."""
        return next((w for w in self.windows(at, days) if w.start > at), None)

    # -- working time (callback deadlines) ----------------------------------------------------
    def add_working_time(self, start: datetime, amount: timedelta, days: int = 400) -> datetime:
        """The moment when ``amount`` of open time has passed after ``start``."""
        remaining = amount
        for window in self.windows(start, days):
            begin = max(window.start, start)
            available = _elapsed(begin, window.end)
            if remaining <= available:
                return (begin.astimezone(UTC) + remaining).astimezone(self.tz)
            remaining -= available
        raise ValueError("Keine ausreichenden Arbeitszeiten im Kalender.")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        total = timedelta()
        if end <= start:
            return total
        for window in self.windows(start, (end - start).days + 2):
            if window.start >= end:
                break
            total += _elapsed(max(window.start, start), min(window.end, end))
        return total

    def add_working_days(self, start: datetime, count: int, days: int = 400) -> datetime:
        """End of the ``count``-th working day after ``start``'s day (count 0 = end of today,
        or of the next working day when today has no hours left)."""
        tz_start = start.astimezone(self.tz)
        day = tz_start.date()
        seen = 0
        for offset in range(days + 1):
            current = day + timedelta(days=offset)
            windows = [w for w in self.windows_on(current) if w.end > start]
            if not windows:
                continue
            if seen == count:
                return windows[-1].end
            seen += 1
        raise ValueError("Keine ausreichenden Arbeitstage im Kalender.")


def weekly_rules(rows: Iterable[tuple[int, time, time]]) -> list[WeeklyRule]:
    """Shorthand for tests and demo data: (weekday, start, end) triples."""
    return [WeeklyRule(weekday, start, end) for weekday, start, end in rows]

