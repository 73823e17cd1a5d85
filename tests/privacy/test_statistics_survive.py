"""What the deletion concept leaves is anonymous and still counts: every dashboard section (KPI
tiles, tables, charts) and the public reachability promise are identical before and after a purge
that removed every personal detail."""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.core.cache import cache

from buergerkontakt.appointments.models import Appointment
from buergerkontakt.callbacks.models import Ticket
from buergerkontakt.privacy import services
from buergerkontakt.reports import opendata, queries
from buergerkontakt.reports.kpis import Period
from buergerkontakt.waitlist.models import Entry
from tests.reports import builders as b

NOW = b.berlin(2026, 6, 20, 12)
PERIOD = Period(date(2026, 5, 22), date(2026, 6, 19))


def _history(org) -> None:
    for day in range(1, 8):
        start = b.berlin(2026, 6, day, 9)
        b.appointment(org.location, start, Appointment.Status.COMPLETED, name=f"Person {day}")
        if day % 3 == 0:
            b.appointment(org.second_location, start, Appointment.Status.NO_SHOW)
        created = b.berlin(2026, 6, day, 10)
        b.callback(org.team, created, created + timedelta(days=2), [created + timedelta(hours=day % 5 * 12)],
                   status=Ticket.Status.SOLVED)
        queue = b.queue(org.location)
        b.walkin(queue, date(2026, 6, day), wait=60 * day, serve=300)
        b.first_contact(org.authority, created, agent=org.users["agent"])
    b.alarm(org.location, org.room, org.users["caseworker"], b.berlin(2026, 6, 3, 10), drill=False,
            deliveries=[(org.users["security"], 150, 40)])
    b.alarm(org.location, org.room, org.users["caseworker"], b.berlin(2026, 6, 5, 10), drill=True,
            deliveries=[(org.users["security"], 90, None)])
    Entry.objects.create(authority=org.authority, date_from=date(2026, 6, 1), date_until=date(2026, 6, 5),
                         name="Erika Muster", email="erika@example.org", status=Entry.Status.EXPIRED,
                         closed_at=b.berlin(2026, 6, 6, 0, 5))


def _figures(org) -> list:
    scope = queries.scope_for(org.users["admin"])
    sections = queries.dashboard(scope, PERIOD, NOW)
    cache.clear()
    promise = opendata.compute(org.location, NOW)
    promise.pop("generated_at")
    return [
        [(s.key, [(t.label, t.value) for t in s.tiles], [(t.key, t.rows) for t in s.tables],
          # the charts' element ids count renderings; everything else must be the same
          [re.sub(r"chart-\d+", "chart", str(c.svg)) for c in s.charts]) for s in sections],
        promise,
    ]


def test_kpis_and_public_promise_identical_before_and_after_purge(org):
    _history(org)
    before = _figures(org)
    assert Appointment.objects.exclude(name="").exists()

    result = services.apply_retention(now=NOW + timedelta(days=400))

    assert result["appointments"] >= 7 and result["callbacks"] == 7 and result["waitlist"] == 1
    assert not Appointment.objects.exclude(name="").exists()
    assert not Ticket.objects.exclude(caller_name="").exists()
    after = _figures(org)
    for old, new in zip(before[0], after[0], strict=True):
        assert new == old, f"section {old[0]} changed"
    assert after[1] == before[1]
