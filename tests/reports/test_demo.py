"""The demo history: deterministic, idempotent, fills every chart, and the open-data feed built on it
names nobody."""

from __future__ import annotations

import pytest
from django.utils import timezone

from buergerkontakt.alarms.models import Alarm, Delivery
from buergerkontakt.appointments.models import Appointment
from buergerkontakt.callbacks.models import Attempt, FirstContact
from buergerkontakt.callbacks.models import Ticket as CallbackTicket
from buergerkontakt.core.models import User
from buergerkontakt.demo.loader import load_demo
from buergerkontakt.demo.steps import reports as demo
from buergerkontakt.reports import queries
from buergerkontakt.walkin.models import Ticket as WalkInTicket

pytestmark = pytest.mark.django_db


def _counts() -> tuple:
    return (
        Appointment.objects.count(),
        WalkInTicket.objects.count(),
        CallbackTicket.objects.count(),
        Attempt.objects.count(),
        FirstContact.objects.count(),
        Alarm.objects.count(),
        Delivery.objects.count(),
    )


def _fingerprint() -> list:
    return sorted(
        CallbackTicket.objects.filter(routing_note=demo.MARKER).values_list(
            "team__slug", "created_at", "due_at", "attempts_made", "status"
        )
    )


def test_demo_history_is_rich_idempotent_and_deterministic(client):
    load_demo()
    counts = _counts()
    first = _fingerprint()
    assert Appointment.objects.filter(idempotency_key__startswith=demo.MARKER, status="no_show").count() > 20
    assert (
        WalkInTicket.objects.filter(secret__startswith=demo.MARKER, wait_seconds__isnull=False).count() > 1000
    )
    assert Alarm.objects.filter(is_drill=True).exists() and Alarm.objects.filter(is_drill=False).exists()
    load_demo()
    assert _counts() == counts  # idempotent

    # deterministic: the same rows again after deleting the history
    CallbackTicket.objects.filter(routing_note=demo.MARKER).delete()
    demo._callbacks(timezone.localdate())
    assert _fingerprint() == first

    # every section of an authority-wide dashboard has data
    lead = User.objects.get(username="admin")
    scope = queries.scope_for(lead)
    sections = {
        s.key: s
        for s in queries.dashboard(scope, queries.default_period(timezone.localdate()), timezone.now())
    }
    assert sum(r["booked"] for r in sections["termine"].table("termine").rows) > 50
    assert any(r["days"] is not None for r in sections["termine"].table("termine-naechster-freier").rows)
    assert sum(r["issued"] for r in sections["wartezeiten"].table("wartezeiten").rows) > 300
    callbacks = sections["rueckrufe"].table("rueckrufe").rows
    assert sum(r["met"] for r in callbacks) > 50 and sum(r["breached"] for r in callbacks) > 0
    assert sum(r["first_contact"] for r in sections["rueckrufe"].table("erstkontakt").rows) > 50
    _real, drill = sections["alarme"].table("alarme").rows
    assert drill["alarms"] >= 1 and drill["receipt_median"] is not None

    # the public feed over the demo names no citizen and no member of staff
    body = client.get("/api/opendata/reachability").content.decode()
    body += client.get("/api/opendata/reachability.csv").content.decode()
    assert "Demo-Kund" not in body and "@example.org" not in body and "+49151" not in body
    for user in User.objects.exclude(last_name=""):
        assert user.last_name not in body
        if user.phone:
            assert user.phone not in body
    assert "within_deadline_percent" in body
