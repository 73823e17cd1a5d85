"""Reads of the telephony pages, the screen pop and the sockets (filtered by permission).

Who sees the caller log and the missed calls: agents (Servicecenter) and administrators of the
authority, team leads for their teams' calls. Who gets screen pops: every staff member the PBX
names; calls without a named person pop for the authority's agents and administrators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from buergerkontakt.appointments.models import Appointment
from buergerkontakt.callbacks import phones
from buergerkontakt.callbacks.models import Ticket
from buergerkontakt.core.models import Role
from buergerkontakt.core.permissions import authority_ids_for, team_ids_for

from .models import UNANSWERED, Call, Direction

PHONE_CENTRE_ROLES = (Role.AGENT, Role.ADMIN)
LOG_ROLES = (Role.AGENT, Role.ADMIN, Role.TEAMLEAD)
DIAL_ROLES = (Role.AGENT, Role.ADMIN, Role.CASEWORKER, Role.TEAMLEAD)
POP_SECONDS = 120  # a ringing call older than this is not shown again on reconnect
UPCOMING = (Appointment.Status.CONFIRMED, Appointment.Status.PENDING_CONFIRMATION)


def visible_calls(user) -> QuerySet[Call]:
    authorities = authority_ids_for(user, *PHONE_CENTRE_ROLES)
    teams = team_ids_for(user, Role.TEAMLEAD)
    return Call.objects.filter(Q(authority_id__in=authorities) | Q(team_id__in=teams))


def call_for(user, pk: int) -> Call | None:
    return visible_calls(user).select_related("team", "agent", "authority").filter(pk=pk).first()


def poppable_call(user, pk: int) -> Call | None:
    """A call whose pop ``user`` may act on (answer it as "direkt gelöst")."""
    call = Call.objects.filter(pk=pk, authority_id=user.authority_id).first()
    return call if call is not None and pops_for(user, call) else None


def pops_for(user, call: Call) -> bool:
    """Whether ``user`` may see this call's pop (named by the PBX, answered it, or phone centre)."""
    if user.pk in (call.agents or []) or call.agent_id == user.pk:
        return True
    return call.authority_id in authority_ids_for(user, *PHONE_CENTRE_ROLES)


def ringing_for(user, now: datetime | None = None) -> list[Call]:
    """Calls ringing now that concern ``user`` (shown again when the socket reconnects)."""
    moment = now or timezone.now()
    recent = (Call.objects.filter(direction=Direction.IN, ended_at__isnull=True, answered=False,
                                  started_at__gte=moment - timedelta(seconds=POP_SECONDS))
              .filter(authority_id=user.authority_id)
              .select_related("team", "agent"))
    return [call for call in recent if pops_for(user, call) and (not call.agents or user.pk in call.agents)]


@dataclass
class CallerContext:
    number_display: str
    tickets: list = field(default_factory=list)
    appointments: list = field(default_factory=list)
    last_call: Call | None = None
    calls_today: int = 0
    name: str = ""


def caller_context(call: Call, now: datetime | None = None) -> dict:
    """What we know about the caller: open callback tickets, upcoming appointments, last contact."""
    moment = now or timezone.now()
    context = CallerContext(number_display=phones.display(call.number) if call.number else "")
    if call.number:
        tickets = list(Ticket.objects.filter(authority_id=call.authority_id, phone=call.number)
                       .select_related("team").order_by("-created_at")[:5])
        context.tickets = [t for t in tickets if t.is_open]
        context.name = tickets[0].caller_name if tickets else ""
        context.appointments = list(
            Appointment.objects.filter(location__authority_id=call.authority_id, start__gte=moment,
                                       status__in=UPCOMING)
            .filter(Q(phone=call.number) | Q(person_key=call.number))
            .select_related("location").order_by("start")[:3])
        if not context.name and context.appointments:
            context.name = context.appointments[0].name
        context.last_call = (Call.objects.filter(authority_id=call.authority_id, number=call.number,
                                                 started_at__lt=call.started_at)
                             .select_related("agent").order_by("-started_at").first())
        start = timezone.localtime(call.started_at).replace(hour=0, minute=0, second=0, microsecond=0)
        context.calls_today = Call.objects.filter(authority_id=call.authority_id, number=call.number,
                                                  started_at__gte=start).count()
    return {"who": context}


@dataclass
class MissedGroup:
    """A number's missed calls of one Berlin day (repeat callers are one line)."""

    number: str
    number_display: str
    calls: list[Call]
    day: object

    @property
    def first(self) -> Call:
        return self.calls[0]

    @property
    def last(self) -> Call:
        return self.calls[-1]

    @property
    def count(self) -> int:
        return len(self.calls)

    @property
    def abandoned(self) -> int:
        return sum(1 for c in self.calls if c.outcome == "abandoned")


def missed_groups(user, *, since: datetime) -> list[MissedGroup]:
    """Missed and abandoned inbound calls without a ticket, grouped by number and Berlin day,
    newest group first. Withheld numbers are one group per call (nobody can call them back)."""
    calls = (visible_calls(user).filter(direction=Direction.IN, outcome__in=UNANSWERED, ticket_number="",
                                        started_at__gte=since)
             .select_related("team").order_by("started_at", "pk"))
    groups: dict[tuple, MissedGroup] = {}
    for call in calls:
        day = timezone.localtime(call.started_at).date()
        key = (call.number or f"#{call.pk}", day)
        if key not in groups:
            display = phones.display(call.number) if call.number else ""
            groups[key] = MissedGroup(call.number, display, [], day)
        groups[key].calls.append(call)
    return sorted(groups.values(), key=lambda g: g.last.started_at, reverse=True)


def missed_outside_hours(user, *, since: datetime) -> int:
    return visible_calls(user).filter(direction=Direction.IN, outcome__in=UNANSWERED,
                                      started_at__gte=since, outside_hours=True).count()


def recent_calls(user, *, since: datetime) -> QuerySet[Call]:
    return (visible_calls(user).filter(started_at__gte=since)
            .select_related("team", "agent").order_by("-started_at", "-pk"))
