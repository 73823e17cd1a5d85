"""The minimal safety hint on appointments and callback tickets (no migration in those apps): the
responsible case worker sees "Hinweis vorhanden – Stufe N – …" and nothing else, others see
nothing, every match is logged like a lookup (once per user, object and hour)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from buergerkontakt.appointments import services as appointment_services
from buergerkontakt.appointments.models import Quota
from buergerkontakt.callbacks import services as callback_services
from buergerkontakt.incidents.models import LogEntry
from tests.appointments.builders import build_office as build_appointment_office
from tests.callbacks.builders import build_office as build_callback_office

from .builders import CASE, NAME, NOW, at, build_register, entry, grant

pytestmark = pytest.mark.django_db

HINT = (
    "Hinweis vorhanden – Stufe 2 – empfohlene Maßnahmen: Gespräch nur zu zweit, Sicherheitsdienst informieren"
)


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def reg(travel):
    reg = build_register()
    reg.entry = entry(reg)
    reg.office = build_appointment_office(org=reg.org)
    reg.office.short.teams.add(reg.org.team)
    # hints reach only staff with an approved register access (SPEC §6)
    for role in ("caseworker", "teamlead"):
        grant(reg, reg.org.users[role])
    return reg


def book(reg, *, name=NAME, case_number="", hour=9, staff=None):
    held = appointment_services.hold_slot(
        [reg.office.short],
        reg.office.location,
        at(2026, 6, 9, hour),
        quota=Quota.INTERNAL,
        booked_by=reg.org.users["agent"],
        now=at(2026, 6, 8, 7),
    )
    booked = appointment_services.confirm_booking(
        held, name=name, case_number=case_number, now=at(2026, 6, 8, 7)
    )
    if staff is not None:
        booked.staff = staff
        booked.save(update_fields=["staff"])
    return booked


def page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_case_worker_sees_the_hint_on_a_matching_appointment(client, reg):
    appointment = book(reg, name="Max Anders", case_number="123a 456 789")  # matched by case number
    url = reverse("appointments_staff:detail", args=[appointment.pk])
    body = page(client, reg.org.users["caseworker"], url)
    assert HINT in body and "Sicherheitshinweis" in body
    assert "StA 7" not in body and "Bedrohung am" not in body and "nur im Namen" not in body
    row = LogEntry.objects.get(action="hint_appointment")
    assert row.user == reg.org.users["caseworker"] and row.shown_reference == f"appointment:{appointment.pk}"
    assert row.entry_id == reg.entry.pk and row.result == "hint" and row.shown_purpose.startswith("Termin ")
    assert row.case_hash == reg.entry.case_hash and "Anders" not in repr(row.__dict__)
    # reloading the page does not flood the log; an hour later it is logged again
    page(client, reg.org.users["caseworker"], url)
    assert LogEntry.objects.filter(action="hint_appointment").count() == 1
    with time_machine.travel(NOW + timedelta(hours=1, minutes=1), tick=False):
        page(client, reg.org.users["caseworker"], url)
    assert LogEntry.objects.filter(action="hint_appointment").count() == 2


def test_name_only_match_asks_to_check_the_identity(client, reg, settings):
    appointment = book(reg, name="juergen  MUELLER weiss")
    url = reverse("appointments_staff:detail", args=[appointment.pk])
    body = page(client, reg.org.users["teamlead"], url)
    assert HINT in body and "Übereinstimmung nur im Namen" in body
    assert LogEntry.objects.get(action="hint_appointment").note == "name_only"
    settings.INCIDENT_HINT_NAME_ONLY = False
    LogEntry.objects.all().delete()
    assert "Sicherheitshinweis" not in page(client, reg.org.users["caseworker"], url)
    assert not LogEntry.objects.filter(action="hint_appointment").exists()


def test_no_hint_for_other_people_roles_or_assignees(client, reg):
    other_person = book(reg, name="Erika Mustermann", case_number="999")
    body = page(
        client, reg.org.users["caseworker"], reverse("appointments_staff:detail", args=[other_person.pk])
    )
    assert "Sicherheitshinweis" not in body
    matching = book(reg, case_number=CASE, hour=10)
    url = reverse("appointments_staff:detail", args=[matching.pk])
    # the agent at the phone and the administrator do not serve the person: no hint
    for role in ("agent", "admin"):
        assert "Sicherheitshinweis" not in page(client, reg.org.users[role], url)
    # assigned to somebody else: only that person sees it
    matching.staff = reg.org.users["teamlead"]
    matching.save(update_fields=["staff"])
    assert "Sicherheitshinweis" not in page(client, reg.org.users["caseworker"], url)
    assert HINT in page(client, reg.org.users["teamlead"], url)
    assert list(
        LogEntry.objects.filter(action="hint_appointment").values_list("user__username", flat=True)
    ) == ["teamlead"]


def test_pending_or_expired_entries_give_no_hint(client, reg):
    reg.entry.delete()
    entry(reg, approve=False)
    appointment = book(reg, case_number=CASE)
    url = reverse("appointments_staff:detail", args=[appointment.pk])
    assert "Sicherheitshinweis" not in page(client, reg.org.users["caseworker"], url)


def test_case_worker_sees_the_hint_on_a_callback_ticket(client, reg):
    build_callback_office(reg.org)
    ticket = callback_services.create_ticket(
        reg.org.authority,
        caller_name="Max Anders",
        phone="0151 23456789",
        topic="Bescheid",
        case_number=CASE,
        team=reg.org.team,
        now=NOW,
    )
    url = reverse("callbacks_staff:detail", args=[ticket.number])
    worker = ticket.assignee or reg.org.users["caseworker"]
    body = page(client, worker, url)
    assert HINT in body and "StA 7" not in body
    row = LogEntry.objects.get(action="hint_callback")
    assert row.shown_reference == f"callback:{ticket.number}" and row.user == worker
    assert "Sicherheitshinweis" not in page(client, reg.org.users["agent"], url)
