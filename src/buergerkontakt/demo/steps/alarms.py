"""Demo data of the silent alarm: a registered workstation for every Jobcenter staff member's room
(the security console lists them; it is their current workplace), a past drill with its
receipt/response report, and a drill planned for next week."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from buergerkontakt.alarms import services
from buergerkontakt.alarms.models import Delivery, Drill, Workstation, hash_token
from buergerkontakt.alarms.workplace import Workplace, set_current_workplace
from buergerkontakt.core.calendar import local_zone
from buergerkontakt.core.models import User

DEMO_NOTE = "Demo: angekündigter Probealarm"
PLANNED_NOTE = "Demo: geplanter Probealarm"


def _workstations(staff: list[User]) -> None:
    for user in staff:
        room = user.workstation_room
        workstation, _created = Workstation.objects.get_or_create(
            token_hash=hash_token(f"demo-workstation-{room.pk}-{user.pk}"),
            defaults={"authority_id": user.authority_id, "room": room, "name": f"PC {room.number}",
                      "registered_by": user, "last_user": user},
        )
        if not Workplace.objects.filter(user=user).exists():  # they work at their registered PC
            set_current_workplace(user, workstation=workstation, source=Workplace.Source.WORKSTATION)


def _past_drill(security: User) -> None:
    if Drill.objects.filter(note=DEMO_NOTE).exists():
        return
    room = User.objects.get(username="sb.mueller").workstation_room
    last_week = timezone.localdate() - timedelta(days=7)
    start = datetime.combine(last_week - timedelta(days=last_week.weekday() - 1), time(10), local_zone())
    alarm = services.raise_alarm(security, level=2, room=room, drill=True, now=start)
    Drill.objects.create(authority_id=alarm.authority_id, location_id=alarm.location_id, room=room, level=2,
                         scheduled_for=start, note=DEMO_NOTE, created_by=security, alarm=alarm)
    deliveries = list(Delivery.objects.filter(alarm=alarm).select_related("user").order_by("circle", "pk"))
    for index, delivery in enumerate(deliveries):
        if index == len(deliveries) - 1 and len(deliveries) > 2:
            continue  # one PC was switched off: the report shows it
        received = start + timedelta(milliseconds=14 + 9 * index)
        services.confirm_receipt(alarm.pk, delivery.user, now=received)
        if index < 2:
            services.respond(alarm.pk, delivery.user, "coming", now=start + timedelta(seconds=8 + 5 * index))
    if deliveries:
        services.respond(alarm.pk, deliveries[0].user, "on_site", now=start + timedelta(seconds=52))
    services.resolve(alarm, security, note="Probealarm beendet", now=start + timedelta(minutes=3))


def _planned_drill(security: User) -> None:
    now = timezone.now()
    # A demo database from weeks ago: its planned drill was never held (the platform was not
    # running); it is called off rather than started by the scheduler the moment the platform starts.
    for overdue in Drill.objects.filter(note=PLANNED_NOTE, alarm__isnull=True, cancelled_at__isnull=True,
                                        scheduled_for__lte=now):
        services.cancel_drill(overdue, security, now=now)
    if Drill.objects.filter(note=PLANNED_NOTE, alarm__isnull=True, cancelled_at__isnull=True).exists():
        return
    room = User.objects.get(username="sb.weber").workstation_room
    day = timezone.localdate() + timedelta(days=7)
    day -= timedelta(days=day.weekday() - 1) if day.weekday() > 1 else timedelta(0)
    services.plan_drill(security, room, level=1, note=PLANNED_NOTE,
                        at=datetime.combine(day, time(9, 30), local_zone()))


def alarm_demo() -> None:
    security = User.objects.filter(username="sicherheit").first()
    if security is None:
        return
    staff = list(User.objects.filter(authority_id=security.authority_id, workstation_room__isnull=False)
                 .select_related("workstation_room"))
    with transaction.atomic():
        _workstations(staff)
        _past_drill(security)
        _planned_drill(security)
