"""A few months of history for the demo offices, so every chart of the reports shows something.

Before today (``HISTORY_DAYS`` working days back): appointments with cancellations and no-shows,
walk-in tickets with wait and service times, callback tickets with attempts and deadlines met or
missed, calls solved at first contact, and silent alarms (real ones and monthly drills) with
deliveries and responses. The citizens are invented ("Demo-Kundin 17"); no real person's data.

Deterministic (one seeded random generator per part, relative to today) and idempotent: each
part continues after the last day its marker rows cover, so a demo database loaded again days or
weeks later gets the days in between (and nothing twice). Every day is the Berlin day. Fast: rows
are written with ``bulk_create`` (about 10,000 rows, well under two seconds on SQLite).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db.models import Max
from django.utils import timezone

from buergerkontakt.core.calendar import public_holidays
from buergerkontakt.core.models import Authority, Location, Role, Team, User
from buergerkontakt.reports.kpis import local_tz

HISTORY_DAYS = 84
MARKER = "demo-history"
TICKET_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _rng(part: str) -> random.Random:
    return random.Random(f"buergerkontakt-reports-{part}")  # noqa: S311 (reproducible demo data)


def _working_days(location: Location, today: date, after: date | None = None) -> list[date]:
    """Working days of the history window before ``today``, only those after ``after`` if given."""
    holidays = public_holidays(location.holiday_region)
    days = []
    for offset in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=offset)
        if day.weekday() < 5 and day not in holidays and (after is None or day > after):
            days.append(day)
    return days


def _local_day(moment: datetime | None) -> date | None:
    return moment.astimezone(local_tz()).date() if moment is not None else None


def _part_rng(part: str, after: date | None) -> random.Random:
    """The part's generator; a continuation gets its own seed (from the day it continues after)."""
    return _rng(part if after is None else f"{part}-{after.isoformat()}")


def _at(day: date, minute_of_day: int) -> datetime:
    return datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60), tzinfo=local_tz())


def _citizen(n: int) -> str:
    return f"Demo-Kundin {n}" if n % 2 else f"Demo-Kunde {n}"


# --- appointments -----------------------------------------------------------------------------
def _appointments(today: date) -> None:
    from buergerkontakt.appointments.models import Appointment, AppointmentService, Quota, Schedule

    history = Appointment.objects.filter(idempotency_key__startswith=MARKER)
    after = _local_day(history.aggregate(last=Max("start"))["last"])
    rng = _part_rng("appointments", after)
    status = Appointment.Status
    made: list[Appointment] = []
    chosen: list = []
    codes = set(Appointment.objects.values_list("code", flat=True))
    schedules = (
        Schedule.objects.filter(weekday__isnull=False, same_day_only=False)
        .select_related("group", "location")
        .prefetch_related("group__services")
        .order_by("group_id", "location_id", "weekday", "start")
    )
    n = 0
    for schedule in schedules:
        services = list(schedule.group.services.all())
        if not services:
            continue
        unit = schedule.group.slot_minutes
        first = schedule.start.hour * 60 + schedule.start.minute
        last = schedule.end.hour * 60 + schedule.end.minute
        for day in _working_days(schedule.location, today, after):
            if day.weekday() != schedule.weekday:
                continue
            for index in range(rng.randint(3, 4 + schedule.counters * 3)):
                service = rng.choice(services)
                length = max(unit, -(-service.duration_minutes // unit) * unit)
                if last - length < first:
                    continue
                start_minute = first + rng.randrange(0, (last - length - first) // unit + 1) * unit
                start = _at(day, start_minute)
                draw = rng.random()
                # Mondays and the last weeks see more no-shows; about one in eight is cancelled.
                no_show_share = 0.06 + (0.05 if day.weekday() == 0 else 0) + rng.random() * 0.03
                if draw < 0.13:
                    state, cancelled_at = status.CANCELLED, start - timedelta(hours=rng.randint(2, 96))
                elif draw < 0.13 + no_show_share:
                    state, cancelled_at = status.NO_SHOW, None
                else:
                    state, cancelled_at = status.COMPLETED, None
                n += 1
                code = ""
                while not code or code in codes:
                    code = "".join(rng.choice(TICKET_ALPHABET) for _ in range(8))
                codes.add(code)
                made.append(
                    Appointment(
                        code=code,
                        status=state,
                        group=schedule.group,
                        location=schedule.location,
                        start=start,
                        end=start + timedelta(minutes=length),
                        quota=Quota.ONLINE if rng.random() < 0.7 else Quota.INTERNAL,
                        name=_citizen(n),
                        email=f"demo-kunde-{n}@example.org",
                        person_key=f"demo-kunde-{n}@example.org",
                        capacity_released=True,
                        idempotency_key=f"{MARKER}:{schedule.pk}:{day.isoformat()}:{index}",
                        confirmed_at=start - timedelta(days=rng.randint(1, 20)),
                        cancelled_at=cancelled_at,
                        checked_in_at=start - timedelta(minutes=rng.randint(2, 15))
                        if state == status.COMPLETED
                        else None,
                        reminder_sent_at=start - timedelta(hours=24),
                    )
                )
                chosen.append(service)
    Appointment.objects.bulk_create(made, batch_size=500)
    saved = {a.idempotency_key: a.pk for a in Appointment.objects.filter(idempotency_key__startswith=MARKER)}
    AppointmentService.objects.bulk_create(
        [
            AppointmentService(appointment_id=saved[a.idempotency_key], service=s, position=0)
            for a, s in zip(made, chosen, strict=True)
        ],
        batch_size=500,
    )


# --- walk-in ----------------------------------------------------------------------------------
def _walkin(today: date) -> None:
    from buergerkontakt.walkin.models import Queue, Ticket

    history = Ticket.objects.filter(secret__startswith=MARKER)
    after = history.aggregate(last=Max("day"))["last"]
    rng = _part_rng("walkin", after)
    made: list[Ticket] = []
    for queue in Queue.objects.filter(is_active=True).select_related("location").order_by("pk"):
        busy = 1.6 if queue.prefix == "A" else 1.0
        # Days that already have tickets of this queue (the demo's "today" of an earlier load, or
        # real use) keep theirs: their numbers are taken.
        taken = set(Ticket.objects.filter(origin=queue, day__lt=today).values_list("day", flat=True))
        for day in _working_days(queue.location, today, after):
            if day in taken:
                continue
            # Monday mornings and the days after a holiday are busiest: longer waits.
            rush = 1.5 if day.weekday() == 0 else 1.0
            count = int(rng.randint(10, 22) * busy)
            clock = 7 * 60 + 30
            for number in range(1, count + 1):
                clock += rng.randint(3, 14)
                queued = _at(day, min(clock, 13 * 60))
                draw = rng.random()
                kind = Ticket.Kind.EMERGENCY if draw < 0.02 else Ticket.Kind.WALK_IN
                wait = int(rng.triangular(60, 3600 * rush, 600 * rush))
                serve = int(rng.triangular(150, 1800, 420))
                fields = {}
                if draw > 0.95:
                    state = Ticket.Status.CANCELLED
                elif draw > 0.90:
                    state = Ticket.Status.MISSED
                    fields = {
                        "called_at": queued + timedelta(seconds=wait),
                        "call_count": 3,
                        "wait_seconds": wait,
                    }
                else:
                    state = Ticket.Status.DONE
                    called = queued + timedelta(seconds=wait)
                    fields = {
                        "called_at": called,
                        "last_called_at": called,
                        "call_count": 1,
                        "started_at": called + timedelta(seconds=40),
                        "finished_at": called + timedelta(seconds=40 + serve),
                        "wait_seconds": wait,
                        "service_seconds": serve,
                    }
                made.append(
                    Ticket(
                        queue=queue,
                        origin=queue,
                        prefix=queue.prefix,
                        day=day,
                        number=number,
                        kind=kind,
                        status=state,
                        emergency_reason="Demo: dringende Vorsprache"
                        if kind == Ticket.Kind.EMERGENCY
                        else "",
                        secret=f"{MARKER}-{queue.pk}-{day:%y%m%d}-{number}"[:32],
                        queued_at=queued,
                        issued_at=queued,
                        **fields,
                    )
                )
    Ticket.objects.bulk_create(made, batch_size=500)


# --- callbacks --------------------------------------------------------------------------------
def _callbacks(today: date) -> None:
    from buergerkontakt.callbacks import deadlines, services
    from buergerkontakt.callbacks.models import (
        Attempt,
        CallbackPolicy,
        Channel,
        FirstContact,
        Outcome,
        Ticket,
        Urgency,
    )

    history = Ticket.objects.filter(routing_note=MARKER)
    after = _local_day(history.aggregate(last=Max("created_at"))["last"])
    rng = _part_rng("callbacks", after)
    teams = list(
        Team.objects.filter(
            slug__in=["jc-leistung-1", "jc-leistung-2", "jc-markt-integration", "bb-buergerservice"]
        )
        .select_related("location")
        .order_by("pk")
    )
    agents = {
        a.authority_id: list(
            User.objects.filter(authority_id=a.authority_id, role_assignments__role=Role.AGENT).order_by("pk")
        )
        for a in teams
    }
    existing = set(Ticket.objects.values_list("number", flat=True))
    tickets: list[Ticket] = []
    attempts: list[tuple[int, list[tuple[datetime, str]]]] = []
    for team in teams:
        first_day = today - timedelta(days=HISTORY_DAYS + 1)
        calendar = services.team_calendar(team, _at(first_day, 8 * 60))
        policy = deadlines.Policy.of(CallbackPolicy.for_authority(team.authority_id))
        staff = agents.get(team.authority_id) or [None]
        # A team with a bad stretch: fewer callbacks in time in the middle of the period.
        for day in _working_days(team.location, today, after):
            weeks_ago = (today - day).days // 7
            late_share = 0.08 + (0.17 if team.slug == "jc-leistung-2" and 4 <= weeks_ago <= 6 else 0)
            for _index in range(rng.randint(1, 5)):
                created = _at(day, rng.randint(8 * 60, 15 * 60))
                urgency = rng.choices([Urgency.NORMAL, Urgency.URGENT, Urgency.EMERGENCY], [75, 20, 5])[0]
                deadline = deadlines.compute(calendar, created, urgency, policy)
                if deadline is None:
                    continue
                due = deadline.due_at
                span = max((due - created).total_seconds(), 1800)
                if rng.random() < late_share:
                    first = due + timedelta(minutes=rng.randint(20, 60 * 30))
                else:
                    first = created + timedelta(seconds=rng.uniform(0.05, 0.97) * span)
                calls = [first]
                outcomes = []
                for attempt in range(3):
                    if attempt:
                        calls.append(calls[-1] + timedelta(hours=rng.randint(2, 26)))
                    draw = rng.random()
                    if draw < 0.62:
                        outcomes.append(Outcome.REACHED_SOLVED)
                        break
                    if draw < 0.72:
                        outcomes.append(Outcome.REACHED_FOLLOWUP)
                        break
                    outcomes.append(Outcome.VOICEMAIL if draw < 0.82 else Outcome.NOT_REACHED)
                reached = outcomes[-1] in (Outcome.REACHED_SOLVED, Outcome.REACHED_FOLLOWUP)
                number = ""
                while not number or number in existing:
                    number = "R-" + "".join(rng.choice(TICKET_ALPHABET) for _ in range(7))
                existing.add(number)
                n = len(tickets) + 1
                tickets.append(
                    Ticket(
                        number=number,
                        authority_id=team.authority_id,
                        team=team,
                        routing_note=MARKER,
                        channel=Channel.ONLINE if rng.random() < 0.2 else Channel.PHONE,
                        created_by=rng.choice(staff),
                        created_at=created,
                        caller_name=_citizen(n),
                        phone=f"+49151000{n:05d}",
                        topic=rng.choice(
                            [
                                "Rückfrage Bescheid",
                                "Unterlagen nachreichen",
                                "Terminwunsch",
                                "Zahlung ausstehend",
                                "Umzug mitteilen",
                            ]
                        ),
                        urgency=urgency,
                        status=Ticket.Status.SOLVED if reached else Ticket.Status.UNREACHABLE,
                        due_at=due,
                        warn_at=deadline.warn_at,
                        attempts_made=len(outcomes),
                        closed_at=calls[len(outcomes) - 1],
                        breached_at=due if first > due else None,
                    )
                )
                attempts.append((n - 1, list(zip(calls, outcomes, strict=False))))
    Ticket.objects.bulk_create(tickets, batch_size=500)
    ids = dict(Ticket.objects.filter(routing_note=MARKER).values_list("number", "pk"))
    Attempt.objects.bulk_create(
        [
            Attempt(ticket_id=ids[tickets[index].number], number=k, at=at, outcome=outcome)
            for index, calls in attempts
            for k, (at, outcome) in enumerate(calls, start=1)
        ],
        batch_size=500,
    )

    first_contacts = []
    for authority_id, staff in agents.items():
        if not staff:
            continue
        location = Location.objects.filter(authority_id=authority_id).order_by("pk").first()
        for day in _working_days(location, today, after):
            for _index in range(rng.randint(4, 11)):
                first_contacts.append(
                    FirstContact(
                        authority_id=authority_id,
                        agent=rng.choice(staff),
                        at=_at(day, rng.randint(8 * 60, 16 * 60)),
                        topic=rng.choice(
                            [
                                "Auskunft Öffnungszeiten",
                                "Bearbeitungsstand",
                                "Formular erklärt",
                                "Termin bestätigt",
                            ]
                        ),
                    )
                )
    FirstContact.objects.bulk_create(first_contacts, batch_size=500)


# --- alarms -----------------------------------------------------------------------------------
def _alarms(today: date) -> None:
    from buergerkontakt.alarms.models import Alarm, Delivery, Level, TimelineEvent

    history = Alarm.objects.filter(timeline__detail=MARKER)
    after = _local_day(history.aggregate(last=Max("raised_at"))["last"])
    rng = _part_rng("alarms", after)
    roles = [Delivery.Role.NEIGHBOUR, Delivery.Role.SECURITY, Delivery.Role.LEAD, Delivery.Role.FLOOR]
    for location in Location.objects.filter(authority__in=Authority.objects.all()).order_by("pk"):
        people = list(
            User.objects.filter(workstation_room__floor__location=location, is_active=True)
            .select_related("workstation_room")
            .order_by("pk")
        )
        if len(people) < 3:
            continue
        days = _working_days(location, today, after)
        if not days:
            continue
        # A drill on the first Tuesday of each month; real alarms: two (Jobcenter) or one in the
        # whole history window, proportionally fewer when only a few days are added.
        moments = [(day, True) for day in days if day.weekday() == 1 and day.day <= 7]
        real = 2 if location.slug.startswith("jobcenter") else 1
        if after is None:
            moments += [(rng.choice(days), False) for _ in range(real)]
        else:
            moments += [(day, False) for day in days if rng.random() < real / HISTORY_DAYS]
        for day, drill in sorted(moments):
            trigger = rng.choice(people)
            raised = _at(day, rng.randint(8 * 60, 15 * 60))
            alarm = Alarm.objects.create(
                authority_id=location.authority_id,
                location=location,
                room=trigger.workstation_room,
                raised_by=trigger,
                level=Level.WITNESS if drill or rng.random() < 0.5 else Level.SECURITY,
                status=Alarm.Status.RESOLVED,
                is_drill=drill,
                raised_at=raised,
                ended_at=raised + timedelta(minutes=rng.randint(6, 25)),
                ended_by=trigger,
            )
            deliveries = []
            for index, person in enumerate(p for p in people if p != trigger):
                sent = raised + timedelta(milliseconds=rng.randint(2, 15))
                received = (
                    None
                    if rng.random() < 0.04
                    else sent + timedelta(milliseconds=rng.lognormvariate(4.2, 0.6))
                )
                responded = None
                if received and index < 4 and rng.random() < 0.85:
                    responded = sent + timedelta(seconds=rng.triangular(6, 120 if drill else 60, 20))
                deliveries.append(
                    Delivery(
                        alarm=alarm,
                        user=person,
                        role=roles[index % len(roles)],
                        circle=1 if index < 4 else 2,
                        sent_at=sent,
                        received_at=received,
                        latency_ms=(received - sent).total_seconds() * 1000 if received else None,
                        response=Delivery.Response.COMING if responded else "",
                        responded_at=responded,
                    )
                )
            Delivery.objects.bulk_create(deliveries)
            TimelineEvent.objects.bulk_create(
                [
                    TimelineEvent(
                        alarm=alarm, at=raised, kind=TimelineEvent.Kind.RAISED, user=trigger, detail=MARKER
                    ),
                    TimelineEvent(
                        alarm=alarm,
                        at=alarm.ended_at,
                        kind=TimelineEvent.Kind.RESOLVED,
                        user=trigger,
                        detail=MARKER,
                    ),
                ]
            )


def reports_demo() -> None:
    today = timezone.localdate()
    _appointments(today)
    _walkin(today)
    _callbacks(today)
    _alarms(today)
