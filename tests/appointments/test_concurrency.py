"""Concurrent booking: threads with their own database connections race for the same capacity.

The PostgreSQL variants (60 threads) run when ``DATABASE_URL`` points at PostgreSQL; the smaller
variants run on whatever database the suite uses (SQLite by default: IMMEDIATE transactions and
the busy timeout serialise the writers).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.db import connection

from buergerkontakt.appointments import services
from buergerkontakt.appointments.models import Appointment, AppointmentSlot, Quota, Slot
from buergerkontakt.appointments.services import SlotUnavailable

from .builders import add_schedule, at, build_office, slot_at

pytestmark = pytest.mark.django_db(transaction=True)

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")

DAY = date(2026, 6, 13)  # an extra Saturday with one short window
NOW = at(2026, 6, 12, 10)
LAST = at(2026, 6, 13, 9)


def race(workers: list[Callable[[], object]]) -> list[object]:
    """Start all workers at once (barrier); each returns a value or its exception."""
    barrier = threading.Barrier(len(workers))
    results: list[object] = [None] * len(workers)

    def run(index: int, work: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=60)
            results[index] = work()
        except Exception as exc:  # collected and asserted by the test
            results[index] = exc
        finally:
            connection.close()  # every thread has its own connection

    threads = [threading.Thread(target=run, args=(i, work)) for i, work in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def assert_capacity_invariant() -> None:
    active = Counter(AppointmentSlot.objects.filter(appointment__capacity_released=False)
                     .values_list("slot_id", "appointment__quota"))
    for slot in Slot.objects.all():
        assert 0 <= slot.online_used <= slot.online_capacity
        assert 0 <= slot.internal_used <= slot.internal_capacity
        assert slot.online_used == active[(slot.pk, Quota.ONLINE)]
        assert slot.internal_used == active[(slot.pk, Quota.INTERNAL)]


def office_with_last_slot(capacity: int):
    """A group whose only remaining unit (Saturday 09:00–09:15) has ``capacity`` online counters."""
    office = build_office(materialize=None)
    add_schedule(office.group, office.location, "09:00", "09:15", day=DAY, counters=capacity)
    services.materialize_slots(office.group, office.location, DAY, DAY)
    return office


def _last_slot_race(threads: int) -> None:
    office = office_with_last_slot(3)

    def attempt(i: int):
        def work():
            held = services.hold_slot([office.short], office.location, LAST, now=NOW)
            return services.confirm_booking(held, name=f"Person {i}", email=f"person{i}@example.org", now=NOW)
        return work

    results = race([attempt(i) for i in range(threads)])
    booked = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, SlotUnavailable)]
    assert len(booked) == 3, results
    unexpected = [r for r in results if not isinstance(r, Appointment | SlotUnavailable)]
    assert len(refused) == threads - 3, unexpected
    assert all("leider vergeben" in str(r) for r in refused)
    assert slot_at(office.group, office.location, LAST).online_used == 3
    assert Appointment.objects.filter(status=Appointment.Status.CONFIRMED).count() == 3
    assert_capacity_invariant()


def _overlapping_race(threads: int) -> None:
    """30-minute bookings (2 units) race 15-minute bookings over overlapping units, capacity 2."""
    office = build_office(materialize=None)
    add_schedule(office.group, office.location, "09:00", "10:00", day=DAY, counters=2)
    services.materialize_slots(office.group, office.location, DAY, DAY)
    starts = [LAST + timedelta(minutes=15 * i) for i in range(4)]

    def attempt(i: int):
        chosen = [office.long] if i % 2 else [office.short]
        start = starts[i % 3] if i % 2 else starts[i % 4]
        return lambda: services.hold_slot(chosen, office.location, start, now=NOW)

    results = race([attempt(i) for i in range(threads)])
    unexpected = [r for r in results if not isinstance(r, Appointment | SlotUnavailable)]
    assert not unexpected, unexpected
    assert any(isinstance(r, Appointment) for r in results)
    assert any(isinstance(r, SlotUnavailable) for r in results)
    assert_capacity_invariant()
    units = Slot.objects.filter(group=office.group)
    assert sum(s.online_used for s in units) == sum(
        len(r.units.all()) for r in results if isinstance(r, Appointment))
    assert max(s.online_used for s in units) == 2


def _idempotency_race(threads: int) -> None:
    office = office_with_last_slot(3)
    results = race([
        lambda: services.hold_slot([office.short], office.location, LAST, now=NOW,
                                   idempotency_key="double-click")
        for _ in range(threads)
    ])
    assert all(isinstance(r, Appointment) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert slot_at(office.group, office.location, LAST).online_used == 1


def _release_race(threads: int) -> None:
    """Several workers release the same expired holds: each is given back exactly once."""
    office = office_with_last_slot(3)
    for _ in range(3):
        services.hold_slot([office.short], office.location, LAST, now=NOW)
    later = NOW + timedelta(minutes=office.group.hold_minutes)
    results = race([lambda: services.release_due_capacity(now=later) for _ in range(threads)])
    assert sum(results) == 3, results
    assert slot_at(office.group, office.location, LAST).online_used == 0
    assert_capacity_invariant()


# --- on the suite's database (SQLite by default) ----------------------------------------------------
def test_last_slot_race():
    _last_slot_race(10)


def test_overlapping_multi_unit_race():
    _overlapping_race(10)


def test_idempotency_key_race():
    _idempotency_race(10)


def test_release_race():
    _release_race(6)


# --- PostgreSQL: many more threads -----------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgres://…")
def test_last_slot_race_postgres():
    _last_slot_race(60)


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgres://…")
def test_overlapping_multi_unit_race_postgres():
    _overlapping_race(60)


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgres://…")
def test_idempotency_key_race_postgres():
    _idempotency_race(30)


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgres://…")
def test_release_race_postgres():
    _release_race(20)
