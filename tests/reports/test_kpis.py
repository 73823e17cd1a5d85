"""KPI arithmetic without the database: periods and buckets in Europe/Berlin (DST), percentiles,
rates, suppression, and the deadline rule at midnight."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from buergerkontakt.reports import kpis
from buergerkontakt.reports.kpis import BREACHED, MET, PENDING, Period

from .builders import UTC, berlin, utc


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (utc(2026, 6, 10, 21, 59), date(2026, 6, 10)),  # 23:59 CEST
        (utc(2026, 6, 10, 22, 0), date(2026, 6, 11)),  # 00:00 CEST: the next Berlin day
        (utc(2026, 6, 10, 23, 30), date(2026, 6, 11)),  # 23:30 UTC in summer: next Berlin day
        (utc(2026, 1, 10, 23, 30), date(2026, 1, 11)),  # 23:30 UTC in winter: 00:30 CET, next day
        (utc(2026, 1, 10, 22, 30), date(2026, 1, 10)),  # 23:30 CET: same day
    ],
)
def test_local_date_is_the_berlin_day(moment, day):
    assert kpis.local_date(moment) == day


@pytest.mark.parametrize(
    ("first", "last", "hours"),
    [
        (date(2026, 3, 29), date(2026, 3, 29), 23),  # spring forward
        (date(2026, 10, 25), date(2026, 10, 25), 25),  # fall back
        (date(2026, 6, 1), date(2026, 6, 1), 24),
        (date(2026, 3, 28), date(2026, 3, 30), 71),
    ],
)
def test_period_bounds_are_local_midnights_across_dst(first, last, hours):
    period = Period(first, last)
    assert period.start == berlin(first.year, first.month, first.day)
    # Real elapsed time (Python subtracts wall clocks within one zone, so compare in UTC).
    assert period.end.astimezone(UTC) - period.start.astimezone(UTC) == timedelta(hours=hours)
    assert period.contains(period.end.astimezone(UTC) - timedelta(microseconds=1))
    assert not period.contains(period.end.astimezone(UTC))
    assert not period.contains(period.start.astimezone(UTC) - timedelta(microseconds=1))


def test_period_rejects_end_before_start():
    with pytest.raises(ValueError):
        Period(date(2026, 6, 2), date(2026, 6, 1))


@pytest.mark.parametrize(
    ("days", "granularity", "buckets"),
    [
        (1, "day", 1),
        (30, "day", 30),
        (31, "day", 31),
        (32, "week", 5),  # 2026-06-01 (Mon) .. 2026-07-02 (Thu): five ISO weeks touched
        (184, "week", 27),
        (185, "month", 7),
    ],
)
def test_granularity_and_buckets(days, granularity, buckets):
    period = Period(date(2026, 6, 1), date(2026, 6, 1) + timedelta(days=days - 1))
    assert period.granularity == granularity
    assert len(period.buckets()) == buckets
    assert period.buckets()[0] == kpis.bucket_of(period.first, granularity)


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        ([], None, None),
        ([7], 7, 7),
        ([1, 2], 1.5, 2),
        (list(range(1, 11)), 5.5, 9),  # nearest rank: the 9th of 10
        (list(range(1, 12)), 6, 10),  # ceil(9.9) = 10th of 11
        ([600, 60, 3000, 120, 300], 300, 3000),
    ],
)
def test_median_and_nearest_rank_p90(values, median, p90):
    assert kpis.median(values) == median
    assert kpis.p90(values) == p90


@pytest.mark.parametrize(
    ("part", "whole", "expected"), [(0, 0, None), (0, 4, 0.0), (3, 4, 75.0), (93, 100, 93.0)]
)
def test_rate(part, whole, expected):
    assert kpis.rate(part, whole) == expected


@pytest.mark.parametrize(
    ("count", "minimum", "published"), [(0, 5, 0), (1, 5, None), (4, 5, None), (5, 5, 5), (12, 10, 12)]
)
def test_small_counts_are_suppressed(count, minimum, published):
    assert kpis.suppress(count, minimum) == published


NOW = berlin(2026, 6, 20, 12)
MIDNIGHT = berlin(2026, 6, 10)  # a deadline at the end of 9 June is midnight Berlin


@pytest.mark.parametrize(
    ("due", "first_attempt", "outcome"),
    [
        (MIDNIGHT, MIDNIGHT - timedelta(seconds=1), MET),
        (MIDNIGHT, MIDNIGHT, MET),  # exactly at the deadline still counts
        (MIDNIGHT, MIDNIGHT + timedelta(seconds=1), BREACHED),  # one second after midnight: too late
        (MIDNIGHT, None, BREACHED),  # no attempt and the deadline passed
        (NOW + timedelta(hours=1), None, PENDING),  # deadline still ahead
        (None, None, PENDING),  # clock paused
        (None, MIDNIGHT, PENDING),
    ],
)
def test_deadline_outcome(due, first_attempt, outcome):
    assert kpis.deadline_outcome(due, first_attempt, NOW) == outcome


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (None, "percent", "–"),
        (93.04, "percent", "93,0 %"),
        (12.25, "minutes", "12,2"),
        (1234.6, "ms", "1235"),
        (date(2026, 6, 1), "date", "01.06.2026"),
        ("A", "text", "A"),
    ],
)
def test_format_value_german(value, kind, text):
    from django.utils import translation

    with translation.override("de"):
        assert kpis.format_value(value, kind).replace("\xa0", " ") == text


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (None, "percent", ""),
        (93.04, "percent", "93,0"),
        (1234.6, "ms", "1235"),
        (date(2026, 6, 1), "date", "2026-06-01"),
        (7, "int", "7"),
    ],
)
def test_csv_values(value, kind, text):
    assert kpis.csv_value(value, kind) == text
