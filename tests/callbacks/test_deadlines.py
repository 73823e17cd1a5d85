"""Deadlines on the business calendar, table-driven: weekends, holidays (Hessen), DST changes,
paused clocks and tickets created outside office hours. Callback hours Mon–Fri 08:00–15:00."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from buergerkontakt.callbacks.deadlines import Policy, base_due, compute, warn_moment
from buergerkontakt.core.calendar import BusinessCalendar, public_holidays, weekly_rules

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")
CALENDAR = BusinessCalendar(
    weekly=weekly_rules((day, time(8), time(15)) for day in range(5)),
    holidays=public_holidays("HE"),
    tz=BERLIN,
)
POLICY = Policy()


def at(text: str) -> datetime:
    """'2026-06-08 10:00' in Berlin time."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=BERLIN)


@pytest.mark.parametrize(
    "created, urgency, expected",
    [
        # normal: end of the 2nd working day after the day of the call
        ("2026-06-08 10:00", "normal", "2026-06-10 15:00"),  # Mon → Wed
        ("2026-06-12 10:00", "normal", "2026-06-16 15:00"),  # Fri → Tue (weekend)
        ("2026-06-13 11:00", "normal", "2026-06-17 15:00"),  # Saturday: counts from Monday
        ("2026-06-08 16:00", "normal", "2026-06-11 15:00"),  # after hours: counts from Tuesday
        ("2026-06-08 06:30", "normal", "2026-06-10 15:00"),  # before opening: that day counts
        ("2026-06-03 10:00", "normal", "2026-06-08 15:00"),  # Fronleichnam (Thu 4 June, HE)
        ("2026-04-02 10:00", "normal", "2026-04-08 15:00"),  # Karfreitag and Ostermontag
        ("2026-03-27 10:00", "normal", "2026-03-31 15:00"),  # across the change to summer time
        ("2026-12-23 12:00", "normal", "2026-12-28 15:00"),  # 24 Dec is a working day, 25/26 not
        # dringend: same working day, unless less than an hour is left
        ("2026-06-08 10:00", "urgent", "2026-06-08 15:00"),
        ("2026-06-08 14:00", "urgent", "2026-06-08 15:00"),  # exactly one hour left
        ("2026-06-08 14:30", "urgent", "2026-06-09 15:00"),  # half an hour left → next working day
        ("2026-06-13 09:00", "urgent", "2026-06-15 15:00"),  # Saturday → Monday
        ("2026-04-02 14:30", "urgent", "2026-04-07 15:00"),  # Thursday before Easter
        # existenzsichernd: two working hours
        ("2026-06-08 10:00", "emergency", "2026-06-08 12:00"),
        ("2026-06-08 14:00", "emergency", "2026-06-09 09:00"),
        ("2026-06-07 20:00", "emergency", "2026-06-08 10:00"),  # Sunday evening
        ("2026-03-27 14:00", "emergency", "2026-03-30 09:00"),  # Fri CET → Mon CEST
        ("2026-10-23 14:00", "emergency", "2026-10-26 09:00"),  # Fri CEST → Mon CET
        ("2026-12-24 14:30", "emergency", "2026-12-28 09:30"),  # Christmas
        ("2026-04-30 14:45", "emergency", "2026-05-04 09:45"),  # 1 May is a Friday
    ],
)
def test_deadline_table(created, urgency, expected):
    due = base_due(CALENDAR, at(created), urgency, POLICY)
    assert due == at(expected)
    assert due.utcoffset() == at(expected).utcoffset()


@pytest.mark.parametrize(
    "created, expected_utc",
    [
        ("2026-03-27 14:00", "2026-03-30 07:00"),  # 09:00 CEST
        ("2026-10-23 14:00", "2026-10-26 08:00"),  # 09:00 CET
    ],
)
def test_deadlines_across_dst_in_utc(created, expected_utc):
    due = base_due(CALENDAR, at(created), "emergency", POLICY)
    assert due.astimezone(UTC) == datetime.strptime(expected_utc, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def test_working_time_through_the_night_of_the_clock_change():
    """On a calendar open all Sunday, the hour that does not exist (02:00–03:00) is not counted."""
    sunday = BusinessCalendar(weekly=weekly_rules([(6, time(0), time(23, 59))]), tz=BERLIN)
    start = at("2026-03-29 01:00")
    due = base_due(sunday, start, "emergency", POLICY)
    assert due == datetime(2026, 3, 29, 4, 0, tzinfo=BERLIN)
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=2)  # real elapsed time
    back = base_due(sunday, at("2026-10-25 01:00"), "emergency", POLICY)
    assert back.astimezone(UTC) - at("2026-10-25 01:00").astimezone(UTC) == timedelta(hours=2)
    assert back.astimezone(BERLIN).hour == 2 and back.astimezone(BERLIN).fold == 1  # the second 02:00


@pytest.mark.parametrize(
    "created, urgency, pauses, expected",
    [
        # one hour of pause within working time moves the deadline by one working hour
        ("2026-06-08 10:00", "emergency", [("2026-06-08 10:30", "2026-06-08 11:30")], "2026-06-08 13:00"),
        # paused Tue 09:00 → Thu 09:00: 13 working hours were left, counted again from Thursday
        ("2026-06-08 10:00", "normal", [("2026-06-09 09:00", "2026-06-11 09:00")], "2026-06-12 15:00"),
        # paused over the weekend from Friday 14:30 to Monday 08:00: 90 minutes left on Monday
        ("2026-06-12 14:00", "emergency", [("2026-06-12 14:30", "2026-06-15 08:00")], "2026-06-15 09:30"),
        # a pause outside the hours changes nothing
        ("2026-06-08 10:00", "emergency", [("2026-06-08 18:00", "2026-06-09 07:00")], "2026-06-08 12:00"),
        # a pause that began after the deadline does not move it
        ("2026-06-08 10:00", "emergency", [("2026-06-08 13:00", "2026-06-09 13:00")], "2026-06-08 12:00"),
        # two pauses add up (30 + 30 minutes)
        (
            "2026-06-08 10:00",
            "emergency",
            [("2026-06-08 10:15", "2026-06-08 10:45"), ("2026-06-08 11:00", "2026-06-08 11:30")],
            "2026-06-08 13:00",
        ),
        # a pause across a holiday: Wed 10:00 → Fri 10:00 (Thu is Fronleichnam) costs one working day
        ("2026-06-03 09:00", "urgent", [("2026-06-03 10:00", "2026-06-05 10:00")], "2026-06-05 15:00"),
        # paused across the change to summer time
        ("2026-03-27 13:00", "emergency", [("2026-03-27 14:00", "2026-03-30 08:00")], "2026-03-30 09:00"),
    ],
)
def test_paused_clock_table(created, urgency, pauses, expected):
    result = compute(
        CALENDAR, at(created), urgency, POLICY, pauses=[(at(start), at(end)) for start, end in pauses]
    )
    assert result.due_at == at(expected)


def test_open_pause_has_no_deadline():
    assert (
        compute(CALENDAR, at("2026-06-08 10:00"), "normal", POLICY, pauses=[(at("2026-06-08 11:00"), None)])
        is None
    )


@pytest.mark.parametrize(
    "created, urgency, expected_warn",
    [
        ("2026-06-08 10:00", "emergency", "2026-06-08 11:30"),  # 75 % of 2 h
        ("2026-06-08 10:00", "normal", "2026-06-10 10:15"),  # 75 % of 19 working hours
        ("2026-06-08 10:00", "urgent", "2026-06-08 13:45"),  # 75 % of 5 h
    ],
)
def test_warning_at_a_share_of_the_time(created, urgency, expected_warn):
    result = compute(CALENDAR, at(created), urgency, POLICY)
    assert result.warn_at == at(expected_warn)
    assert result.warn_at < result.due_at


def test_configurable_policy():
    policy = Policy(
        normal_working_days=5, urgent_working_days=1, emergency_working_minutes=60, warn_share_percent=50
    )
    assert base_due(CALENDAR, at("2026-06-08 10:00"), "normal", policy) == at("2026-06-15 15:00")
    assert base_due(CALENDAR, at("2026-06-08 10:00"), "urgent", policy) == at("2026-06-09 15:00")
    assert base_due(CALENDAR, at("2026-06-08 10:00"), "emergency", policy) == at("2026-06-08 11:00")
    assert warn_moment(CALENDAR, at("2026-06-08 10:00"), at("2026-06-08 11:00"), 50) == at("2026-06-08 10:30")


def test_online_window_later_than_the_deadline():
    result = compute(CALENDAR, at("2026-06-08 10:00"), "normal", POLICY, not_before=at("2026-06-12 11:00"))
    assert result.due_at == at("2026-06-12 11:00")


def test_unknown_urgency_is_refused():
    with pytest.raises(ValueError):
        base_due(CALENDAR, at("2026-06-08 10:00"), "sofort", POLICY)
