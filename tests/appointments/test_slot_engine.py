"""Slot engine: schedule splitting, DST, closed days, booking window, free start times (table-driven)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from buergerkontakt.appointments import engine, services
from buergerkontakt.appointments.models import Quota, Slot
from buergerkontakt.directory.models import CalendarException, HoursKind, HoursRule

from .builders import BERLIN, MONDAY, UTC, add_schedule, at, build_office, hm, slot_at, weekly_schedule

NOW = at(2026, 6, 5, 10)  # Friday before the reference week


def local_hm(moments) -> list[str]:
    return [m.astimezone(BERLIN).strftime("%H:%M") for m in moments]


def utc_hm(moments) -> list[str]:
    return [m.astimezone(UTC).strftime("%H:%M") for m in moments]


# --- pure rules ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "end", "minutes", "expected"),
    [
        ("08:00", "09:00", 15, ["08:00", "08:15", "08:30", "08:45"]),
        ("08:10", "09:00", 15, ["08:15", "08:30", "08:45"]),  # units lie on the grid from midnight
        ("08:00", "08:50", 20, ["08:00", "08:20"]),  # a partial unit at the end is left out
        ("08:00", "08:10", 15, []),
        ("07:30", "09:00", 45, ["07:30", "08:15"]),
        ("23:00", "23:59", 30, ["23:00"]),
    ],
)
def test_split_units(start, end, minutes, expected):
    units = list(engine.split_units(date(2026, 6, 8), hm(start), hm(end), minutes, BERLIN))
    assert local_hm(s for s, _ in units) == expected
    assert all(e - s == timedelta(minutes=minutes) for s, e in units)


@pytest.mark.parametrize(
    ("day", "expected_utc"),
    [
        (date(2026, 3, 28), ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30"]),  # CET, +01:00
        # Spring forward: 02:00–03:00 does not exist; units touching it are skipped.
        (date(2026, 3, 29), ["00:00", "01:00", "01:30"]),
        (date(2026, 3, 30), ["23:00", "23:30", "00:00", "00:30", "01:00", "01:30"]),  # CEST, +02:00
    ],
)
def test_split_units_across_the_night_of_the_dst_change(day, expected_utc):
    units = list(engine.split_units(day, time(1), time(4), 30, BERLIN))
    assert utc_hm(s for s, _ in units) == expected_utc


@pytest.mark.parametrize(
    ("now", "min_days", "max_days", "internal", "expected"),
    [
        # Online, release at 08:00: before it the last day is today + 41, from 08:00 on today + 42.
        (at(2026, 6, 8, 0, 0), 1, 42, False, (date(2026, 6, 9), date(2026, 7, 19))),
        (at(2026, 6, 8, 7, 59), 1, 42, False, (date(2026, 6, 9), date(2026, 7, 19))),
        (at(2026, 6, 8, 8, 0), 1, 42, False, (date(2026, 6, 9), date(2026, 7, 20))),
        (at(2026, 6, 8, 23, 59), 1, 42, False, (date(2026, 6, 9), date(2026, 7, 20))),
        (at(2026, 6, 8, 8, 0), 0, 42, False, (date(2026, 6, 8), date(2026, 7, 20))),
        (at(2026, 6, 8, 7, 0), 1, 1, False, (date(2026, 6, 9), date(2026, 6, 8))),  # empty until 08:00
        # Internal (phone centre, reception): from today, no release time.
        (at(2026, 6, 8, 7, 0), 1, 42, True, (date(2026, 6, 8), date(2026, 7, 20))),
        # The local day counts, not the UTC day: 23:30 UTC on 8 June is already 9 June in Berlin.
        (datetime(2026, 6, 8, 23, 30, tzinfo=UTC), 1, 42, False, (date(2026, 6, 10), date(2026, 7, 20))),
    ],
)
def test_bookable_range(now, min_days, max_days, internal, expected):
    assert engine.bookable_range(now=now, min_days_ahead=min_days, max_days_ahead=max_days,
                                 release_time=time(8), internal=internal, tz=BERLIN) == expected


@pytest.mark.parametrize(
    ("units", "k", "expected"),
    [
        ([("08:00", "08:15", 1), ("08:15", "08:30", 1), ("08:30", "08:45", 1)], 1,
         ["08:00", "08:15", "08:30"]),
        ([("08:00", "08:15", 1), ("08:15", "08:30", 1), ("08:30", "08:45", 1)], 2, ["08:00", "08:15"]),
        ([("08:00", "08:15", 1), ("08:15", "08:30", 1), ("08:30", "08:45", 1)], 3, ["08:00"]),
        ([("08:00", "08:15", 1), ("08:15", "08:30", 1), ("08:30", "08:45", 1)], 4, []),
        # A missing (full or closed) unit breaks the chain; so does the lunch break.
        ([("08:00", "08:15", 1), ("08:30", "08:45", 1), ("08:45", "09:00", 1)], 2, ["08:30"]),
        ([("11:45", "12:00", 1), ("13:00", "13:15", 1)], 2, []),
        # A counter opening is fine; a counter closing during the booking is not.
        ([("08:45", "09:00", 2), ("09:00", "09:15", 3), ("09:15", "09:30", 3)], 2, ["08:45", "09:00"]),
        ([("09:45", "10:00", 3), ("10:00", "10:15", 2), ("10:15", "10:30", 2)], 2, ["10:00"]),
    ],
)
def test_chain_starts(units, k, expected):
    day = date(2026, 6, 8)
    rows = [(datetime.combine(day, hm(s), BERLIN), datetime.combine(day, hm(e), BERLIN), c)
            for s, e, c in units]
    assert local_hm(engine.chain_starts(rows, k, at(2026, 6, 8, 0))) == expected


# --- materialising --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_schedule_is_split_into_units_with_quotas():
    office = build_office(counters=3, online_quota=2, materialize=(MONDAY, MONDAY))
    slots = list(Slot.objects.filter(group=office.group).order_by("start"))
    assert local_hm(s.start for s in slots) == (
        [f"{h:02d}:{m:02d}" for h in range(8, 12) for m in (0, 15, 30, 45)]
        + [f"{h:02d}:{m:02d}" for h in range(13, 15) for m in (0, 15, 30, 45)]
    )
    assert {(s.online_capacity, s.internal_capacity, s.online_used, s.internal_used) for s in slots} == {
        (2, 1, 0, 0)}
    assert all(s.end - s.start == timedelta(minutes=15) for s in slots)


@pytest.mark.django_db
def test_materialize_is_idempotent_and_overlapping_schedules_add_up():
    office = build_office(counters=2, online_quota=1, materialize=None)
    add_schedule(office.group, office.location, "10:00", "11:00", weekday=0, counters=1, online_quota=1)
    first = services.materialize_slots(office.group, office.location, MONDAY, MONDAY)
    again = services.materialize_slots(office.group, office.location, MONDAY, MONDAY)
    assert (first.created, again.created, again.updated, again.closed) == (24, 0, 0, 0)
    assert Slot.objects.filter(group=office.group).count() == 24
    ten = slot_at(office.group, office.location, at(2026, 6, 8, 10))
    nine = slot_at(office.group, office.location, at(2026, 6, 8, 9))
    assert (ten.online_capacity, ten.internal_capacity) == (2, 1)
    assert (nine.online_capacity, nine.internal_capacity) == (1, 1)


@pytest.mark.django_db
def test_changed_schedule_never_lowers_capacity_below_what_is_used():
    office = build_office(counters=2, online_quota=2, materialize=(MONDAY, MONDAY))
    start = at(2026, 6, 8, 9)
    office.book(start, now=NOW)
    office.group.schedules.update(online_quota=0)
    result = services.materialize_slots(office.group, office.location, MONDAY, MONDAY)
    slot = slot_at(office.group, office.location, start)
    assert (slot.online_capacity, slot.online_used, slot.internal_capacity) == (1, 1, 2)
    assert result.updated == 24
    # Monday's schedule removed: units are closed (capacity = used), the booking keeps its unit.
    office.group.schedules.filter(weekday=0).delete()
    result = services.materialize_slots(office.group, office.location, MONDAY, MONDAY)
    assert result.closed == 24
    slot.refresh_from_db()
    assert (slot.online_capacity, slot.online_used, slot.internal_capacity) == (1, 1, 0)
    assert services.free_starts([office.short], office.location, MONDAY, now=NOW) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "exception_kinds", "expected_units"),
    [
        (date(2026, 6, 3), None, 24),  # Wednesday, normal
        (date(2026, 6, 4), None, 0),  # Fronleichnam, a public holiday in Hessen
        (date(2026, 6, 6), None, 0),  # Saturday: the location has no opening hours
        (date(2026, 6, 10), "", 0),  # closure for all kinds (Betriebsversammlung)
        (date(2026, 6, 10), "opening", 0),
        (date(2026, 6, 10), "phone", 24),  # only the phone line is closed: appointments stay
    ],
)
def test_closed_days_are_skipped(day, exception_kinds, expected_units):
    office = build_office(materialize=None)
    if exception_kinds is not None:
        CalendarException.objects.create(location=office.location, date=day, closed=True,
                                         kinds=exception_kinds, reason="Betriebsversammlung")
    services.materialize_slots(office.group, office.location, date(2026, 6, 1), date(2026, 6, 14))
    low, high = engine.day_start(day, BERLIN), engine.day_start(day + timedelta(days=1), BERLIN)
    assert Slot.objects.filter(group=office.group, start__gte=low, start__lt=high).count() == expected_units


@pytest.mark.django_db
def test_date_specific_schedules_open_extra_days_and_replace_the_weekly_ones():
    office = build_office(materialize=None)
    add_schedule(office.group, office.location, "09:00", "12:00", day=date(2026, 6, 13), counters=3,
                 online_quota=3)  # extra Saturday
    add_schedule(office.group, office.location, "09:00", "10:00", day=date(2026, 6, 4))  # holiday
    add_schedule(office.group, office.location, "08:00", "09:00", day=date(2026, 6, 11))  # short Thursday
    services.materialize_slots(office.group, office.location, date(2026, 6, 1), date(2026, 6, 21))

    def day_units(day):
        low = engine.day_start(day, BERLIN)
        return list(Slot.objects.filter(group=office.group, start__gte=low,
                                        start__lt=low + timedelta(days=1)).order_by("start"))

    saturday = day_units(date(2026, 6, 13))
    assert local_hm(s.start for s in saturday)[:2] == ["09:00", "09:15"]
    assert len(saturday) == 12 and {s.online_capacity for s in saturday} == {3}
    assert day_units(date(2026, 6, 20)) == []  # the next Saturday has no extra schedule
    assert local_hm(s.start for s in day_units(date(2026, 6, 4))) == ["09:00", "09:15", "09:30", "09:45"]
    assert local_hm(s.start for s in day_units(date(2026, 6, 11))) == ["08:00", "08:15", "08:30", "08:45"]
    starts = services.free_starts([office.short], office.location, date(2026, 6, 13), now=NOW)
    assert local_hm(starts)[:3] == ["09:00", "09:15", "09:30"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "expected_utc"),
    [
        (date(2026, 3, 23), "07:00"),  # Monday, CET
        (date(2026, 3, 28), "08:00"),  # Saturday before the switch: 09:00 CET
        (date(2026, 3, 29), "07:00"),  # Sunday of the switch: 09:00 CEST
        (date(2026, 3, 30), "06:00"),  # Monday, CEST
        (date(2026, 10, 24), "07:00"),  # Saturday before the switch back: 09:00 CEST
        (date(2026, 10, 25), "08:00"),  # Sunday of the switch back: 09:00 CET
        (date(2026, 10, 26), "07:00"),  # Monday, CET
    ],
)
def test_units_stay_at_local_time_on_dst_days(day, expected_utc):
    office = build_office(materialize=None)
    for extra in (date(2026, 3, 28), date(2026, 3, 29), date(2026, 10, 24), date(2026, 10, 25)):
        add_schedule(office.group, office.location, "09:00", "10:00", day=extra)  # e.g. election days
    services.materialize_slots(office.group, office.location, day, day)
    slots = list(Slot.objects.filter(group=office.group).order_by("start"))
    assert utc_hm([slots[0].start]) == [expected_utc]
    assert local_hm([slots[0].start]) == (["09:00"] if day.weekday() >= 5 else ["08:00"])
    assert all(s.end - s.start == timedelta(minutes=15) for s in slots)
    now = datetime.combine(day - timedelta(days=1), time(9), BERLIN)
    assert local_hm(services.free_starts([office.long], office.location, day, now=now))[:1] == (
        ["09:00"] if day.weekday() >= 5 else ["08:00"])


# --- booking window ------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("moment", "last_day", "july_20_offered"),
    [
        (at(2026, 6, 8, 7, 59), date(2026, 7, 19), False),
        (at(2026, 6, 8, 8, 0), date(2026, 7, 20), True),
        (at(2026, 6, 9, 7, 59), date(2026, 7, 20), True),
    ],
)
def test_release_time_opens_the_last_day(moment, last_day, july_20_offered):
    office = build_office(materialize=(date(2026, 7, 17), date(2026, 7, 21)))
    with time_machine.travel(moment, tick=False):
        assert services.bookable_range(office.group) == (moment.date() + timedelta(days=1), last_day)
        starts = services.free_starts([office.short], office.location, date(2026, 7, 20))
        assert bool(starts) is july_20_offered
        days = {d.day for d in services.availability([office.short], date(2026, 7, 17), 5)}
        assert (date(2026, 7, 20) in days) is july_20_offered
        assert date(2026, 7, 21) not in days
        if not july_20_offered:
            with pytest.raises(services.BookingError, match=r"Dieser Tag ist \(noch\) nicht buchbar"):
                services.hold_slot([office.short], office.location, at(2026, 7, 20, 8))


@pytest.mark.django_db
def test_min_days_ahead_and_past_starts():
    office = build_office(min_days_ahead=0)
    monday_10 = at(2026, 6, 8, 10, 5)
    starts = services.free_starts([office.short], office.location, MONDAY, now=monday_10)
    assert local_hm(starts)[0] == "10:15"  # nothing in the past, not even the running unit
    office.group.min_days_ahead = 1
    office.group.save()
    assert services.free_starts([office.short], office.location, MONDAY, now=monday_10) == []
    assert services.free_starts([office.short], office.location, MONDAY + timedelta(days=1),
                                now=monday_10)


@pytest.mark.django_db
def test_same_day_units_are_offered_only_on_their_day():
    office = build_office(materialize=None)
    # the office opens at 07:00 for its spontaneous window (schedules lie within opening hours)
    HoursRule.objects.filter(location=office.location, kind=HoursKind.OPENING).update(start=time(7))
    weekly_schedule(office.group, office.location, [("07:00", "08:00")], same_day_only=True)
    services.materialize_slots(office.group, office.location, MONDAY, MONDAY + timedelta(days=1))
    early_monday = at(2026, 6, 8, 6, 30)
    today = services.free_starts([office.short], office.location, MONDAY, now=early_monday)
    tomorrow = services.free_starts([office.short], office.location, MONDAY + timedelta(days=1),
                                    now=early_monday)
    # Today only the spontaneous window (min_days_ahead = 1 keeps regular units out of today) …
    assert local_hm(today) == ["07:00", "07:15", "07:30", "07:45"]
    # … tomorrow only the regular units.
    assert local_hm(tomorrow)[0] == "08:00" and "07:00" not in local_hm(tomorrow)
    counts = {d.day: d.free_starts for d in services.availability([office.short], MONDAY, 2,
                                                                  now=early_monday)}
    assert counts == {MONDAY: 4, MONDAY + timedelta(days=1): 24}
    with pytest.raises(services.BookingError, match="nur am selben Tag"):
        services.hold_slot([office.short], office.location, at(2026, 6, 9, 7), now=early_monday)
    held = services.hold_slot([office.short], office.location, at(2026, 6, 8, 7), now=early_monday)
    assert held.start == at(2026, 6, 8, 7)


# --- consecutive units ---------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("which", "morning", "afternoon"),
    [
        (["short"], 16, 8),
        (["long"], 15, 7),  # 30 min = 2 units
        (["short", "long"], 14, 6),  # 45 min = 3 consecutive units
        (["long", "long"], 13, 5),
    ],
)
def test_several_services_take_consecutive_units_and_never_bridge_the_lunch_break(which, morning,
                                                                                  afternoon):
    office = build_office()
    chosen = [getattr(office, name) for name in which]
    starts = local_hm(services.free_starts(chosen, office.location, MONDAY, now=NOW))
    assert len(starts) == morning + afternoon
    assert all(s < "12:00" for s in starts[:morning]) and all(s >= "13:00" for s in starts[morning:])
    k = len(which) + which.count("long")
    last_morning = (datetime.combine(MONDAY, time(12), BERLIN) - timedelta(minutes=15 * k))
    assert starts[morning - 1] == last_morning.strftime("%H:%M")
    with pytest.raises(services.SlotUnavailable):  # would run into the lunch break
        services.hold_slot(chosen, office.location, last_morning + timedelta(minutes=15), now=NOW)


@pytest.mark.django_db
def test_a_booking_never_runs_across_a_closing_counter():
    """2 counters 08–12 plus an extra one 09–10: a 30-minute booking may not run past 10:00 from
    09:45, because it could have to start at the extra counter (see ADR 0002)."""
    office = build_office(counters=2, online_quota=2, materialize=None)
    add_schedule(office.group, office.location, "09:00", "10:00", weekday=0, counters=1)
    services.materialize_slots(office.group, office.location, MONDAY, MONDAY)
    starts = local_hm(services.free_starts([office.long], office.location, MONDAY, now=NOW))
    assert "08:45" in starts and "09:30" in starts and "10:00" in starts
    assert "09:45" not in starts
    with pytest.raises(services.SlotUnavailable):
        office.hold(at(2026, 6, 8, 9, 45), now=NOW, services_=[office.long])
    # Both 15-minute units on their own are fine.
    office.hold(at(2026, 6, 8, 9, 45), now=NOW)
    office.hold(at(2026, 6, 8, 10), now=NOW)
    monday = services.availability([office.long], MONDAY, 1, now=NOW)[0]
    assert monday.free_starts == len(services.free_starts([office.long], office.location, MONDAY, now=NOW))


@pytest.mark.django_db
def test_duration_is_rounded_up_to_whole_units():
    office = build_office()
    office.short.duration_minutes = 20  # 20 min with 15-min units: 2 units
    office.short.save()
    held = office.hold(at(2026, 6, 8, 8), now=NOW)
    assert held.units.count() == 2
    assert held.end == at(2026, 6, 8, 8, 30)


@pytest.mark.django_db
def test_online_and_internal_quota_are_separate():
    office = build_office(counters=2, online_quota=1)
    eight, quarter_past = at(2026, 6, 8, 8), at(2026, 6, 8, 8, 15)
    office.hold(eight, now=NOW)
    office.hold(quarter_past, now=NOW, quota=Quota.INTERNAL, booked_by=office.agent)
    online = local_hm(services.free_starts([office.short], office.location, MONDAY, now=NOW))
    internal = local_hm(services.free_starts([office.short], office.location, MONDAY,
                                             quota=Quota.INTERNAL, now=NOW))
    assert "08:00" not in online and "08:15" in online
    assert "08:00" in internal and "08:15" not in internal
    with pytest.raises(services.SlotUnavailable):
        office.hold(eight, now=NOW)
    office.hold(eight, now=NOW, quota=Quota.INTERNAL, booked_by=office.agent)
    slot = slot_at(office.group, office.location, eight)
    assert (slot.online_used, slot.internal_used) == (1, 1)


@pytest.mark.django_db
def test_online_quota_zero_is_internal_only():
    office = build_office(counters=2, online_quota=0)
    assert services.free_starts([office.short], office.location, MONDAY, now=NOW) == []
    assert services.free_starts([office.short], office.location, MONDAY, quota=Quota.INTERNAL, now=NOW)


# --- availability ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_availability_matches_free_starts_per_location_and_day(django_assert_max_num_queries):
    office = build_office(counters=1, online_quota=1)
    second = office.org.second_location
    office.long.locations.add(second)  # offered there too (issue 26 defect 5)
    weekly_schedule(office.group, second, [("09:00", "10:00")], weekdays=[1, 3])
    services.materialize_slots(office.group, second, MONDAY, date(2026, 6, 19))
    office.book(at(2026, 6, 8, 8), now=NOW)
    office.book(at(2026, 6, 8, 9), now=NOW, email="max@example.org")

    with django_assert_max_num_queries(6):
        result = services.availability([office.long], date(2026, 6, 1), 30, now=NOW)
    assert {(r.location_id, r.day) for r in result} == (
        {(office.location.pk, MONDAY + timedelta(days=i)) for i in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)}
        | {(second.pk, d) for d in (date(2026, 6, 9), date(2026, 6, 11), date(2026, 6, 16),
                                    date(2026, 6, 18))})
    for item in result:
        starts = services.free_starts([office.long], item.location_id, item.day, now=NOW)
        assert item.free_starts == len(starts)
        assert item.first_start == starts[0]
    assert [r.day for r in result] == sorted(r.day for r in result)
    monday = next(r for r in result if r.day == MONDAY)
    assert monday.free_starts == 15 + 7 - 3  # 08:00 and 09:00 are full: starts 08:00, 08:45, 09:00 lost
    only_second = services.availability([office.long], MONDAY, 14, location=second, now=NOW)
    assert {r.location_id for r in only_second} == {second.pk}
    # The number of queries does not grow with the range.
    with django_assert_max_num_queries(6):
        services.availability([office.long], date(2026, 6, 1), 60, now=NOW)
    # Units left at a location whose schedule was removed are no longer offered.
    office.group.schedules.filter(location=second).delete()
    assert {r.location_id for r in services.availability([office.long], MONDAY, 14, now=NOW)} == {
        office.location.pk}
