"""The PBX sends the same call's events at once (retries, several servers): threads with their own
database connections race; one call row, each event applied once, the same result in any order.
Small variant on any database; 40 threads when ``DATABASE_URL`` points at PostgreSQL."""

from __future__ import annotations

import os
import random

import pytest

from buergerkontakt.telephony import services
from buergerkontakt.telephony.adapters import ANSWER, HANGUP, NEW, Event
from buergerkontakt.telephony.models import Call, Outcome
from tests.appointments.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")

BASE = {"direction": "in", "caller": "4915123456789", "callee": "496912340"}


def events(call_id: str, copies: int) -> list[Event]:
    kinds = [Event(NEW, call_id, **BASE), Event(ANSWER, call_id, answering=("42",), **BASE),
             Event(HANGUP, call_id, cause="normalClearing", outcome=Outcome.ANSWERED, **BASE)]
    sent = [event for event in kinds for _ in range(copies)]
    random.Random(7).shuffle(sent)
    return sent


def _race(office, copies: int) -> None:
    authority = office.org.authority
    sent = events("race-1", copies)
    results = race([lambda e=e: services.record_event(authority, e) for e in sent])
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    applied = [new for _call, new in results]
    assert sum(applied) == 3  # each event once
    call = Call.objects.get()
    assert sorted(call.events) == sorted([NEW, ANSWER, HANGUP])
    assert call.answered and call.outcome == Outcome.ANSWERED and call.agent == office.org.users["agent"]
    assert call.started_at <= call.answered_at <= call.ended_at and call.team == office.org.team


def test_same_call_events_at_once(office):
    _race(office, copies=3)


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgres://…")
def test_same_call_events_at_once_postgres(office):
    _race(office, copies=13)


@pytest.mark.parametrize("order", [(NEW, ANSWER, HANGUP), (ANSWER, HANGUP, NEW), (HANGUP, ANSWER, NEW)])
def test_a_hang_up_stamped_before_the_answer_it_raced_still_ends_after_it(office, order):
    """Each request takes its time before it waits for the call's lock: the hang-up's request may
    have read the clock a moment before the answer's, yet get the lock after it (seen on
    PostgreSQL with 40 threads). The call still answers before it ends."""
    from datetime import timedelta

    from django.utils import timezone

    authority = office.org.authority
    t0 = timezone.now()
    stamped = {NEW: t0, ANSWER: t0 + timedelta(seconds=5), HANGUP: t0 + timedelta(seconds=3)}
    by_kind = {event.kind: event for event in events("race-2", 1)}
    for kind in order:
        services.record_event(authority, by_kind[kind], now=stamped[kind])
    call = Call.objects.get(call_id="race-2")
    assert call.started_at <= call.answered_at <= call.ended_at
    assert call.duration >= 0
