"""Issue 20 item 2: the register must not be reconstructable from the log of hints shown on
appointments and callback tickets. The log row of a hint holds no reference to the appointment or
ticket, no level and no purpose in clear (the DPO still reads them, decrypted), and hint rows are
kept no longer than a hint itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from buergerkontakt.callbacks import services as callback_services
from buergerkontakt.incidents import services
from buergerkontakt.incidents.models import LogEntry
from tests.callbacks.builders import build_office as build_callback_office

from .builders import CASE, NOW, entry
from .test_hints import book, page
from .test_hints import reg as reg
from .test_hints import travel as travel

pytestmark = pytest.mark.django_db


def raw_log_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM incidents_logentry WHERE action LIKE 'hint_%%'")
        return repr(cursor.fetchall())


def test_hint_log_rows_cannot_be_joined_with_appointments_or_tickets(client, reg):
    appointment = book(reg, name="Bernd Braun", case_number=CASE)
    page(client, reg.org.users["caseworker"], reverse("appointments_staff:detail", args=[appointment.pk]))
    build_callback_office(reg.org)
    ticket = callback_services.create_ticket(
        reg.org.authority,
        caller_name="Bernd Braun",
        phone="0151 23456789",
        topic="Bescheid",
        case_number=CASE,
        team=reg.org.team,
        now=NOW,
    )
    worker = ticket.assignee or reg.org.users["caseworker"]
    page(client, worker, reverse("callbacks_staff:detail", args=[ticket.number]))
    assert LogEntry.objects.filter(action__startswith="hint_").count() == 2
    raw = raw_log_rows()
    assert f"appointment:{appointment.pk}" not in raw and appointment.code not in raw
    assert ticket.number not in raw and "callback:" not in raw
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT level, purpose FROM incidents_logentry WHERE action LIKE 'hint_%%' "
            "AND (level IS NOT NULL OR purpose <> '')"
        )
        assert cursor.fetchall() == []
    # the DPO still sees what was shown where, decrypted, on the log page
    body = page(client, reg.org.users["dpo"], reverse("incidents:log"))
    assert f"Termin {appointment.code}" in body and f"Rückrufticket {ticket.number}" in body
    assert "Stufe 2" in body
    # reloads are still logged once per hour
    page(client, reg.org.users["caseworker"], reverse("appointments_staff:detail", args=[appointment.pk]))
    assert LogEntry.objects.filter(action="hint_appointment").count() == 1


def test_lookup_rows_keep_purpose_and_level_encrypted(reg):
    services.lookup(
        reg.org.users["register_keeper"], purpose="Gespräch mit Herrn Braun am Dienstag", case_number=CASE
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT level, purpose FROM incidents_logentry WHERE action = 'lookup'")
        assert cursor.fetchall() == [(None, "")]
    row = LogEntry.objects.get(action="lookup")
    assert row.shown_purpose == "Gespräch mit Herrn Braun am Dienstag" and row.shown_level == 2


def test_hint_log_rows_are_kept_no_longer_than_a_hint(client, reg, settings, travel):
    settings.INCIDENT_ENTRY_RETENTION_DAYS = 30
    settings.INCIDENT_LOG_RETENTION_DAYS = 1095
    reg.entry.delete()
    entry(reg)
    appointment = book(reg, case_number=CASE)
    page(client, reg.org.users["caseworker"], reverse("appointments_staff:detail", args=[appointment.pk]))
    with time_machine.travel(NOW + timedelta(days=29), tick=False):
        services.purge_expired()
        assert LogEntry.objects.filter(action="hint_appointment").exists()
    with time_machine.travel(NOW + timedelta(days=30, hours=1), tick=False):
        services.purge_expired()
        assert not LogEntry.objects.filter(action="hint_appointment").exists()
        # other log lines (e.g. the approval) keep the register's own retention
        assert LogEntry.objects.filter(action="entry_approved").exists()


def test_rows_logged_before_are_sealed_by_the_migration(reg):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("buergerkontakt.incidents.migrations.0003_log_seals_hint_references")
    old = LogEntry.objects.create(
        action="hint_appointment", purpose="Termin ABC123 am 09.06.2026 09:00", level=2,
        object_ref="appointment:17", result="hint",
    )
    migration.seal_existing_rows(apps, None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT purpose, level, object_ref FROM incidents_logentry WHERE id = %s", [old.pk])
        purpose, level, ref = cursor.fetchone()
    assert (purpose, level) == ("", None) and "appointment" not in ref
    row = LogEntry.objects.get(pk=old.pk)
    assert (row.shown_purpose, row.shown_level, row.shown_reference) == (
        "Termin ABC123 am 09.06.2026 09:00", 2, "appointment:17",
    )
