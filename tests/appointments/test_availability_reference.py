"""``services.availability()`` against a straightforward reference implementation.

The production code counts in the database (k = 1) or walks integer starts (k > 1), computes the
local day with integer arithmetic over the zone's offsets and merges capacity held by due
appointments. The reference below does none of that: it loads every unit of a location and day as
a model, counts the active ``AppointmentSlot`` rows itself and tries each start. Generated data:
two service groups with different grids (15 and 10 minutes) that overlap at one location,
services with k = 1, 2 and 3 units, a counter that closes mid-morning (the capacity-drop rule of
ADR 0002), a same-day-only window, a night window across a DST change (units of 75 real minutes,
units that do not exist), booking windows that cut the range, and bookings in every state (held,
expired, pending, confirmed, cancelled before and after the release delay, released, internal).
Runs on SQLite and, with ``DATABASE_URL``, on PostgreSQL.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest

from buergerkontakt.appointments import engine, services
from buergerkontakt.appointments.models import (
    Appointment,
    AppointmentSlot,
    Quota,
    Schedule,
    ServiceGroup,
    Slot,
)
from buergerkontakt.appointments.services import BookingError, DayAvailability
from buergerkontakt.core.models import Location
from buergerkontakt.directory.models import HoursKind, HoursRule
from tests.factories import build_org

from .builders import BERLIN, add_schedule, make_group, make_service, weekly_schedule

pytestmark = pytest.mark.django_db

Status = Appointment.Status
HOLDING = (Status.HELD, Status.PENDING_CONFIRMATION)

# (first materialised day, DST Sunday, query moments)
SCENARIOS = {
    "autumn": (date(2026, 10, 19), date(2026, 10, 25),
               [datetime(2026, 10, 22, 9, 7, tzinfo=BERLIN),
                datetime(2026, 10, 24, 23, 50, tzinfo=BERLIN)]),
    "spring": (date(2026, 3, 23), date(2026, 3, 29),
               [datetime(2026, 3, 26, 7, 40, tzinfo=BERLIN), datetime(2026, 3, 28, 12, 1, tzinfo=BERLIN)]),
}


def _build(first_day: date, dst_sunday: date, seed: int):
    org = build_org()
    extra = [Location.objects.create(authority=org.authority, name=f"Außenstelle {i}", slug=f"aussen-{i}",
                                     street=f"Weg {i}", postcode="63065", city="Teststadt",
                                     offers_online_booking=True) for i in (1, 2)]
    l1, l2, l3, l4 = org.location, org.second_location, *extra
    # The scenarios need windows at any hour (night windows across DST): no published opening hours,
    # so the schedules are not limited by them (they are checked against hours where hours exist).
    HoursRule.objects.filter(location__in=(l1, l2), team__isnull=True, kind=HoursKind.OPENING).delete()
    everywhere = (l1, l2, l3, l4)  # offered at every location ("angeboten an Standorten")
    s10 = make_service(org.authority, "kurz", 10, locations=everywhere)
    s15 = make_service(org.authority, "meldebescheinigung", 15, locations=everywhere)
    s30 = make_service(org.authority, "personalausweis", 30, locations=everywhere)
    s45 = make_service(org.authority, "reisepass", 45, locations=everywhere)
    group_a = make_group(org.authority, "buergerbuero", (s10, s15, s30, s45), slot_minutes=15,
                         min_days_ahead=0, max_days_ahead=7, hold_minutes=20,
                         cancel_release_delay_minutes=120)
    group_b = make_group(org.authority, "kfz", (s10, s15), slot_minutes=10, min_days_ahead=1,
                         max_days_ahead=9, hold_minutes=15, cancel_release_delay_minutes=30)
    for location in (l1, l2, l3):
        weekly_schedule(group_a, location, [("08:00", "12:00")], counters=3, online_quota=2)
        # One extra counter 09:00–10:00: capacity rises and drops again (ADR 0002 rule).
        weekly_schedule(group_a, location, [("09:00", "10:00")], counters=1, online_quota=1)
        weekly_schedule(group_a, location, [("13:00", "15:30")], counters=2, online_quota=1)
        weekly_schedule(group_a, location, [("15:30", "17:00")], counters=1, online_quota=1,
                        same_day_only=True)
    # A night window across the DST change (date-specific, so it applies on the Sunday).
    add_schedule(group_a, l1, "00:00", "05:00", day=dst_sunday, counters=2, online_quota=2)
    add_schedule(group_a, l2, "01:00", "04:00", day=dst_sunday, counters=1, online_quota=1)
    # Units next to midnight after the change: the local day depends on the new offset.
    for start, end in (("00:00", "01:00"), ("22:45", "23:45")):
        add_schedule(group_a, l1, start, end, day=dst_sunday + timedelta(days=1), counters=2, online_quota=1)
    for start, end in (("00:00", "01:00"), ("22:40", "23:40")):
        add_schedule(group_b, l4, start, end, day=dst_sunday + timedelta(days=3), counters=1, online_quota=1)
    for location in (l3, l4):  # at l3 group A is older and wins for the shared services
        weekly_schedule(group_b, location, [("07:30", "11:10"), ("11:10", "12:30")], counters=2,
                        online_quota=2, weekdays=range(6))
    add_schedule(group_b, l4, "00:30", "04:30", day=dst_sunday, counters=1, online_quota=1)
    last_day = first_day + timedelta(days=20)
    for group, locations in ((group_a, (l1, l2, l3)), (group_b, (l3, l4))):
        for location in locations:
            services.materialize_slots(group, location, first_day, last_day)

    rng = random.Random(seed)
    agent = org.users["agent"]
    combos = [[s15], [s30], [s45], [s10], [s15, s15], [s10, s10]]
    slots = list(Slot.objects.order_by("pk").values_list("group_id", "location_id", "start"))
    for _ in range(260):
        _group_id, location_id, start = rng.choice(slots)
        chosen = rng.choice(combos)
        quota = Quota.INTERNAL if rng.random() < 0.2 else Quota.ONLINE
        now = start - timedelta(minutes=rng.choice([20, 90, 60 * 24, 60 * 30, 60 * 60]))
        try:
            held = services.hold_slot(chosen, location_id, start, quota=quota, now=now,
                                      booked_by=agent if quota == Quota.INTERNAL else None)
        except BookingError:
            continue
        roll = rng.random()
        if roll < 0.45:
            services.confirm_booking(held, name="Erika Mustermann", email=f"p{held.pk}@example.org",
                                     now=now, email_verified=True)
        elif roll < 0.6:
            services.confirm_booking(held, name="Max Muster", email=f"p{held.pk}@example.org", now=now,
                                     email_verified=True)
            later = min(now + timedelta(minutes=rng.choice([1, 100, 600])), start - timedelta(minutes=1))
            services.cancel_appointment(held, now=later)
        elif roll < 0.7:
            services.cancel_appointment(held, now=now + timedelta(minutes=1))
        # else: stays HELD (expires after hold_minutes)
    # Some due capacity released by the task, the rest left for the reads to count as free.
    services.release_due_capacity(now=datetime.combine(first_day + timedelta(days=2), datetime.min.time(),
                                                       BERLIN))
    return {"s10": s10, "s15": s15, "s30": s30, "s45": s45, "locations": (l1, l2, l3, l4),
            "groups": (group_a, group_b)}


def _due(appointment: Appointment, now: datetime) -> bool:
    if appointment.capacity_released:
        return False
    if appointment.status in HOLDING and appointment.hold_expires_at and appointment.hold_expires_at <= now:
        return True
    return appointment.capacity_release_at is not None and appointment.capacity_release_at <= now


_memo: dict = {}


@pytest.fixture(autouse=True)
def _fresh_memo():
    _memo.clear()
    yield
    _memo.clear()


def _active_units(quota: str, now: datetime) -> Counter:
    """slot id → units held there by appointments that are neither released nor due."""
    key = (quota, now, AppointmentSlot.objects.count(), Appointment.objects.order_by("-pk").values_list(
        "pk", flat=True).first())
    if key not in _memo:
        _memo.clear()
        active: Counter = Counter()
        for unit in AppointmentSlot.objects.select_related("appointment").filter(appointment__quota=quota):
            if not unit.appointment.capacity_released and not _due(unit.appointment, now):
                active[unit.slot_id] += 1
        _memo[key] = active
    return _memo[key]


def reference(chosen, from_date: date, days: int, location=None, quota=Quota.ONLINE, *,
              now: datetime) -> list[DayAvailability]:
    """The same answer, the slow and obvious way."""
    wanted = {s.pk for s in chosen}
    groups = [g for g in ServiceGroup.objects.order_by("pk")
              if wanted <= set(g.services.values_list("pk", flat=True))]
    owners: dict[int, ServiceGroup] = {}
    for group in groups:  # the oldest group with a schedule at a location serves it
        for loc_id in Schedule.objects.filter(group=group).values_list("location_id", flat=True):
            owners.setdefault(loc_id, group)
    if location is not None:
        owners = {location.pk: owners[location.pk]} if location.pk in owners else {}
    active = _active_units(quota, now)
    today = engine.local_day(now)
    result = []
    for loc_id, group in owners.items():
        k = math.ceil(sum(s.duration_minutes for s in chosen) / group.slot_minutes)
        first, last = engine.bookable_range(now=now, min_days_ahead=group.min_days_ahead,
                                            max_days_ahead=group.max_days_ahead,
                                            release_time=group.release_time,
                                            internal=quota == Quota.INTERNAL)
        rules = engine.DayRules(today=today, first=first, last=last)
        by_day: dict[date, list[Slot]] = defaultdict(list)
        for slot in Slot.objects.filter(group=group, location_id=loc_id).order_by("start"):
            by_day[slot.start.astimezone(BERLIN).date()].append(slot)
        for offset in range(days):
            day = from_date + timedelta(days=offset)
            if day < today:
                continue
            units = by_day.get(day, [])
            starts = []
            for i in range(len(units) - k + 1):
                chain = units[i:i + k]
                ok = (chain[0].start > now
                      and all(chain[j + 1].start == chain[j].end for j in range(k - 1))
                      and all(rules.allows(day, u.same_day_only) for u in chain)
                      and all(u.capacity(quota) - active[u.pk] > 0 for u in chain)
                      and all(chain[j + 1].capacity(quota) >= chain[j].capacity(quota) for j in range(k - 1)))
                if ok:
                    starts.append(chain[0].start)
            if starts:
                result.append(DayAvailability(loc_id, day, len(starts), min(starts).astimezone(BERLIN)))
    result.sort(key=lambda item: (item.day, item.first_start, item.location_id))
    return result


def _plain(items: list[DayAvailability]) -> list[tuple]:
    return [(i.location_id, i.day, i.free_starts, i.first_start.isoformat()) for i in items]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_availability_matches_reference(scenario):
    first_day, dst_sunday, moments = SCENARIOS[scenario]
    data = _build(first_day, dst_sunday, seed=len(scenario))
    s10, s15, s30, s45 = data["s10"], data["s15"], data["s30"], data["s45"]
    l1, _l2, l3, l4 = data["locations"]
    assert Slot.objects.filter(start__date__gte=dst_sunday).exists()
    combos = [[s15], [s10], [s30], [s45], [s15, s15], [s10, s10], [s15, s30]]
    compared = nonempty = 0
    kinds = Counter()
    for now in moments:
        for chosen in combos:
            for quota in (Quota.ONLINE, Quota.INTERNAL):
                for location in (None, l1, l3, l4):
                    for from_date, days in ((first_day, 21), (now.date() + timedelta(days=2), 5)):
                        try:
                            got = services.availability(chosen, from_date, days, location=location,
                                                        quota=quota, now=now)
                        except BookingError:
                            with pytest.raises(BookingError):
                                services.group_for(chosen, location)
                            continue
                        expected = reference(chosen, from_date, days, location, quota, now=now)
                        assert _plain(got) == _plain(expected), (scenario, now, chosen, quota, location)
                        compared += 1
                        nonempty += bool(got)
                        kinds[len(chosen), sum(s.duration_minutes for s in chosen)] += bool(got)
    assert compared >= 150 and nonempty >= 100, (compared, nonempty)
    # The data really exercised what it is meant to: due capacity, DST units, drops, same-day units.
    assert any(_due(a, moments[0]) for a in Appointment.objects.all())
    assert Appointment.objects.filter(capacity_released=True).exists()
    assert Slot.objects.filter(same_day_only=True).exists()


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_availability_agrees_with_free_starts(scenario):
    """Each day's count and first start equal what the day view (free_starts) offers."""
    first_day, dst_sunday, moments = SCENARIOS[scenario]
    data = _build(first_day, dst_sunday, seed=7)
    l1, l2, l3, l4 = data["locations"]
    now = moments[0]
    for chosen in ([data["s15"]], [data["s45"]], [data["s10"], data["s10"]]):
        got = {(i.location_id, i.day): i for i in services.availability(chosen, first_day, 21, now=now)}
        for location in (l1, l2, l3, l4):
            for offset in range(21):
                day = first_day + timedelta(days=offset)
                try:
                    starts = services.free_starts(chosen, location, day, now=now)
                except BookingError:
                    starts = []
                item = got.get((location.pk, day))
                found = (item.free_starts, item.first_start) if item else (0, None)
                assert found == ((len(starts), starts[0]) if starts else (0, None)), (chosen, location, day)
