"""Business calendar rules, table-driven (no database: pure logic)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from buergerkontakt.core.calendar import BusinessCalendar, public_holidays, weekly_rules

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")


def at(y, m, d, hh=0, mm=0, tz=BERLIN):
    return datetime(y, m, d, hh, mm, tzinfo=tz)


# Jobcenter opening hours (Offenbach model): Mon–Thu 07:30–16:30, Fri 07:30–14:00.
OPENING = weekly_rules([(d, time(7, 30), time(16, 30)) for d in range(4)] + [(4, time(7, 30), time(14))])
# Case workers directly by phone Mon–Fri 10–11.
PHONE = weekly_rules([(d, time(10), time(11)) for d in range(5)])


def cal(rules, region="HE", **kw):
    return BusinessCalendar(weekly=rules, holidays=public_holidays(region), **kw)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # edges of a window: start inclusive, end exclusive
        (at(2026, 11, 23, 7, 29), False),
        (at(2026, 11, 23, 7, 30), True),
        (at(2026, 11, 23, 16, 29), True),
        (at(2026, 11, 23, 16, 30), False),
        (at(2026, 11, 27, 13, 59), True),   # Friday closes at 14:00
        (at(2026, 11, 27, 14, 0), False),
        (at(2026, 11, 28, 10, 0), False),   # Saturday
        # same instant given in UTC: 06:30 UTC = 07:30 CET (winter)
        (datetime(2026, 11, 23, 6, 30, tzinfo=UTC), True),
        (datetime(2026, 11, 23, 6, 29, tzinfo=UTC), False),
        # summer time: 07:30 CEST = 05:30 UTC
        (datetime(2026, 6, 15, 5, 30, tzinfo=UTC), True),
        (datetime(2026, 6, 15, 5, 29, tzinfo=UTC), False),
        # DST change days (Mon after the switch is normal; windows stay at local time)
        (at(2026, 3, 30, 7, 30), True),     # Monday after spring forward (29 March 2026)
        (datetime(2026, 3, 30, 5, 30, tzinfo=UTC), True),
        (datetime(2026, 3, 30, 5, 29, tzinfo=UTC), False),  # = 07:29 CEST
        (at(2026, 10, 26, 7, 30), True),    # Monday after fall back (25 October 2026)
        (datetime(2026, 10, 26, 6, 29, tzinfo=UTC), False),  # = 07:29 CET
        # public holidays close (Hessen): Tag der Deutschen Einheit 2025 on a Friday, Fronleichnam 2026
        (at(2025, 10, 3, 10), False),
        (at(2026, 6, 4, 10), False),        # Fronleichnam, a holiday in HE
    ],
)
def test_open_now(moment, expected):
    assert cal(OPENING).is_open(moment) is expected


def test_holidays_depend_on_bundesland():
    fronleichnam = at(2026, 6, 4, 10)
    assert cal(OPENING, region="HE").is_open(fronleichnam) is False
    assert cal(OPENING, region="BE").is_open(fronleichnam) is True  # not a holiday in Berlin
    reformationstag = at(2025, 10, 31, 10)  # Friday; holiday in Saxony, not in Hessen
    assert cal(OPENING, region="SN").is_open(reformationstag) is False
    assert cal(OPENING, region="HE").is_open(reformationstag) is True


@pytest.mark.parametrize(
    ("moment", "start", "end"),
    [
        # within the window → that window
        (at(2026, 11, 23, 10, 30), at(2026, 11, 23, 10), at(2026, 11, 23, 11)),
        # Friday after the window → next Monday (across the weekend)
        (at(2026, 11, 27, 11, 0), at(2026, 11, 30, 10), at(2026, 11, 30, 11)),
        (at(2026, 11, 28, 9, 0), at(2026, 11, 30, 10), at(2026, 11, 30, 11)),
        # Thursday before Christmas: 24–26 Dec; 24 is a working Thursday in 2026, 25/26 holidays
        (at(2026, 12, 24, 12), at(2026, 12, 28, 10), at(2026, 12, 28, 11)),
        # Good Friday + Easter Monday 2026 (3 and 6 April): Thursday evening → Tuesday
        (at(2026, 4, 2, 12), at(2026, 4, 7, 10), at(2026, 4, 7, 11)),
        # across the spring DST switch: Friday 27 March → Monday 30 March, 10:00 local (08:00 UTC)
        (at(2026, 3, 27, 12), datetime(2026, 3, 30, 8, tzinfo=UTC), datetime(2026, 3, 30, 9, tzinfo=UTC)),
        # across the autumn DST switch: 10:00 local is 09:00 UTC again
        (at(2026, 10, 23, 12), datetime(2026, 10, 26, 9, tzinfo=UTC), datetime(2026, 10, 26, 10, tzinfo=UTC)),
    ],
)
def test_next_phone_window(moment, start, end):
    window = cal(PHONE).next_window(moment)
    assert (window.start, window.end) == (start, end)


def test_next_opening_is_strictly_after_now():
    calendar = cal(PHONE)
    inside = at(2026, 11, 23, 10, 30)
    assert calendar.next_window(inside).start == at(2026, 11, 23, 10)
    assert calendar.next_opening(inside).start == at(2026, 11, 24, 10)


def test_extra_saturday_and_closure():
    saturday = date(2026, 11, 28)
    closure = date(2026, 11, 25)  # Wednesday staff meeting
    calendar = cal(OPENING, special_days={saturday: [(time(9), time(13))]}, closures={closure})
    assert calendar.is_open(at(2026, 11, 28, 9)) is True
    assert calendar.is_open(at(2026, 11, 28, 13)) is False
    assert calendar.is_open(at(2026, 11, 25, 10)) is False
    assert calendar.next_opening(at(2026, 11, 24, 17)).start == at(2026, 11, 26, 7, 30)
    # from Friday afternoon, the extra Saturday is the next opening
    assert calendar.next_opening(at(2026, 11, 27, 15)).start == at(2026, 11, 28, 9)


def test_special_day_overrides_holiday():
    # A Bürgerbüro opens on a holiday for an election service: explicit special hours win.
    holiday = date(2026, 10, 3)
    calendar = cal(OPENING, special_days={holiday: [(time(8), time(12))]})
    assert calendar.is_open(at(2026, 10, 3, 9)) is True


def test_weekly_rule_validity_period():
    rules = weekly_rules([(0, time(8), time(12))])
    from dataclasses import replace

    limited = [replace(rules[0], valid_from=date(2026, 12, 1))]
    calendar = cal(limited)
    assert calendar.is_open(at(2026, 11, 23, 9)) is False
    assert calendar.is_open(at(2026, 12, 7, 9)) is True


def test_no_hours_at_all():
    calendar = cal([])
    assert calendar.next_window(at(2026, 11, 23, 9)) is None
    assert calendar.is_open(at(2026, 11, 23, 9)) is False


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # 2 working hours from Monday 15:30 with 07:30–16:30 days → Tuesday 08:30
        (at(2026, 11, 23, 15, 30), 2, at(2026, 11, 24, 8, 30)),
        # created outside office hours (Saturday) → counts from Monday 07:30
        (at(2026, 11, 28, 10), 2, at(2026, 11, 30, 9, 30)),
        # Friday 13:00 (closes 14:00) → Monday 08:30
        (at(2026, 11, 27, 13), 2, at(2026, 11, 30, 8, 30)),
        # across the autumn DST weekend: Friday 23 Oct 13:30 + 2h → Monday 26 Oct 09:00 local
        (at(2026, 10, 23, 13, 30), 2, at(2026, 10, 26, 9, 0)),
    ],
)
def test_add_working_time(start, hours, expected):
    assert cal(OPENING).add_working_time(start, timedelta(hours=hours)) == expected


def test_working_time_between_and_days():
    calendar = cal(OPENING)
    monday = at(2026, 11, 23, 7, 30)
    assert calendar.working_time_between(monday, at(2026, 11, 24, 7, 30)) == timedelta(hours=9)
    # 0 working days = end of today; 2 = end of Wednesday
    assert calendar.add_working_days(at(2026, 11, 23, 9), 0) == at(2026, 11, 23, 16, 30)
    assert calendar.add_working_days(at(2026, 11, 23, 9), 2) == at(2026, 11, 25, 16, 30)
    # created Friday after closing → today's hours are over; 0 days = end of Monday
    assert calendar.add_working_days(at(2026, 11, 27, 15), 0) == at(2026, 11, 30, 16, 30)
