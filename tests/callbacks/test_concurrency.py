"""Agents racing on one callback ticket (issue 24 item 1): every attempt is counted once, numbered
without gaps or twins, and the ticket closes exactly once – however many agents press at the same
moment. The many-thread variants run on PostgreSQL (``DATABASE_URL``), where ``select_for_update``
really serialises; the two-thread ones on whatever database the suite uses."""

from __future__ import annotations

import pytest

from buergerkontakt.callbacks import services
from buergerkontakt.callbacks.exceptions import TicketClosed
from buergerkontakt.callbacks.models import Attempt, Outcome, Ticket, TicketEvent
from tests.appointments.test_concurrency import ON_POSTGRES, race

from .builders import MONDAY_10, at, build_office

pytestmark = pytest.mark.django_db(transaction=True)
on_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgres://…")


@pytest.fixture
def ticket(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    office = build_office()
    return office, services.create_ticket(
        office.org.authority, caller_name="Erika Ärger", phone="0151 23456789", topic="Frage",
        by=office.org.users["agent"], now=MONDAY_10)


def _attempts_race(office, ticket, agents: int) -> None:
    """``agents`` people log "nicht erreicht" at once: the policy allows three attempts."""
    worker = office.org.users["caseworker"]
    moment = at(2026, 6, 8, 10, 5)
    results = race([lambda: services.log_attempt(ticket, Outcome.NOT_REACHED, by=worker, now=moment)
                    for _ in range(agents)])
    logged = [r for r in results if isinstance(r, Attempt)]
    refused = [r for r in results if isinstance(r, TicketClosed)]
    assert len(logged) + len(refused) == agents, results
    stored = list(Attempt.objects.filter(ticket=ticket).order_by("number").values_list("number", flat=True))
    assert stored == list(range(1, len(logged) + 1)) == sorted(a.number for a in logged)
    ticket.refresh_from_db()
    assert ticket.attempts_made == len(stored) == min(agents, 3)
    if agents >= 3:
        assert ticket.status == Ticket.Status.UNREACHABLE
        assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.NOTICE).count() == 1


def _reached_race(office, ticket, agents: int) -> None:
    """Several agents mark the same caller reached: one closes it, the others are told it is closed."""
    worker = office.org.users["caseworker"]
    results = race([lambda: services.log_attempt(ticket, Outcome.REACHED_SOLVED, by=worker, now=MONDAY_10)
                    for _ in range(agents)])
    assert sum(isinstance(r, Attempt) for r in results) == 1, results
    assert sum(isinstance(r, TicketClosed) for r in results) == agents - 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and ticket.attempts_made == 1


def test_two_agents_log_attempts_at_once(ticket):
    _attempts_race(*ticket, agents=2)


def test_two_agents_mark_reached_at_once(ticket):
    _reached_race(*ticket, agents=2)


@pytest.mark.postgres
@on_postgres
def test_twenty_agents_log_attempts_at_once_postgres(ticket):
    _attempts_race(*ticket, agents=20)


@pytest.mark.postgres
@on_postgres
def test_twenty_agents_mark_reached_at_once_postgres(ticket):
    _reached_race(*ticket, agents=20)
