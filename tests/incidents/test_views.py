"""Staff pages of the register: the role × endpoint matrix (SPEC R4), what each page shows, bad
input with German errors at the field (typed values kept), the alarm pre-fill, JSON answers."""

from __future__ import annotations

import json
from datetime import date

import pytest
import time_machine
from django.urls import reverse

from buergerkontakt.alarms.models import Alarm, Delivery, TimelineEvent
from buergerkontakt.core.models import Role
from buergerkontakt.incidents.models import AccessGrant, Entry, LogEntry, Report
from tests.factories import make_user

from .builders import CASE, NAME, NOW, at, build_register, entry, grant, report

pytestmark = pytest.mark.django_db

NARRATIVE = "Der Kunde warf einen Stuhl gegen die Tür und drohte."


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def reg(travel):
    reg = build_register()
    reg.report = report(reg, narrative=NARRATIVE)
    reg.entry = entry(reg)
    reg.granted = make_user("granted", reg.org.authority, Role.CASEWORKER, scope=reg.org.team)
    reg.granted.teams.add(reg.org.team)
    grant(reg, reg.granted, by=reg.org.users["teamlead"])
    return reg


ENDPOINTS = {
    "home": lambda r: reverse("incidents:home"),
    "new_report": lambda r: reverse("incidents:new_report"),
    "reports": lambda r: reverse("incidents:reports"),
    "report": lambda r: reverse("incidents:report", args=[r.report.pk]),
    "aftercare": lambda r: reverse("incidents:aftercare", args=[r.report.pk]),
    "entries": lambda r: reverse("incidents:entries"),
    "new_entry": lambda r: reverse("incidents:new_entry"),
    "entry": lambda r: reverse("incidents:entry", args=[r.entry.pk]),
    "correct": lambda r: reverse("incidents:correct", args=[r.entry.pk]),
    "access": lambda r: reverse("incidents:access"),
    "grants": lambda r: reverse("incidents:grants"),
    "lookup": lambda r: reverse("incidents:lookup"),
    "log": lambda r: reverse("incidents:log"),
    "export": lambda r: reverse("incidents:export"),
    "inspect": lambda r: reverse("incidents:inspect", args=[r.report.pk]),
}
EVERY_STAFF = {"home", "new_report", "access"}
KEEPER = EVERY_STAFF | {"reports", "report", "entries", "new_entry", "entry", "correct", "lookup"}
ALLOWED = {
    "agent": EVERY_STAFF,
    "caseworker": EVERY_STAFF,  # no access grant: no lookup
    "granted": EVERY_STAFF | {"lookup"},  # case worker with an approved grant: lookups only
    "teamlead": EVERY_STAFF | {"aftercare", "grants"},
    "security": EVERY_STAFF,
    "register_keeper": KEEPER,
    "register_keeper2": KEEPER,
    "dpo": EVERY_STAFF | {"log", "export", "inspect"},
    "admin": EVERY_STAFF | {"grants"},
    "professional": set(),
    # another authority: its own (empty) lists, never this authority's report or entry
    "other_keeper": EVERY_STAFF | {"reports", "entries", "new_entry", "lookup"},
    "other_admin": EVERY_STAFF | {"grants"},
    "other_teamlead": EVERY_STAFF | {"grants"},
}


def login(client, reg, key):
    user = reg.granted if key == "granted" else reg.users()[key]
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", list(ALLOWED))
def test_role_by_endpoint(client, reg, role):
    login(client, reg, role)
    for name, url in ENDPOINTS.items():
        response = client.get(url(reg))
        expected = 200 if name in ALLOWED[role] else 403
        assert response.status_code == expected, (role, name, response.status_code)
        body = response.content.decode()
        # the narrative reaches only the keepers of this authority (and the DPO after a logged reason)
        if NARRATIVE in body:
            assert role in ("register_keeper", "register_keeper2") and name == "report", (role, name)
        if NAME in body:
            assert role in ("register_keeper", "register_keeper2") and name in (
                "entries",
                "entry",
                "correct",
                "report",
            ), (role, name)


def test_anonymous_is_sent_to_sign_in(client, reg):
    for name, url in ENDPOINTS.items():
        response = client.get(url(reg))
        assert response.status_code == 302 and response["Location"].startswith("/anmelden/?next="), name


@pytest.mark.parametrize("role", ["caseworker", "teamlead", "admin", "other_keeper", "dpo", "security"])
def test_post_actions_are_refused_to_everyone_but_keepers(client, reg, role):
    pending = entry(reg, approve=False, name="Petra Pending")
    login(client, reg, role)
    for url in (
        reverse("incidents:approve", args=[pending.pk]),
        reverse("incidents:reject", args=[pending.pk]),
        reverse("incidents:outcome", args=[reg.entry.pk]),
        reverse("incidents:report_reviewed", args=[reg.report.pk]),
    ):
        assert client.post(url, {"outcome": "acquitted"}).status_code == 403, (role, url)
    assert Entry.objects.get(pk=pending.pk).status == Entry.Status.PENDING
    assert Entry.objects.filter(pk=reg.entry.pk).exists()


def test_aftercare_page_shows_key_data_only(client, reg):
    login(client, reg, "teamlead")
    body = client.get(reverse("incidents:aftercare", args=[reg.report.pk])).content.decode()
    assert "Nachsorge" in body and reg.org.location.name in body
    assert NARRATIVE not in body and NAME not in body and CASE not in body and "StA 7" not in body


def test_keeper_sees_the_report_and_marks_it_reviewed(client, reg):
    login(client, reg, "register_keeper")
    body = client.get(reverse("incidents:report", args=[reg.report.pk])).content.decode()
    assert NARRATIVE in body and NAME in body and "StA 7 Js 1234/26" in body
    client.post(reverse("incidents:report_reviewed", args=[reg.report.pk]))
    assert Report.objects.get(pk=reg.report.pk).status == Report.Status.REVIEWED


# --- four eyes through the pages ---------------------------------------------------------------------
def test_four_eyes_through_the_pages(client, reg):
    login(client, reg, "register_keeper")
    data = {
        "name": "Karl Kante",
        "birth_date": "1975-04-01",
        "case_number": "",
        "level": "2",
        "complaint_file_number": "StA 9 Js 55/26",
        "measures": ["two_persons", "second_exit"],
        "measures_note": "",
        "review_on": "2027-01-15",
        "reason": "Schlag ins Gesicht am 01.06.2026.",
    }
    response = client.post(reverse("incidents:new_entry"), data)
    created = Entry.objects.get(status="pending")
    assert response.status_code == 302 and response["Location"] == reverse(
        "incidents:entry", args=[created.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert "Freigeben kann ihn nur eine zweite Person" in page
    response = client.post(reverse("incidents:approve", args=[created.pk]))
    assert response.status_code == 403 and "Vier-Augen-Prinzip" in response.content.decode()
    assert Entry.objects.get(pk=created.pk).status == "pending"
    login(client, reg, "register_keeper2")
    assert client.post(reverse("incidents:approve", args=[created.pk])).status_code == 302
    assert Entry.objects.get(pk=created.pk).status == "active"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"level": "1"}, "level", "Bitte wählen Sie eine der angebotenen Stufen."),
        ({"complaint_file_number": ""}, "complaint_file_number", "Strafanzeige voraus"),
        ({"birth_date": "31.02.1980"}, "birth_date", "Bitte geben Sie ein gültiges Datum ein (TT.MM.JJJJ)."),
        ({"birth_date": "2030-01-01"}, "birth_date", "Das Geburtsdatum muss in der Vergangenheit liegen."),
        ({"review_on": "2020-01-01"}, "review_on", "Das Überprüfungsdatum muss in der Zukunft liegen."),
        ({"measures": [], "measures_note": ""}, "measures", "Bitte empfehlen Sie mindestens eine Maßnahme."),
    ],
)
def test_entry_form_errors_are_german_and_keep_the_input(client, reg, changes, field, message):
    login(client, reg, "register_keeper")
    data = {
        "name": "Karl Kante",
        "birth_date": "01.04.1975",
        "case_number": "AZ-77",
        "level": "2",
        "complaint_file_number": "StA 9 Js 55/26",
        "measures": ["two_persons"],
        "measures_note": "",
        "review_on": "2027-01-15",
        "reason": "Schlag ins Gesicht.",
    }
    data.update(changes)
    before = Entry.objects.count()
    response = client.post(reverse("incidents:new_entry"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    body = response.content.decode()
    assert 'value="Karl Kante"' in body and 'value="AZ-77"' in body
    assert Entry.objects.count() == before


def test_outcome_acquittal_deletes_through_the_page(client, reg):
    login(client, reg, "register_keeper2")
    response = client.post(reverse("incidents:outcome", args=[reg.entry.pk]), {"outcome": "acquitted"})
    assert response.status_code == 302
    assert not Entry.objects.filter(pk=reg.entry.pk).exists()
    assert LogEntry.objects.get(action="entry_deleted").note == "acquitted"
    response = client.post(reverse("incidents:outcome", args=[reg.entry.pk]), {"outcome": "acquitted"})
    assert response.status_code == 403  # gone


# --- the report form ---------------------------------------------------------------------------------
def report_data(reg, **changes):
    data = {
        "occurred_at": "2026-06-08T09:30",
        "location": str(reg.org.location.pk),
        "room": str(reg.org.room.pk),
        "place": "",
        "level": "1",
        "types": ["beleidigung"],
        "narrative": "Er beschimpfte mich laut.",
        "witnesses": "Frau Nachbar",
        "person_name": "Egon Eklig",
        "person_birth_date": "",
        "person_case_number": "",
        "complaint_file_number": "",
    }
    data.update(changes)
    return data


def test_any_staff_member_reports(client, reg):
    login(client, reg, "agent")
    form_page = client.get(reverse("incidents:new_report")).content.decode()
    assert "Stufe 0 – kontroverse Gesprächssituation" in form_page and "Bewaffneter Angriff" in form_page
    response = client.post(reverse("incidents:new_report"), report_data(reg))
    assert response.status_code == 302
    created = Report.objects.latest("pk")
    assert (
        created.reported_by == reg.org.users["agent"]
        and created.level == 1
        and created.types == ["beleidigung"]
    )
    assert created.witnesses == "Frau Nachbar"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"narrative": ""}, "narrative", "Bitte beschreiben Sie, was passiert ist."),
        ({"types": []}, "types", "Bitte wählen Sie mindestens eine Art des Vorfalls."),
        ({"level": ""}, "level", "Bitte wählen Sie die Stufe."),
        ({"occurred_at": "32.13.2026 25:00"}, "occurred_at", "Bitte geben Sie Datum und Uhrzeit gültig ein"),
        ({"occurred_at": "2026-06-09T09:30"}, "occurred_at", "Der Zeitpunkt liegt in der Zukunft."),
        ({"location": ""}, "location", "Bitte wählen Sie den Standort."),
        ({"person_birth_date": "1.1."}, "person_birth_date", "Bitte geben Sie ein gültiges Datum ein"),
        (
            {"criminal_complaint": "on"},
            "complaint_file_number",
            "Bitte geben Sie das Aktenzeichen der Strafanzeige an.",
        ),
    ],
)
def test_incomplete_reports_get_field_errors_and_keep_the_input(client, reg, changes, field, message):
    login(client, reg, "caseworker")
    before = Report.objects.count()
    response = client.post(reverse("incidents:new_report"), report_data(reg, **changes))
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    body = response.content.decode()
    assert "Bitte prüfen Sie Ihre Angaben" in body and 'value="Egon Eklig"' in body and "Frau Nachbar" in body
    assert Report.objects.count() == before


def test_room_of_another_authority_is_not_offered(client, reg):
    login(client, reg, "other_admin")
    response = client.post(reverse("incidents:new_report"), report_data(reg))
    assert response.status_code == 400 and "location" in response.context["form"].errors


# --- alarm pre-fill ----------------------------------------------------------------------------------
@pytest.fixture
def alarm(reg):
    worker, lead = reg.org.users["caseworker"], reg.org.users["teamlead"]
    alarm = Alarm.objects.create(
        authority=reg.org.authority,
        location=reg.org.location,
        room=reg.org.room,
        raised_by=worker,
        level=2,
        raised_at=at(2026, 6, 8, 9, 12),
    )
    Delivery.objects.create(
        alarm=alarm,
        user=lead,
        role="lead",
        sent_at=alarm.raised_at,
        response="coming",
        responded_at=at(2026, 6, 8, 9, 13),
    )
    Delivery.objects.create(
        alarm=alarm, user=reg.org.users["security"], role="security", sent_at=alarm.raised_at
    )
    TimelineEvent.objects.create(alarm=alarm, at=alarm.raised_at, kind="raised", user=worker)
    TimelineEvent.objects.create(
        alarm=alarm, at=at(2026, 6, 8, 9, 13), kind="coming", user=lead, detail="Ich komme"
    )
    return alarm


def test_report_is_prefilled_from_the_alarm(client, reg, alarm):
    login(client, reg, "caseworker")
    response = client.get(reverse("incidents:new_report") + f"?alarm={alarm.pk}")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["level"] == 2 and form.initial["room"] == reg.org.room.pk
    assert form.initial["location"] == reg.org.location.pk
    assert form.initial["occurred_at"].strftime("%d.%m.%Y %H:%M") == "08.06.2026 09:12"
    assert set(form.initial["staff_involved"]) == {
        reg.org.users["caseworker"].pk,
        reg.org.users["teamlead"].pk,
    }
    assert "09:13:00 – „Ich komme“ – Teamlead Test – Ich komme" in form.initial["narrative"]
    body = response.content.decode()
    assert 'value="2026-06-08T09:12"' in body and "Vorausgefüllt aus dem Alarm" in body
    response = client.post(reverse("incidents:new_report"), report_data(reg, alarm=str(alarm.pk), level="2"))
    assert response.status_code == 302 and Report.objects.latest("pk").alarm == alarm


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("caseworker", 200),
        ("teamlead", 200),
        ("security", 200),
        ("agent", 403),
        ("register_keeper", 403),
        ("other_admin", 403),
    ],
)
def test_only_those_who_saw_the_alarm_start_from_it(client, reg, alarm, role, status):
    login(client, reg, role)
    assert client.get(reverse("incidents:new_report") + f"?alarm={alarm.pk}").status_code == status


def test_alarm_page_links_to_the_report(client, reg, alarm):
    login(client, reg, "caseworker")
    body = client.get(reverse("alarms:detail", args=[alarm.pk])).content.decode()
    assert f"{reverse('incidents:new_report')}?alarm={alarm.pk}" in body


# --- access requests ---------------------------------------------------------------------------------
def test_access_request_and_decision_through_the_pages(client, reg):
    login(client, reg, "caseworker")
    response = client.post(reverse("incidents:access"), {"reason": "", "until": "2026-05-01"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["reason"] == ["Bitte begründen Sie, wofür Sie den Zugang brauchen."]
    assert errors["until"] == ["Bitte wählen Sie ein Datum in der Zukunft."]
    response = client.post(reverse("incidents:access"), {"reason": "Beratung", "until": "2027-09-01"})
    assert "höchstens 365 Tage" in response.context["form"].errors["until"][0]
    assert (
        client.post(reverse("incidents:access"), {"reason": "Beratung", "until": "2026-12-31"}).status_code
        == 302
    )
    requested = AccessGrant.objects.get(user=reg.org.users["caseworker"])
    assert client.get(reverse("incidents:lookup")).status_code == 403
    login(client, reg, "other_teamlead")
    assert (
        client.post(reverse("incidents:decide", args=[requested.pk]), {"decision": "approve"}).status_code
        == 403
    )
    login(client, reg, "teamlead")
    page = client.get(reverse("incidents:grants")).content.decode()
    assert "Caseworker Test" in page and "Beratung" in page
    response = client.post(
        reverse("incidents:decide", args=[requested.pk]), {"decision": "approve", "valid_until": "2026-10-31"}
    )
    assert response.status_code == 302
    requested.refresh_from_db()
    assert requested.status == "approved" and requested.valid_until == date(2026, 10, 31)
    login(client, reg, "caseworker")
    assert client.get(reverse("incidents:lookup")).status_code == 200


# --- lookups -----------------------------------------------------------------------------------------
def test_lookup_page_answers_minimally(client, reg):
    login(client, reg, "granted")
    response = client.post(
        reverse("incidents:lookup"),
        {"name": "JÜRGEN MÜLLER WEISS", "birth_date": "29.02.1980", "purpose": "Termin am 09.06. um 10 Uhr"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        "Hinweis vorhanden – Stufe 2 – empfohlene Maßnahmen: Gespräch nur zu zweit, Sicherheitsdienst" in body
    )
    assert "StA 7" not in body and "Bedrohung am" not in body and NARRATIVE not in body
    assert LogEntry.objects.filter(action="lookup", user=reg.granted, result="hint").count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": NAME, "birth_date": "29.02.1980", "purpose": ""}, "purpose", "Bitte nennen Sie den Zweck"),
        ({"name": NAME, "birth_date": "29.02.1980", "purpose": "Termin"}, "purpose", "mindestens 10 Zeichen"),
        (
            {"name": NAME, "birth_date": "", "purpose": "Termin am Dienstag"},
            "birth_date",
            "zum Namen das Geburtsdatum",
        ),
        (
            {"name": NAME, "birth_date": "30.02.1980", "purpose": "Termin am Dienstag"},
            "birth_date",
            "gültiges Datum",
        ),
        (
            {"name": "", "birth_date": "", "purpose": "Termin am Dienstag"},
            "__all__",
            "Name und Geburtsdatum oder",
        ),
    ],
)
def test_bad_lookups_are_refused_with_german_errors(client, reg, data, field, message):
    login(client, reg, "granted")
    response = client.post(reverse("incidents:lookup"), data)
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors[field]), response.context["form"].errors
    if data["name"]:
        assert f'value="{data["name"]}"' in response.content.decode()
    assert not LogEntry.objects.filter(action="lookup").exists()


def test_lookup_as_json(client, reg):
    login(client, reg, "granted")
    url = reverse("incidents:lookup")
    ok = client.post(
        url,
        json.dumps({"case_number": CASE, "purpose": "Termin am Dienstag"}),
        content_type="application/json",
        headers={"Accept": "application/json"},
    )
    assert ok.status_code == 200 and ok.json()["hint"] is True and ok.json()["level"] == 2
    assert set(ok.json()) == {"hint", "level", "measures", "text"}
    bad = client.post(
        url,
        json.dumps({"case_number": CASE}),
        content_type="application/json",
        headers={"Accept": "application/json"},
    )
    assert bad.status_code == 400 and "purpose" in bad.json()["errors"]
    broken = client.post(url, "{nope", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["detail"] == "Ungültige Eingabe."
    login(client, reg, "caseworker")
    denied = client.post(
        url,
        json.dumps({"case_number": CASE, "purpose": "Termin am Dienstag"}),
        content_type="application/json",
        headers={"Accept": "application/json"},
    )
    assert denied.status_code == 403


def test_expired_grant_ends_lookups(client, reg, travel):
    travel.move_to(at(2026, 12, 31, 23))
    login(client, reg, "granted")
    assert client.get(reverse("incidents:lookup")).status_code == 200
    travel.move_to(at(2027, 1, 1, 0, 5))
    login(client, reg, "granted")
    assert client.get(reverse("incidents:lookup")).status_code == 403


# --- data protection ---------------------------------------------------------------------------------
def test_dpo_reads_the_log_without_narrative_and_inspects_with_a_reason(client, reg):
    login(client, reg, "granted")
    client.post(reverse("incidents:lookup"), {"case_number": CASE, "purpose": "Termin am 09.06. um 10 Uhr"})
    login(client, reg, "dpo")
    body = client.get(reverse("incidents:log")).content.decode()
    assert "Termin am 09.06. um 10 Uhr" in body and "granted" in body
    assert NARRATIVE not in body and NAME not in body and CASE not in body
    url = reverse("incidents:inspect", args=[reg.report.pk])
    assert NARRATIVE not in client.get(url).content.decode()
    response = client.post(url, {"reason": "kurz"})
    assert response.status_code == 400 and "mindestens 20 Zeichen" in response.content.decode()
    response = client.post(url, {"reason": "Beschwerde der betroffenen Person vom 01.06.2026"})
    assert response.status_code == 200 and NARRATIVE in response.content.decode()
    assert LogEntry.objects.get(action="inspection").purpose.startswith("Beschwerde")


def test_art15_export_page_and_json(client, reg):
    login(client, reg, "dpo")
    url = reverse("incidents:export")
    response = client.post(url, {"name": "", "birth_date": "1980-02-30"})
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["Bitte geben Sie den Namen an."]
    bad_json = client.post(url, {"name": NAME, "birth_date": "", "format": "json"})
    assert bad_json.status_code == 400 and "birth_date" in bad_json.json()["errors"]
    page = client.post(url, {"name": NAME, "birth_date": "29.02.1980", "note": "Antrag vom 01.06.2026, DS-4"})
    body = page.content.decode()
    assert page.status_code == 200 and reg.entry.reference in body and NAME in body
    download = client.post(
        url,
        {"name": NAME, "birth_date": "1980-02-29", "note": "Antrag vom 01.06.2026, DS-4", "format": "json"},
    )
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    data = json.loads(download.content)
    assert data["entries"][0]["complaint_file_number"] == "StA 7 Js 1234/26"
    assert data["reports"][0]["reference"] == reg.report.reference
    assert LogEntry.objects.filter(action="export").count() == 2
    response = client.post(reverse("incidents:delete", args=[reg.entry.pk]), {"reason": "request"})
    assert response.status_code == 302 and not Entry.objects.filter(pk=reg.entry.pk).exists()


def test_staff_navigation_shows_the_register(client, reg):
    login(client, reg, "caseworker")
    body = client.get(reverse("core:staff_home")).content.decode()
    assert reverse("incidents:new_report") in body and reverse("incidents:home") in body
    login(client, reg, "professional")
    assert reverse("incidents:home") not in client.get(reverse("directory:home")).content.decode()


def test_report_form_in_english(client, reg):
    login(client, reg, "caseworker")
    body = client.get(reverse("incidents:new_report"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Report an incident" in body and "Armed attack or extreme situation" in body
    assert "Level 2 – threat, coercion, physical violence" in body
    client.get(reverse("incidents:new_report"), HTTP_ACCEPT_LANGUAGE="de")  # leave German active


def test_keeper_corrects_an_entry_and_the_log_keeps_no_values(client, reg):
    login(client, reg, "register_keeper2")
    url = reverse("incidents:correct", args=[reg.entry.pk])
    page = client.get(url).content.decode()
    assert f'value="{NAME}"' in page and 'value="1980-02-29"' in page
    data = {
        "name": "Jürgen Müller",
        "birth_date": "1980-02-29",
        "case_number": CASE,
        "level": "3",
        "measures": ["security"],
        "measures_note": "",
        "review_on": "2027-03-01",
        "note": "",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert response.context["form"].errors["note"] == ["Bitte nennen Sie den Anlass der Berichtigung."]
    assert 'value="Jürgen Müller"' in response.content.decode()
    response = client.post(url, {**data, "note": "Schreibweise laut Ausweis"})
    assert response.status_code == 302
    corrected = Entry.objects.get(pk=reg.entry.pk)
    assert (
        corrected.name == "Jürgen Müller" and corrected.level == 3 and corrected.review_on == date(2027, 3, 1)
    )
    row = LogEntry.objects.get(action="entry_corrected")
    assert "Müller" not in row.note and row.note.startswith("name, level, measures, review_on")
