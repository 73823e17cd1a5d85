"""The demo loader at any time of the Berlin day, and again on later days on the same database
(2026-12-04): every "day" of the demo is the Berlin day, nothing "earlier today" reaches back into
yesterday, yesterday's open demo tickets are closed as a real day's end closes them, and the demo
still shows today's queue, the coming days' calendar and reports over the recent past.

The history and booking spans are shortened here (the loader's own constants), so the runs stay fast."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from buergerkontakt.alarms.models import Drill
from buergerkontakt.appointments.models import Appointment
from buergerkontakt.core.models import User
from buergerkontakt.demo.loader import load_demo
from buergerkontakt.demo.steps import alarms as alarm_demo
from buergerkontakt.demo.steps import appointments as appointment_demo
from buergerkontakt.demo.steps import reports as history
from buergerkontakt.demo.steps.waitlist import DEMO_EMAIL
from buergerkontakt.reports import queries
from buergerkontakt.waitlist.models import Entry
from buergerkontakt.walkin.models import Ticket

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def _small_demo(monkeypatch):
    monkeypatch.setattr(history, "HISTORY_DAYS", 12)
    monkeypatch.setattr(appointment_demo, "BOOKING_DAYS", 3)


def _berlin(*args, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold)


def _assert_demo_is_current(now: datetime) -> None:
    today = now.astimezone(BERLIN).date()
    midnight = datetime.combine(today, time(0), BERLIN)
    queue = list(Ticket.objects.filter(day=today, queue__location__slug="buergerbuero-rathaus"))
    assert queue, "no demo tickets for today's Berlin day"
    assert all(midnight <= t.issued_at <= now for t in queue), "a ticket of 'today' was issued yesterday"
    assert Ticket.objects.filter(day=today, status=Ticket.Status.WAITING).exists()
    assert not Ticket.objects.filter(day__lt=today, status__in=Ticket.OPEN).exists()
    # the calendar of the coming days has demo bookings
    assert Appointment.objects.filter(email__regex=appointment_demo.DEMO_EMAIL_PATTERN, start__gte=now,
                                      status=Appointment.Status.CONFIRMED).exists()
    # no planned demo drill is overdue (the scheduler would start it the moment the platform runs)
    planned = Drill.objects.filter(alarm__isnull=True, cancelled_at__isnull=True)
    assert not planned.filter(scheduled_for__lte=now).exists()
    assert Drill.objects.filter(note=alarm_demo.PLANNED_NOTE, alarm__isnull=True, cancelled_at__isnull=True,
                                scheduled_for__gt=now).exists()
    assert Entry.objects.filter(email=DEMO_EMAIL, date_until__gte=today).exists()
    # the reports' default period (the last 30 Berlin days) shows the history
    with time_machine.travel(now, tick=False):
        scope = queries.scope_for(User.objects.get(username="admin"))
        sections = {s.key: s for s in queries.dashboard(scope, queries.default_period(timezone.localdate()),
                                                         timezone.now())}
    assert sum(r["issued"] for r in sections["wartezeiten"].table("wartezeiten").rows) > 20
    assert sum(r["booked"] for r in sections["termine"].table("termine").rows) > 5
    # and each history day only once
    days = list(Ticket.objects.filter(secret__startswith=history.MARKER)
                .values_list("origin_id", "day", "number"))
    assert len(days) == len(set(days))


@pytest.mark.parametrize("moment", [
    _berlin(2026, 7, 7, 0, 30),                 # summer, 22:30 UTC the day before
    _berlin(2027, 3, 28, 23, 59),               # the spring DST change day (23 hours), a minute to midnight
    _berlin(2026, 10, 25, 2, 30, fold=1),       # the autumn DST change, the second 02:30
], ids=["summer-0030", "dst-spring-2359", "dst-autumn-0230"])
def test_demo_loads_at_any_time_of_the_berlin_day(moment):
    with time_machine.travel(moment, tick=False):
        load_demo()
    _assert_demo_is_current(moment)


def test_demo_loads_after_midnight_and_again_a_day_a_week_and_forty_days_later():
    first = _berlin(2026, 12, 8, 0, 30)  # winter, 23:30 UTC the day before
    with time_machine.travel(first, tick=False):
        load_demo()
    _assert_demo_is_current(first)
    for later in (timedelta(days=1), timedelta(days=7), timedelta(days=40)):
        moment = first + later
        with time_machine.travel(moment, tick=False):
            load_demo()
        _assert_demo_is_current(moment)
