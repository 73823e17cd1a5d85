"""Who is next: the queue's ordering rules as pure functions (table-tested in tests/walkin).

Order of the waiting tickets of a queue at a moment ``now``:

1. emergencies (Notfall), by the time they were queued;
2. tickets handed over from another counter, by the time of the handover (they have waited once);
3. appointment holders whose time has come (``appointment_lead_minutes`` before the start, or
   late), by appointment time;
4. walk-ins (and re-queued tickets), by the time they were queued;
5. appointment holders who checked in early, by appointment time — they are only called before
   their time when nobody else is waiting.

A desk may call a ticket only if it serves the ticket's queue and the ticket is not reserved for
another person or room (appointments with a fixed case worker, handovers to one room).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from math import ceil
from typing import Protocol


class Rank(IntEnum):
    EMERGENCY = 0
    HANDOVER = 1
    DUE_APPOINTMENT = 2
    WALK_IN = 3
    EARLY_APPOINTMENT = 4


class Waiting(Protocol):
    pk: int
    kind: str
    queue_id: int
    queued_at: datetime
    appointment_start: datetime | None
    handovers: int
    reserved_for_id: int | None
    reserved_room_id: int | None


def rank(ticket: Waiting, now: datetime, lead: timedelta) -> Rank:
    if ticket.kind == "emergency":
        return Rank.EMERGENCY
    if ticket.handovers:
        return Rank.HANDOVER
    if ticket.kind == "appointment" and ticket.appointment_start is not None:
        return Rank.DUE_APPOINTMENT if ticket.appointment_start - lead <= now else Rank.EARLY_APPOINTMENT
    return Rank.WALK_IN


def sort_key(ticket: Waiting, now: datetime, lead: timedelta) -> tuple:
    r = rank(ticket, now, lead)
    moment = (ticket.appointment_start
              if r in (Rank.DUE_APPOINTMENT, Rank.EARLY_APPOINTMENT) else ticket.queued_at)
    return (r, moment, ticket.pk)


def ordered(tickets: Iterable[Waiting], now: datetime, leads: dict[int, timedelta]) -> list:
    """The waiting tickets in calling order; ``leads`` maps queue id → appointment lead time."""
    return sorted(tickets, key=lambda t: sort_key(t, now, leads.get(t.queue_id, timedelta())))


def callable_by(ticket: Waiting, *, user_id: int, room_id: int) -> bool:
    if ticket.reserved_for_id is not None and ticket.reserved_for_id != user_id:
        return False
    return ticket.reserved_room_id is None or ticket.reserved_room_id == room_id


def next_for_desk(tickets: Sequence[Waiting], now: datetime, leads: dict[int, timedelta], *,
                  user_id: int, room_id: int, queue_ids: set[int]) -> list:
    """The tickets this desk could call, best first."""
    return [t for t in ordered(tickets, now, leads)
            if t.queue_id in queue_ids and callable_by(t, user_id=user_id, room_id=room_id)]


@dataclass(frozen=True)
class Estimate:
    ahead: int
    minutes: int
    soon: bool


def estimate(ahead: int, *, mean_service_seconds: float, desks: int, soon_when_ahead: int) -> Estimate:
    """Expected wait: the people ahead, served by ``desks`` in parallel at the recent mean service
    time, rounded up to 5 minutes (a range is more honest than a to-the-minute promise)."""
    soon = ahead < soon_when_ahead if soon_when_ahead else ahead == 0
    seconds = ahead * mean_service_seconds / max(1, desks)
    minutes = 0 if ahead == 0 else max(5, ceil(seconds / 300) * 5)
    return Estimate(ahead, minutes, soon)
