"""Report test data: real rows of the other apps, written directly with known times and outcomes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from buergerkontakt.alarms.models import Alarm, Delivery
from buergerkontakt.appointments.models import Appointment
from buergerkontakt.callbacks.models import Attempt, FirstContact, Outcome, Ticket
from buergerkontakt.core.models import Location, Team
from buergerkontakt.walkin.models import Queue
from buergerkontakt.walkin.models import Ticket as WalkInTicket
from tests.appointments.builders import make_group

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


_counter = iter(range(1, 1_000_000))


def appointment(location: Location, start: datetime, status: str, *, group=None, name: str = "Erika Muster"):
    group = group or make_group(location.authority, f"gruppe-{next(_counter)}")
    n = next(_counter)
    return Appointment.objects.create(
        group=group,
        location=location,
        start=start,
        end=start + timedelta(minutes=15),
        status=status,
        name=name,
        email=f"person{n}@example.org",
        capacity_released=True,
    )


def queue(location: Location, prefix: str = "A") -> Queue:
    return Queue.objects.get_or_create(
        location=location, prefix=prefix, defaults={"name": f"Schlange {prefix}"}
    )[0]


def walkin(
    q: Queue, day: date, *, wait: int | None, serve: int | None = None, status: str = WalkInTicket.Status.DONE
) -> WalkInTicket:
    moment = datetime.combine(day, datetime.min.time(), tzinfo=BERLIN) + timedelta(hours=9)
    return WalkInTicket.objects.create(
        queue=q,
        origin=q,
        prefix=q.prefix,
        day=day,
        number=next(_counter),
        status=status,
        queued_at=moment,
        issued_at=moment,
        wait_seconds=wait,
        service_seconds=serve,
    )


def callback(
    team: Team,
    created: datetime,
    due: datetime | None,
    attempts: list[datetime] = (),
    *,
    name: str = "Karl Anrufer",
    phone: str = "+4915199990000",
    channel: str = "phone",
    created_by=None,
    status: str | None = None,
) -> Ticket:
    closed = status not in (None, Ticket.Status.OPEN)
    ticket = Ticket.objects.create(
        authority=team.authority,
        team=team,
        created_at=created,
        due_at=due,
        caller_name=name,
        phone=phone,
        email="karl@example.org",
        topic="Frage",
        attempts_made=len(attempts),
        channel=channel,
        created_by=created_by,
        status=status or Ticket.Status.OPEN,
        closed_at=attempts[-1] if closed and attempts else (created if closed else None),
    )
    for number, at in enumerate(attempts, start=1):
        Attempt.objects.create(ticket=ticket, number=number, at=at, outcome=Outcome.NOT_REACHED)
    return ticket


def first_contact(authority, at: datetime, agent=None) -> FirstContact:
    return FirstContact.objects.create(authority=authority, at=at, agent=agent, topic="Auskunft")


def alarm(
    location: Location, room, raised_by, raised: datetime, *, drill: bool, deliveries: list[tuple] = ()
) -> Alarm:
    """``deliveries``: (user, latency ms or None, response seconds or None)."""
    obj = Alarm.objects.create(
        authority=location.authority,
        location=location,
        room=room,
        raised_by=raised_by,
        raised_at=raised,
        is_drill=drill,
        status=Alarm.Status.RESOLVED,
    )
    for user, latency, response in deliveries:
        Delivery.objects.create(
            alarm=obj,
            user=user,
            role=Delivery.Role.NEIGHBOUR,
            sent_at=raised,
            received_at=raised + timedelta(milliseconds=latency) if latency is not None else None,
            latency_ms=latency,
            response=Delivery.Response.COMING if response else "",
            responded_at=raised + timedelta(seconds=response) if response else None,
        )
    return obj
