"""Reads shared by pages, consumers and pushes: display state, a ticket's position, who may work where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buergerkontakt.core.calendar import local_zone
from buergerkontakt.core.models import Location, Role, Room, User
from buergerkontakt.core.permissions import locations_q

from . import ordering
from .hours import walk_in_hours
from .models import CallEvent, Desk, Queue, Screen, Ticket
from .services import local_day

Status = Ticket.Status
# Reception (issue, check in, emergencies) and calling: everybody who serves citizens.
QUEUE_ROLES = (Role.AGENT, Role.CASEWORKER, Role.TEAMLEAD, Role.ADMIN)
RECENT_SERVICE_TICKETS = 20
ACTIVE_DESK_WINDOW = timedelta(minutes=60)


def locations_for(user: User) -> QuerySet[Location]:
    """Locations where the user may issue and call tickets (deny by default)."""
    return Location.objects.filter(locations_q(user, *QUEUE_ROLES), queues__isnull=False).distinct() \
        .order_by("name")


def may_work_at(user: User, location: Location) -> bool:
    return locations_for(user).filter(pk=location.pk).exists()


def room_label(room: Room | None) -> str:
    if room is None:
        return ""
    if room.name and room.kind == Room.Kind.COUNTER:
        return room.name
    if room.kind == Room.Kind.COUNTER or not room.number[:1].isdigit():
        return room.number
    return _("Raum %(number)s") % {"number": room.number}


def display_state(location_id: int, *, limit: int = 6, now: datetime | None = None) -> dict:
    """What a display shows: today's calls, newest first, one line per ticket (JSON-ready)."""
    now = now or timezone.now()
    events = (CallEvent.objects
              .filter(ticket__queue__location_id=location_id, ticket__day=local_day(now),
                      kind__in=(CallEvent.Kind.CALLED, CallEvent.Kind.RECALLED))
              .select_related("ticket__queue", "room", "room__floor").order_by("-at", "-pk")[:limit * 8])
    calls, seen = [], set()
    for event in events:
        if event.ticket_id in seen:
            continue
        seen.add(event.ticket_id)
        calls.append({
            "id": event.pk,
            "ticket": event.ticket.label,
            "room": room_label(event.room),
            "floor": event.room.floor.name if event.room else "",
            "at": event.at.astimezone(local_zone()).strftime("%H:%M"),
            "waiting": event.ticket.status == Status.CALLED,
        })
        if len(calls) == limit:
            break
    return {"calls": calls}


def waiting_tickets(queue_ids, now: datetime) -> list[Ticket]:
    return list(Ticket.objects.filter(queue_id__in=list(queue_ids), status=Status.WAITING, day=local_day(now))
                .select_related("queue"))


def _leads(tickets) -> dict[int, timedelta]:
    return {t.queue_id: timedelta(minutes=t.queue.appointment_lead_minutes) for t in tickets}


def ordered_waiting(queue_ids, now: datetime) -> list[Ticket]:
    tickets = waiting_tickets(queue_ids, now)
    return ordering.ordered(tickets, now, _leads(tickets))


def mean_service_seconds(queue: Queue, now: datetime) -> float:
    recent = (Ticket.objects.filter(queue=queue, status=Status.DONE, service_seconds__isnull=False,
                                    finished_at__gte=now - timedelta(days=14))
              .order_by("-finished_at").values_list("pk", flat=True)[:RECENT_SERVICE_TICKETS])
    mean = Ticket.objects.filter(pk__in=list(recent)).aggregate(m=Avg("service_seconds"))["m"]
    return float(mean) if mean else queue.default_service_minutes * 60.0


def serving_desks(queue: Queue, now: datetime) -> int:
    """Desks that called a ticket of this queue in the last hour (at least one)."""
    active = (CallEvent.objects.filter(ticket__queue=queue, kind=CallEvent.Kind.CALLED,
                                       at__gte=now - ACTIVE_DESK_WINDOW)
              .values("user_id").distinct().count())
    return max(1, active)


@dataclass
class TicketState:
    ticket: Ticket
    ahead: int | None = None
    minutes: int | None = None
    soon: bool = False
    room: str = ""
    expired: bool = False

    @property
    def status(self) -> str:
        return self.ticket.status


def ticket_state(ticket: Ticket, now: datetime | None = None) -> TicketState:
    now = now or timezone.now()
    state = TicketState(ticket, expired=ticket.day != local_day(now))
    if ticket.status == Status.WAITING and not state.expired:
        line = ordered_waiting([ticket.queue_id], now)
        ahead = next((i for i, t in enumerate(line) if t.pk == ticket.pk), len(line))
        guess = ordering.estimate(ahead, mean_service_seconds=mean_service_seconds(ticket.queue, now),
                                  desks=serving_desks(ticket.queue, now),
                                  soon_when_ahead=ticket.queue.soon_when_ahead)
        state.ahead, state.minutes, state.soon = guess.ahead, guess.minutes, guess.soon
    elif ticket.status in Ticket.ACTIVE:
        state.room = room_label(ticket.room)
    return state


def location_overview(location: Location, now: datetime | None = None) -> list[dict]:
    """Per queue: waiting count, next numbers, oldest wait (reception and desks)."""
    now = now or timezone.now()
    queues = list(Queue.objects.filter(location=location, is_active=True))
    line = ordered_waiting([q.pk for q in queues], now)
    result = []
    for queue in queues:
        mine = [t for t in line if t.queue_id == queue.pk]
        result.append({
            "queue": queue,
            "waiting": len(mine),
            "next": mine[:5],
            "longest_minutes": max((int((now - t.queued_at).total_seconds() // 60) for t in mine),
                                   default=None),
        })
    return result


def todays_tickets(location: Location, now: datetime | None = None) -> QuerySet[Ticket]:
    now = now or timezone.now()
    return (Ticket.objects.filter(queue__location=location, day=local_day(now))
            .select_related("queue", "room", "handler", "appointment").order_by("-issued_at"))


def screen_by_key(key: str, kind: str) -> Screen | None:
    return (Screen.objects.filter(key=key, kind=kind, is_active=True).select_related("location").first()
            if key else None)


def desks_at(location: Location) -> QuerySet[Desk]:
    return Desk.objects.filter(location=location).select_related("user", "room")


def walk_in_closed(location: Location, now: datetime | None = None) -> list[dict]:
    """The location's walk-in queues that give out no numbers right now, with the next time."""
    now = now or timezone.now()
    closed = []
    queues = Queue.objects.filter(location=location, is_active=True, walk_in=True).select_related("location")
    for queue in queues:
        hours = walk_in_hours(queue, now)
        if not hours.open:
            closed.append({"queue": queue, "text": hours.closed_text})
    return closed


def open_tickets_at(location: Location, now: datetime) -> list[str]:
    """For ``core.retirement``: today's open tickets at the location refuse its removal."""
    count = todays_tickets(location, now).filter(status__in=Ticket.OPEN).count()
    if not count:
        return []
    return [ngettext("%(count)d Wartenummer von heute ist noch offen.",
                     "%(count)d Wartenummern von heute sind noch offen.", count) % {"count": count}]
