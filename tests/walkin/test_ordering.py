"""Queue ordering rules, table-driven: emergencies, handovers, appointments and walk-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from buergerkontakt.walkin import ordering

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LEAD = timedelta(minutes=5)


@dataclass
class T:
    """A waiting ticket as the ordering sees it; ``name`` is only for readable tables."""

    name: str
    kind: str = "walk_in"
    queued: int = 0  # minutes before NOW
    appointment: int | None = None  # appointment start, minutes after NOW (negative: past)
    handovers: int = 0
    reserved_for_id: int | None = None
    reserved_room_id: int | None = None
    queue_id: int = 1
    pk: int = 0

    @property
    def queued_at(self):
        return NOW - timedelta(minutes=self.queued)

    @property
    def appointment_start(self):
        return None if self.appointment is None else NOW + timedelta(minutes=self.appointment)


def order(*tickets: T) -> list[str]:
    for pk, ticket in enumerate(tickets, start=1):
        ticket.pk = pk
    return [t.name for t in ordering.ordered(tickets, NOW, {1: LEAD, 2: timedelta()})]


CASES = [
    ("walk-ins first come, first served",
     [T("late", queued=1), T("early", queued=30), T("middle", queued=10)],
     ["early", "middle", "late"]),
    ("an emergency jumps every queue, even due appointments",
     [T("walk", queued=40), T("appt", kind="appointment", queued=20, appointment=-2),
      T("notfall", kind="emergency", queued=0)],
     ["notfall", "appt", "walk"]),
    ("two emergencies in the order they came",
     [T("n2", kind="emergency", queued=1), T("n1", kind="emergency", queued=3)],
     ["n1", "n2"]),
    ("an appointment whose time has come goes before walk-ins who came earlier",
     [T("walk", queued=45), T("appt", kind="appointment", queued=10, appointment=0)],
     ["appt", "walk"]),
    ("the lead time: due 5 minutes before the start",
     [T("walk", queued=45), T("appt", kind="appointment", queued=10, appointment=5)],
     ["appt", "walk"]),
    ("an early appointment holder waits until their time while walk-ins are there",
     [T("appt", kind="appointment", queued=30, appointment=6), T("walk", queued=2)],
     ["walk", "appt"]),
    ("…but is called early when nobody else waits",
     [T("appt", kind="appointment", queued=30, appointment=40)],
     ["appt"]),
    ("due appointments by appointment time, not by arrival",
     [T("nine", kind="appointment", queued=5, appointment=0),
      T("eight50", kind="appointment", queued=1, appointment=-10)],
     ["eight50", "nine"]),
    ("late appointment holders (checked in within tolerance) are due at once",
     [T("walk", queued=50), T("late", kind="appointment", queued=0, appointment=-12)],
     ["late", "walk"]),
    ("a handed-over ticket comes before appointments and walk-ins",
     [T("walk", queued=50), T("appt", kind="appointment", queued=20, appointment=-1),
      T("handed", queued=1, handovers=1)],
     ["handed", "appt", "walk"]),
    ("an emergency still beats a handover",
     [T("handed", queued=30, handovers=1), T("notfall", kind="emergency", queued=0)],
     ["notfall", "handed"]),
    ("a re-queued late appointment (no appointment time any more) waits like a walk-in",
     [T("requeued", kind="appointment", queued=1, appointment=None), T("walk", queued=5)],
     ["walk", "requeued"]),
    ("lead time is per queue: queue 2 has none",
     [T("walk", queued=45, queue_id=2), T("appt", kind="appointment", queued=10, appointment=3, queue_id=2)],
     ["walk", "appt"]),
    ("full mix",
     [T("w1", queued=30), T("early", kind="appointment", queued=25, appointment=30),
      T("due", kind="appointment", queued=15, appointment=-1), T("n", kind="emergency", queued=2),
      T("h", queued=3, handovers=2), T("w2", queued=20)],
     ["n", "h", "due", "w1", "w2", "early"]),
]


@pytest.mark.parametrize(("case", "tickets", "expected"), CASES, ids=[c[0] for c in CASES])
def test_calling_order(case, tickets, expected):
    assert order(*tickets) == expected


DESK_CASES = [
    ("reserved for somebody else is skipped",
     [T("mine", queued=1), T("theirs", queued=30, reserved_for_id=2)], {"user_id": 1, "room_id": 10},
     ["mine"]),
    ("reserved for me is mine",
     [T("walk", queued=30), T("mine", kind="appointment", queued=1, appointment=0, reserved_for_id=1)],
     {"user_id": 1, "room_id": 10}, ["mine", "walk"]),
    ("handed over to another room is skipped",
     [T("walk", queued=30), T("room11", queued=1, handovers=1, reserved_room_id=11)],
     {"user_id": 1, "room_id": 10}, ["walk"]),
    ("handed over to my room comes first",
     [T("walk", queued=30), T("room10", queued=1, handovers=1, reserved_room_id=10)],
     {"user_id": 1, "room_id": 10}, ["room10", "walk"]),
    ("other queues are not served by this desk",
     [T("q1", queued=1), T("q2", queued=30, queue_id=2)], {"user_id": 1, "room_id": 10}, ["q1"]),
]


@pytest.mark.parametrize(("case", "tickets", "desk", "expected"), DESK_CASES, ids=[c[0] for c in DESK_CASES])
def test_what_a_desk_may_call(case, tickets, desk, expected):
    for pk, ticket in enumerate(tickets, start=1):
        ticket.pk = pk
    result = ordering.next_for_desk(tickets, NOW, {1: LEAD, 2: LEAD}, queue_ids={1}, **desk)
    assert [t.name for t in result] == expected


@pytest.mark.parametrize(("ahead", "mean", "desks", "soon_when", "minutes", "soon"), [
    (0, 600, 1, 2, 0, True),
    (1, 600, 1, 2, 10, True),
    (2, 600, 1, 2, 20, False),
    (5, 600, 2, 2, 25, False),   # 5 × 10 min / 2 desks = 25
    (3, 420, 2, 2, 15, False),   # 10.5 min → rounded up to 15
    (1, 60, 3, 0, 5, False),     # never less than 5 minutes while somebody is ahead
    (4, 600, 0, 1, 40, False),   # no active desk counted: assume one
])
def test_wait_estimate(ahead, mean, desks, soon_when, minutes, soon):
    guess = ordering.estimate(ahead, mean_service_seconds=mean, desks=desks, soon_when_ahead=soon_when)
    assert (guess.ahead, guess.minutes, guess.soon) == (ahead, minutes, soon)
