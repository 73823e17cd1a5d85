"""SPEC R1, property-based: random schedules, services and operations never break the capacity invariant.

After every step: for every slot 0 <= used <= capacity, and used equals the number of units held by
appointments whose capacity has not been released; all active bookings can be seated at concrete
counters. ``free_starts`` is exact: an offered start can be booked when tried alone, and a unit start
it does not offer cannot.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from buergerkontakt.appointments import engine, services
from buergerkontakt.appointments.models import Appointment, AppointmentSlot, Quota, Slot
from buergerkontakt.appointments.services import BookingError

from .builders import BERLIN, add_schedule, at, make_group, make_service

DAYS = (date(2026, 6, 9), date(2026, 6, 10))  # Tuesday and Wednesday, both regular opening days
START = at(2026, 6, 9, 6, 30)
Status = Appointment.Status

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, derandomize=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)


def assert_invariant(group) -> None:
    active = Counter(AppointmentSlot.objects.filter(appointment__capacity_released=False)
                     .values_list("slot_id", "appointment__quota"))
    for pk, online_cap, online_used, internal_cap, internal_used in Slot.objects.filter(
            group=group).values_list("pk", "online_capacity", "online_used", "internal_capacity",
                                     "internal_used"):
        assert 0 <= online_used <= online_cap
        assert 0 <= internal_used <= internal_cap
        assert online_used == active[(pk, Quota.ONLINE)]
        assert internal_used == active[(pk, Quota.INTERNAL)]
    assert not Appointment.objects.filter(status=Status.EXPIRED, capacity_released=False).exists()


def assert_seatable(group) -> None:
    """Every active booking can sit at one concrete counter for its whole duration (ADR 0002).

    Left-edge greedy per quota: bookings by start time, each to the lowest counter position that is
    open (below the unit's capacity) and free in all of its units.
    """
    capacity = {pk: {Quota.ONLINE: online, Quota.INTERNAL: internal}
                for pk, online, internal in Slot.objects.filter(group=group).values_list(
                    "pk", "online_capacity", "internal_capacity")}
    units: dict[tuple[int, str], list[tuple[datetime, int]]] = defaultdict(list)
    for appointment_id, quota, slot_id, start in AppointmentSlot.objects.filter(
            appointment__capacity_released=False, slot__group=group).values_list(
            "appointment_id", "appointment__quota", "slot_id", "slot__start"):
        units[(appointment_id, quota)].append((start, slot_id))
    for quota in Quota.values:
        taken: dict[int, set[int]] = defaultdict(set)
        for booking in sorted(sorted(u) for (_pk, q), u in units.items() if q == quota):
            open_positions = min(capacity[slot_id][quota] for _start, slot_id in booking)
            seat = next((p for p in range(open_positions)
                         if all(p not in taken[slot_id] for _start, slot_id in booking)), None)
            assert seat is not None, f"cannot seat {booking}"
            for _start, slot_id in booking:
                taken[slot_id].add(seat)


def unit_starts(group, location, day: date) -> list[datetime]:
    low = engine.day_start(day, BERLIN)
    return list(Slot.objects.filter(group=group, location=location, start__gte=low,
                                    start__lt=low + timedelta(days=1)).order_by("start")
                .values_list("start", flat=True))


def books_alone(chosen, location, start, quota, agent, now) -> bool:
    """Whether a hold at ``start`` succeeds on its own (rolled back either way)."""
    with transaction.atomic():
        try:
            services.hold_slot(chosen, location, start, quota=quota, now=now,
                               booked_by=agent if quota == Quota.INTERNAL else None)
        except BookingError:
            return False
        finally:
            transaction.set_rollback(True)
    return True


counters_and_quota = st.integers(1, 4).flatmap(lambda c: st.tuples(st.just(c), st.integers(0, c)))
# (day, first unit after 07:00, length in units, (counters, online quota), same-day only)
window = st.tuples(st.integers(0, 1), st.integers(0, 10), st.integers(1, 12), counters_and_quota,
                   st.sampled_from([False, False, True]))
# Mostly small steps (holds expire, delays pass), sometimes a jump.
advance = st.one_of(st.integers(0, 6), st.integers(7, 45))


@PROPERTY_SETTINGS
@given(data=st.data())
def test_capacity_invariant_under_random_operations(org, data):
    with transaction.atomic():
        _run_scenario(org, data)
        transaction.set_rollback(True)


def _run_scenario(org, data) -> None:
    location, agent = org.location, org.users["agent"]
    durations = data.draw(st.lists(st.one_of(st.integers(5, 20), st.integers(5, 60)), min_size=1,
                                   max_size=3), label="durations")
    offered_services = [make_service(org.authority, f"prop-{i}", minutes, locations=(location,))
                        for i, minutes in enumerate(durations)]
    slot_minutes = data.draw(st.sampled_from([10, 15, 20, 30]), label="slot_minutes")
    group = make_group(
        org.authority, "prop", tuple(offered_services), slot_minutes=slot_minutes,
        min_days_ahead=data.draw(st.integers(0, 1), label="min_days_ahead"), max_days_ahead=3,
        release_time=time(0), hold_minutes=data.draw(st.integers(1, 15), label="hold_minutes"),
        cancel_release_delay_minutes=data.draw(st.integers(0, 30), label="cancel_delay"),
        require_email_confirmation=data.draw(st.booleans(), label="email_confirmation"),
        confirm_minutes=data.draw(st.integers(1, 20), label="confirm_minutes"),
        max_active_per_person=data.draw(st.integers(0, 2), label="max_active"),
    )
    for day_index, first_unit, length, (counters, online), same_day in data.draw(
            st.lists(window, min_size=1, max_size=4), label="windows"):
        begin = datetime.combine(DAYS[day_index], time(7)) + timedelta(minutes=first_unit * slot_minutes)
        end = begin + timedelta(minutes=length * slot_minutes)
        add_schedule(group, location, begin.strftime("%H:%M"), end.strftime("%H:%M"),
                     day=DAYS[day_index], counters=counters, online_quota=online, same_day_only=same_day)
    services.materialize_slots(group, location, *DAYS)
    assert_invariant(group)

    appointments: list[Appointment] = []
    clock = START
    for _step in range(data.draw(st.integers(1, 15), label="steps")):
        clock += timedelta(minutes=data.draw(advance, label="advance"))
        action = data.draw(st.sampled_from(["hold", "hold", "hold", "confirm", "confirm", "cancel",
                                            "release"]), label="action")
        chosen = data.draw(st.lists(st.sampled_from(offered_services), min_size=1, max_size=2),
                           label="services")
        day = data.draw(st.sampled_from(DAYS), label="day")
        quota = data.draw(st.sampled_from(Quota.values), label="quota")
        starts = unit_starts(group, location, day)
        try:
            if action == "hold" and starts:
                start = data.draw(st.sampled_from(starts), label="start")
                appointments.append(services.hold_slot(
                    chosen, location, start, quota=quota, now=clock,
                    booked_by=agent if quota == Quota.INTERNAL else None))
            elif action == "confirm" and appointments:
                target = data.draw(st.sampled_from(appointments), label="appointment")
                if target.status == Status.PENDING_CONFIRMATION and data.draw(st.booleans()):
                    services.confirm_pending(target, now=clock)
                else:
                    person = data.draw(st.integers(0, 3), label="person")
                    services.confirm_booking(target, name=f"Person {person}",
                                             email=f"p{person}@example.org", now=clock)
            elif action == "cancel" and appointments:
                services.cancel_appointment(data.draw(st.sampled_from(appointments)), now=clock)
            elif action == "release":
                event(f"released {services.release_due_capacity(now=clock)}")
            event(f"{action}: done")
        except BookingError as error:
            event(f"{action}: {type(error).__name__}")
        for appointment in appointments:
            appointment.refresh_from_db()
        assert_invariant(group)
        assert_seatable(group)

        if data.draw(st.booleans(), label="check free_starts"):
            offered = services.free_starts(chosen, location, day, quota=quota, now=clock)
            for start in offered:
                assert start > clock
            event(f"check: {'some' if offered else 'no'} starts offered")
            if offered:
                start = data.draw(st.sampled_from(offered), label="offered start")
                assert books_alone(chosen, location, start, quota, agent, clock), start
            not_offered = [s for s in starts if s not in offered]
            if not_offered:
                start = data.draw(st.sampled_from(not_offered), label="refused start")
                assert not books_alone(chosen, location, start, quota, agent, clock), start
            assert_invariant(group)


# --- the pure chain search against a brute force -----------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(
    units=st.lists(st.tuples(st.booleans(), st.booleans(), st.integers(1, 3)), max_size=30),
    k=st.integers(1, 5),
    not_before=st.integers(-1, 30),
)
def test_chain_starts_equals_brute_force(units, k, not_before):
    """units: (usable, followed by a gap, capacity) per quarter hour from 08:00."""
    base = at(2026, 6, 9, 8)
    quarter = timedelta(minutes=15)
    spans = [(base + i * quarter, base + i * quarter + (quarter / 2 if gap else quarter), capacity)
             for i, (_usable, gap, capacity) in enumerate(units)]
    usable = [span for span, (ok, _gap, _capacity) in zip(spans, units, strict=True) if ok]
    expected = [
        spans[i][0] for i in range(len(units))
        if i + k <= len(units)
        and all(ok for ok, _gap, _capacity in units[i:i + k])
        and all(spans[j][1] == spans[j + 1][0] for j in range(i, i + k - 1))
        and not engine.crosses_capacity_drop([capacity for _s, _e, capacity in spans[i:i + k]])
        and spans[i][0] > base + not_before * quarter
    ]
    assert engine.chain_starts(usable, k, base + not_before * quarter) == expected


@settings(max_examples=500, deadline=None)
@given(
    capacities=st.lists(st.integers(0, 3), min_size=1, max_size=16),
    requests=st.lists(st.tuples(st.integers(0, 15), st.integers(1, 4)), max_size=30),
)
def test_bookings_that_follow_the_chain_rule_can_always_be_seated(capacities, requests):
    """The seating theorem of ADR 0002, on the pure rules: book whatever chain_starts offers, in any
    order; the left-edge greedy then seats every booking at one counter for its whole duration."""
    base = at(2026, 6, 9, 8)
    quarter = timedelta(minutes=15)
    used = [0] * len(capacities)
    bookings: list[range] = []
    for first, k in requests:
        free = [(base + i * quarter, base + (i + 1) * quarter, capacity)
                for i, capacity in enumerate(capacities) if used[i] < capacity]
        if base + first * quarter in engine.chain_starts(free, k, base - quarter):
            booking = range(first, first + k)
            for i in booking:
                used[i] += 1
            bookings.append(booking)
    taken: list[set[int]] = [set() for _ in capacities]
    for booking in sorted(bookings, key=lambda b: b.start):
        seat = next((p for p in range(min(capacities[i] for i in booking))
                     if all(p not in taken[i] for i in booking)), None)
        assert seat is not None, (capacities, bookings)
        for i in booking:
            taken[i].add(seat)
