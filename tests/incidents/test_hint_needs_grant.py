"""Issue 20 item 4: hints on appointments and callback tickets reach only the responsible case
worker *with* an approved, unexpired register access (SPEC §6) – a pending request is not enough."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from buergerkontakt.core.models import Role
from buergerkontakt.incidents import services
from buergerkontakt.incidents.models import LogEntry
from tests.factories import make_user

from .builders import CASE, NOW, grant
from .test_hints import HINT, book, page
from .test_hints import travel as travel

pytestmark = pytest.mark.django_db


@pytest.fixture
def reg(travel):
    from tests.appointments.builders import build_office

    from .builders import build_register, entry

    reg = build_register()
    reg.entry = entry(reg)
    reg.office = build_office(org=reg.org)
    reg.office.short.teams.add(reg.org.team)
    return reg


def test_pending_request_shows_no_hint_an_approved_grant_does(client, reg):
    weber = make_user("sb.weber", reg.org.authority, Role.CASEWORKER, scope=reg.org.team)
    weber.teams.add(reg.org.team)
    services.request_access(weber, reason="Gespräche mit Kundschaft", until=date(2026, 12, 31), now=NOW)
    appointment = book(reg, name="Max Mustermann", case_number=CASE)
    url = reverse("appointments_staff:detail", args=[appointment.pk])
    assert "Sicherheitshinweis" not in page(client, weber, url)
    assert not LogEntry.objects.filter(action="hint_appointment").exists()
    # the team lead (no grant either) sees nothing
    assert "Sicherheitshinweis" not in page(client, reg.org.users["teamlead"], url)
    # approved by the team lead: the hint appears
    services.decide_access(
        weber.incident_grants.get(),
        reg.org.users["teamlead"], approve=True, valid_until=date(2026, 6, 30), now=NOW,
    )
    assert HINT in page(client, weber, url)
    # once the grant has run out, no more hints
    with time_machine.travel(NOW + timedelta(days=30), tick=False):
        assert "Sicherheitshinweis" not in page(client, weber, url)


def test_a_revoked_grant_shows_no_hint(client, reg):
    worker = reg.org.users["caseworker"]
    grant(reg, worker)
    appointment = book(reg, case_number=CASE)
    url = reverse("appointments_staff:detail", args=[appointment.pk])
    assert HINT in page(client, worker, url)
    worker.incident_grants.update(status="revoked")
    assert "Sicherheitshinweis" not in page(client, worker, url)
