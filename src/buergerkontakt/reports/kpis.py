"""KPI arithmetic without the database: periods in Europe/Berlin, buckets, percentiles, rates,
suppression of small counts, and the :class:`Table` every chart and CSV download is made from.

Conventions (docs/adr/0007-reports.md):

* A period is a range of *local* calendar days ``first``..``last`` (both included) in the
  installation's time zone (``TIME_ZONE``, Europe/Berlin). Its bounds are the local midnights, so a
  moment at 23:30 UTC in summer belongs to the next Berlin day, and a DST day has 23 or 25 hours.
* Median: the middle value (mean of the two middle values for an even count). p90: nearest rank
  (the smallest value with at least 90 % of the values at or below it) – always a measured value.
* Rates are ``None`` (shown as "–") when the denominator is 0, never 0 %.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_date(moment: datetime) -> date:
    """The calendar day of an aware moment in the installation's zone."""
    return moment.astimezone(local_tz()).date()


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_tz())


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("period ends before it starts")

    @classmethod
    def last_days(cls, days: int, today: date) -> Period:
        """The ``days`` days up to and including ``today``."""
        return cls(today - timedelta(days=max(days, 1) - 1), today)

    @property
    def start(self) -> datetime:
        """The first local midnight (aware)."""
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        """The local midnight after the last day (exclusive bound)."""
        return local_midnight(self.last + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def granularity(self) -> str:
        """Chart buckets: days up to 31 days, ISO weeks up to half a year, months beyond."""
        if self.days <= 31:
            return "day"
        if self.days <= 184:
            return "week"
        return "month"

    def buckets(self) -> list[date]:
        """The first day of every bucket that overlaps the period, in order."""
        result: list[date] = []
        day = self.first
        while day <= self.last:
            key = bucket_of(day, self.granularity)
            if not result or result[-1] != key:
                result.append(key)
            day += timedelta(days=1)
        return result


def bucket_of(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def bucket_label(key: date, granularity: str) -> str:
    if granularity == "week":
        year, week, _weekday = key.isocalendar()
        return _("KW %(week)02d/%(year)d") % {"week": week, "year": year}
    if granularity == "month":
        return formats.date_format(key, "M Y")
    return formats.date_format(key, "D d.m.")


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: Iterable[float], share: float) -> float | None:
    """Nearest-rank percentile (``share`` in 0..1): a value that was actually measured."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def p90(values: Iterable[float]) -> float | None:
    return percentile(values, 0.9)


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` in percent, ``None`` without a denominator."""
    return 100.0 * part / whole if whole else None


def suppress(count: int, min_count: int) -> int | None:
    """Counts below ``min_count`` are not published (``None``); 0 stays 0 (nothing happened)."""
    return count if count == 0 or count >= min_count else None


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


# --- callbacks --------------------------------------------------------------------------------
MET, BREACHED, PENDING = "met", "breached", "pending"


def deadline_outcome(due_at: datetime | None, first_attempt_at: datetime | None, now: datetime) -> str:
    """Was the citizen called back within the deadline?

    Met: the first call attempt (whatever its result) came at or before the deadline. Breached: it
    came later, or there was none and the deadline has passed. Pending: no attempt yet and the
    deadline is still ahead, or the clock is paused (no deadline) – not counted either way.
    """
    if first_attempt_at is not None and due_at is not None:
        return MET if first_attempt_at <= due_at else BREACHED
    if due_at is None:
        return PENDING
    return BREACHED if due_at < now else PENDING


# --- tables -----------------------------------------------------------------------------------
@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | percent | minutes | seconds | ms | days | date | number


@dataclass
class Table:
    """A titled table: the text equivalent of a chart, the page's table and the CSV download."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    note: str = ""
    empty_text: str = ""

    def cell(self, row: dict, column: Column) -> str:
        return format_value(row.get(column.key), column.kind)

    def display_rows(self) -> list[list[tuple[str, bool]]]:
        """Cells as (text, is_number) for the HTML table."""
        return [[(self.cell(row, c), c.kind != "text") for c in self.columns] for row in self.rows]

    def values(self, key: str) -> list:
        return [row.get(key) for row in self.rows]


def format_value(value, kind: str) -> str:
    """German-style display (decimal comma through Django's localisation), '–' for no value."""
    if value is None or value == "":
        return "–"
    decimals = {"percent": 1, "minutes": 1, "number": 1, "seconds": 1, "ms": 0, "int": 0, "days": 0}.get(kind)
    if decimals is not None:
        # Django's number_format cuts digits off; round first.
        text = formats.number_format(round(float(value), decimals), decimals)
        return text + " %" if kind == "percent" else text
    if kind == "date" and isinstance(value, date):
        return formats.date_format(value, "d.m.Y")
    return str(value)


def csv_value(value, kind: str) -> str:
    """Values for spreadsheets: decimal comma, no unit, empty for no value, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.0f}" if kind in ("ms", "int", "days") else f"{value:.1f}"
        return text.replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
