"""Lock only what you mean to lock (PostgreSQL).

``select_for_update()`` combined with ``select_related()`` locks every joined row unless ``of`` names
the table: working one callback ticket would then lock its team and authority, calling one walk-in
ticket its queue, assigning one appointment its location – and every other desk of that team, queue
or location waits. Each test holds a service's row lock in one transaction and checks from a second
connection that the joined row can still be locked at once (``NOWAIT``).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from buergerkontakt.core.models import Authority, Location, Team
from tests.appointments.test_concurrency import ON_POSTGRES

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgres://…")]


def joined_rows_stay_free(take_lock, joined: list[tuple[type, int]]) -> list[str]:
    """Hold ``take_lock()`` open in a thread; return the joined rows another connection could NOT lock."""
    locked, done = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def holder() -> None:
        try:
            with transaction.atomic():
                take_lock()
                locked.set()
                done.wait(timeout=30)
        except BaseException as exc:  # pragma: no cover - reported below
            failure.append(exc)
            locked.set()
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    blocked = []
    try:
        assert locked.wait(timeout=30)
        assert not failure, failure
        for model, pk in joined:
            try:
                with transaction.atomic():
                    model.objects.select_for_update(nowait=True).get(pk=pk)
            except Exception:  # psycopg's LockNotAvailable as django.db.DatabaseError
                blocked.append(model.__name__)
    finally:
        done.set()
        thread.join(timeout=30)
    return blocked


def test_working_a_callback_ticket_locks_only_the_ticket():
    from buergerkontakt.callbacks import services
    from tests.callbacks.builders import MONDAY_10, build_office

    office = build_office()
    ticket = services.create_ticket(office.org.authority, caller_name="Erika", phone="0151 23456789",
                                    topic="Bescheid", now=MONDAY_10)
    assert joined_rows_stay_free(lambda: services._locked(ticket),
                                 [(Team, ticket.team_id), (Authority, ticket.authority_id)]) == []


def test_calling_a_walk_in_ticket_locks_only_the_ticket(org):
    from buergerkontakt.walkin import services
    from buergerkontakt.walkin.models import Queue
    from tests.walkin.builders import make_queue

    queue = make_queue(org.location)
    ticket = services.issue_ticket(queue)
    assert joined_rows_stay_free(lambda: services._locked(ticket), [(Queue, queue.pk)]) == []


def test_assigning_an_appointment_locks_only_the_appointment():
    import time_machine

    from buergerkontakt.appointments import staff_services
    from tests.appointments.builders import build_office
    from tests.appointments.test_staff_services import NINE, NOW, internal

    office = build_office(counters=2, online_quota=1, max_active_per_person=1)
    office.short.teams.add(office.org.team)
    with time_machine.travel(NOW, tick=False):
        booked = internal(office, NINE)
        org = office.org
        assert joined_rows_stay_free(
            lambda: staff_services.assign_staff(booked, org.users["caseworker"], by=org.users["teamlead"]),
            [(Location, booked.location_id)]) == []
