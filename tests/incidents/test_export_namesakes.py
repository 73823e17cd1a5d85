"""Issue 20 item 5: the Art. 15 export holds the person's data only. Log lines are matched by the
keyed identity (name + date of birth, or the case number), never by the name alone – a namesake's
lookups, reports and appointments stay out; narratives are given out only with a stated reason,
which is logged like an inspection."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from buergerkontakt.incidents import services
from buergerkontakt.incidents.models import LogEntry

from .builders import BIRTH, CASE, NAME, NOW, report
from .test_hints import book, page
from .test_hints import reg as reg
from .test_hints import travel as travel

pytestmark = pytest.mark.django_db

NAMESAKE_BIRTH = date(1991, 7, 14)
REASON = "Antrag auf Auskunft vom 01.06.2026, Vorgang DS-17"


def export(client, reg, **data):
    client.force_login(reg.org.users["dpo"])
    values = {"name": NAME, "birth_date": BIRTH.isoformat(), "case_number": "", "note": REASON,
              "format": "json"}
    values.update(data)
    return client.post(reverse("incidents:export"), values)


def test_a_namesakes_lookups_reports_and_appointments_stay_out(client, reg):
    keeper = reg.org.users["register_keeper"]
    services.lookup(keeper, purpose="Termin der Person am Dienstag", name=NAME, birth_date=BIRTH)
    services.lookup(keeper, purpose="Termin des Namensvetters am Mittwoch", name=NAME,
                    birth_date=NAMESAKE_BIRTH)
    report(reg, narrative="Der Namensvetter schrie.", person_birth_date=NAMESAKE_BIRTH,
           person_case_number="")
    # the namesake books an appointment without case number: a name-only hint is shown
    namesake_appointment = book(reg)  # same name, no case number
    page(client, reg.org.users["caseworker"],
         reverse("appointments_staff:detail", args=[namesake_appointment.pk]))
    assert LogEntry.objects.filter(action="hint_appointment").count() == 1
    response = export(client, reg)
    assert response.status_code == 200
    data = response.json()
    purposes = [row["purpose"] for row in data["lookups"]]
    assert "Termin der Person am Dienstag" in purposes
    assert "Termin des Namensvetters am Mittwoch" not in purposes
    assert data["reports"] == []
    text = response.content.decode()
    assert "Namensvetter" not in text and namesake_appointment.code not in text
    assert f"appointment:{namesake_appointment.pk}" not in text
    # the name-only hint concerned the person's entry: listed, but without the other booking
    hints = [row for row in data["lookups"] if row["action"] == "Hinweis am Termin"]
    assert len(hints) == 1 and hints[0]["reference"] == "" and hints[0]["purpose"] != ""
    assert "nur im Namen" in hints[0]["purpose"]
    # the namesake's own export has his lookup and report, not the person's
    other = export(client, reg, birth_date=NAMESAKE_BIRTH.isoformat()).json()
    assert [row["purpose"] for row in other["lookups"]] == ["Termin des Namensvetters am Mittwoch"]
    assert [r["narrative"] for r in other["reports"]] == ["Der Namensvetter schrie."]
    assert other["entries"] == []


def test_narratives_only_with_a_stated_reason_which_is_logged(client, reg):
    created = report(reg, narrative="Der Kunde drohte.", now=NOW)
    response = export(client, reg, note="")
    assert response.status_code == 400 and "note" in response.json()["errors"]
    response = export(client, reg, note="kurz")
    assert response.status_code == 400
    assert not LogEntry.objects.filter(action="export").exists()
    response = export(client, reg, case_number=CASE)
    assert response.status_code == 200
    assert response.json()["reports"][0]["narrative"] == "Der Kunde drohte."
    inspection = LogEntry.objects.get(action="inspection", report_id=created.pk)
    assert inspection.user == reg.org.users["dpo"] and inspection.purpose == REASON
    assert LogEntry.objects.get(action="export").purpose == REASON
