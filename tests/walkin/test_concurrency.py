"""Desks racing for tickets, reception racing for numbers: every ticket is called once, every
number given once. The many-thread variants run on PostgreSQL (``DATABASE_URL``); the two-thread
ones on whatever database the suite uses."""

from __future__ import annotations

import pytest

from buergerkontakt.core.models import Role
from buergerkontakt.walkin import services
from buergerkontakt.walkin.models import CallEvent, Ticket
from buergerkontakt.walkin.services import QueueError
from tests.appointments.test_concurrency import ON_POSTGRES, race
from tests.factories import make_user

from .builders import make_counter, make_queue

pytestmark = pytest.mark.django_db(transaction=True)
on_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgres://…")


def _desks(org, queue, count: int):
    users = []
    for i in range(count):
        user = make_user(f"schalter{i}", org.authority, Role.CASEWORKER, scope=org.team)
        services.set_desk(user, org.location, make_counter(org.location, f"S{i}"), [queue])
        users.append(user)
    return users


def _desks_race(org, desks: int, tickets: int) -> None:
    queue = make_queue(org.location)
    waiting = [services.issue_ticket(queue) for _ in range(tickets)]
    users = _desks(org, queue, desks)
    results = race([lambda u=u: services.call_next(u, org.location) for u in users])
    assert not [r for r in results if isinstance(r, Exception)], results
    called = [r.pk for r in results if r is not None]
    assert len(called) == len(set(called)) == min(desks, tickets)
    # The oldest tickets went first, each to one desk, each recorded once.
    assert set(called) == {t.pk for t in waiting[:desks]}
    assert Ticket.objects.filter(status=Ticket.Status.CALLED).count() == len(called)
    assert CallEvent.objects.filter(kind="called").count() == len(called)
    handlers = list(Ticket.objects.filter(status=Ticket.Status.CALLED).values_list("handler_id", flat=True))
    assert len(handlers) == len(set(handlers))


def _double_click_race(org, clicks: int) -> None:
    queue = make_queue(org.location)
    for _ in range(clicks + 1):
        services.issue_ticket(queue)
    (user,) = _desks(org, queue, 1)
    results = race([lambda: services.call_next(user, org.location) for _ in range(clicks)])
    won = [r for r in results if isinstance(r, Ticket)]
    refused = [r for r in results if isinstance(r, QueueError)]
    assert len(won) == 1 and len(refused) == clicks - 1, results
    assert all("noch die Nummer" in r.message or "erneut" in r.message for r in refused)
    assert Ticket.objects.filter(status=Ticket.Status.CALLED).count() == 1


def _numbering_race(org, threads: int) -> None:
    queue = make_queue(org.location)
    results = race([lambda: services.issue_ticket(queue) for _ in range(threads)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(t.number for t in results) == list(range(1, threads + 1))


def test_two_desks_race(org):
    _desks_race(org, desks=2, tickets=3)


def test_double_click_on_next(org):
    _double_click_race(org, clicks=2)


def test_two_receptions_race_for_numbers(org):
    _numbering_race(org, threads=2)


@pytest.mark.postgres
@on_postgres
def test_many_desks_race_postgres(org):
    _desks_race(org, desks=12, tickets=8)


@pytest.mark.postgres
@on_postgres
def test_many_desks_fewer_than_tickets_postgres(org):
    _desks_race(org, desks=8, tickets=20)


@pytest.mark.postgres
@on_postgres
def test_double_clicks_postgres(org):
    _double_click_race(org, clicks=6)


@pytest.mark.postgres
@on_postgres
def test_many_receptions_race_for_numbers_postgres(org):
    _numbering_race(org, threads=16)
