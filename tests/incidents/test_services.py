"""Register rules against the real database: encryption at rest, keyed hashes, four eyes, access,
lookups and their log, deletion on acquittal, retention with a controllable clock, Art. 15."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, connection, transaction

from buergerkontakt.incidents import crypto, services, stats
from buergerkontakt.incidents.models import Entry, LogEntry, Report
from buergerkontakt.incidents.services import IncidentError
from buergerkontakt.incidents.tasks import purge_expired_task

from .builders import BIRTH, CASE, NAME, NOW, at, build_register, entry, grant, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def reg():
    return build_register()


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# --- encryption and hashing ------------------------------------------------------------------------
def test_names_are_normalised_before_hashing():
    assert crypto.normalise_name("  Jürgen   MÜLLER-Weiß ") == "juergen mueller weiss"
    assert crypto.normalise_name("Jurgen Muller") != crypto.normalise_name("Jürgen Müller")
    assert crypto.name_hash("JUERGEN mueller") == crypto.name_hash("Jürgen  Müller")
    assert crypto.normalise_name("José Ñúñez") == "jose nunez"
    assert crypto.case_hash("123 a 456-789") == crypto.case_hash(CASE)
    assert crypto.person_hash(NAME, BIRTH) != crypto.person_hash(NAME, date(1980, 3, 1))
    assert crypto.person_hash(NAME, None) == "" and crypto.case_hash(" - ") == ""


def test_raw_rows_hold_no_plaintext_identifiers(reg, travel):
    created_report = report(reg)
    created_entry = entry(reg)
    services.lookup(reg.keeper, purpose="Termin am 09.06. um 10 Uhr", name=NAME, birth_date=BIRTH)
    needles = [
        "müller",
        "mueller",
        "jürgen",
        "juergen",
        "1980-02-29",
        "29.02.1980",
        CASE.lower(),
        "7 js 1234",
        "drohte",
    ]
    tables = [Entry._meta.db_table, Report._meta.db_table, LogEntry._meta.db_table]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (fixed table names)
            rows = cursor.fetchall()
            assert rows, table
            dump = repr(rows).casefold()
            for needle in needles:
                assert needle not in dump, (table, needle)
        cursor.execute(f"SELECT name, birth_date_value, case_number FROM {Entry._meta.db_table}")  # noqa: S608
        name, birth, case = cursor.fetchone()
    assert name.startswith("gAAAAA") and birth.startswith("gAAAAA") and case.startswith("gAAAAA")
    # the ORM reads the plaintext back
    assert Entry.objects.get(pk=created_entry.pk).name == NAME
    assert Entry.objects.get(pk=created_entry.pk).birth_date == BIRTH
    assert Report.objects.get(pk=created_report.pk).person_case_number == CASE


def test_the_generated_key_file_is_private_and_reused(reg, settings):
    crypto.encrypt("x")
    assert settings.INCIDENT_KEY_FILE.stat().st_mode & 0o077 == 0
    token = crypto.encrypt("Probe")
    assert crypto.decrypt(token) == "Probe"


# --- reports ---------------------------------------------------------------------------------------
def test_report_notifies_team_lead_and_keepers_without_narrative(
    reg, travel, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        created = report(reg, narrative="Geheimer Ablauf: Herr X schlug mit der Faust auf den Tisch.")
    recipients = {address for message in mail.outbox for address in message.bcc}
    assert {"lead@example.org", "zentrale1@example.org", "zentrale2@example.org"} <= recipients
    for message in mail.outbox:
        assert "Faust" not in message.body and NAME not in message.body and CASE not in message.body
        assert f"/mitarbeiter/vorfaelle/meldungen/{created.pk}/" in message.body
    assert LogEntry.objects.filter(action=LogEntry.Action.REPORT_CREATED, report_id=created.pk).exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"narrative": "   "}, "Bitte geben Sie was passiert ist an."),
        ({"types": []}, "Bitte wählen Sie mindestens eine Art des Vorfalls."),
        ({"complaint_file_number": ""}, "Bitte geben Sie das Aktenzeichen der Strafanzeige an."),
        ({"occurred_at": at(2026, 6, 9, 10)}, "Der Zeitpunkt liegt in der Zukunft."),
        ({"level": 4}, "Bitte wählen Sie eine Stufe von 0 bis 3."),
    ],
)
def test_incomplete_reports_are_refused(reg, travel, fields, message):
    with pytest.raises(IncidentError) as info:
        report(reg, **fields)
    assert info.value.message == message
    assert not Report.objects.exists()


def test_room_must_belong_to_the_location(reg, travel):
    with pytest.raises(IncidentError, match="Raum gehört nicht"):
        report(reg, room=reg.room)


# --- entries: level, complaint, four eyes -----------------------------------------------------------
def test_entry_needs_level_two_and_a_criminal_complaint(reg, travel):
    with pytest.raises(IncidentError, match="nur ab Stufe 2"):
        entry(reg, level=1)
    with pytest.raises(IncidentError, match="Strafanzeige voraus"):
        entry(reg, complaint_file_number="  ")
    assert not Entry.objects.exists()


def test_only_a_second_keeper_approves(reg, travel):
    pending = entry(reg, approve=False)
    assert pending.status == Entry.Status.PENDING
    with pytest.raises(IncidentError) as info:
        services.approve_entry(pending, reg.keeper)
    assert info.value.status_code == 403 and "Vier-Augen-Prinzip" in info.value.message
    for outsider in (reg.org.users["teamlead"], reg.org.users["dpo"], reg.other_keeper):
        with pytest.raises(IncidentError):
            services.approve_entry(pending, outsider)
    # pending entries answer no lookup
    assert (
        services.lookup(reg.keeper, purpose="Termin morgen 10 Uhr", name=NAME, birth_date=BIRTH).found
        is False
    )
    approved = services.approve_entry(pending, reg.keeper2)
    assert approved.status == Entry.Status.ACTIVE and approved.approved_by == reg.keeper2
    assert approved.expires_at == NOW + timedelta(days=730)
    with pytest.raises(IncidentError, match="bereits freigegeben"):
        services.approve_entry(approved, reg.keeper2)


def test_the_database_refuses_self_approval_and_low_levels(reg, travel):
    pending = entry(reg, approve=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(pk=pending.pk).update(status="active", approved_by=reg.keeper, approved_at=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(pk=pending.pk).update(level=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(pk=pending.pk).update(status="active")  # active without approval


def test_other_keepers_are_told_an_entry_waits(reg, travel, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        entry(reg, approve=False)
    assert [m.bcc for m in mail.outbox] == [["zentrale2@example.org"]]
    assert NAME not in mail.outbox[0].body


# --- access and lookups ----------------------------------------------------------------------------
def test_access_is_approved_by_the_team_lead_for_a_limited_time(reg, travel):
    worker = reg.org.users["caseworker"]
    requested = services.request_access(worker, reason="Beratungsgespräche", until=date(2027, 6, 1), now=NOW)
    with pytest.raises(IncidentError):
        services.decide_access(requested, worker, approve=True)  # never oneself
    with pytest.raises(IncidentError):
        services.decide_access(requested, reg.org.users["other_teamlead"], approve=True)
    with pytest.raises(IncidentError, match="höchstens 365 Tage"):
        services.decide_access(
            requested, reg.org.users["teamlead"], approve=True, valid_until=date(2027, 6, 9)
        )
    approved = services.decide_access(requested, reg.org.users["teamlead"], approve=True, now=NOW)
    assert approved.valid_until == date(2027, 6, 1)
    with pytest.raises(IncidentError, match="höchstens 365 Tage"):
        services.request_access(worker, reason="länger", until=date(2027, 6, 9), now=NOW)


def test_lookup_answers_minimally_and_is_logged_without_plaintext(reg, travel):
    created = entry(reg, measures_note="Termin nur vormittags")
    worker = reg.org.users["caseworker"]
    grant(reg, worker)
    hint = services.lookup(
        worker, purpose="Termin am 09.06. 10 Uhr, Raum 1.10", name="juergen mueller weiss", birth_date=BIRTH
    )
    assert hint.found and hint.level == 2
    assert hint.text == (
        "Hinweis vorhanden – Stufe 2 – empfohlene Maßnahmen: Gespräch nur zu zweit, "
        "Sicherheitsdienst informieren, Termin nur vormittags"
    )
    assert services.lookup(worker, purpose="Termin am 09.06. 11 Uhr", case_number="123-a-456789").found
    miss = services.lookup(worker, purpose="Termin am 09.06. 12 Uhr", name=NAME, birth_date=date(1981, 1, 1))
    assert not miss.found and miss.text == "kein Hinweis"
    rows = list(LogEntry.objects.filter(action=LogEntry.Action.LOOKUP).order_by("pk"))
    assert [r.result for r in rows] == ["hint", "hint", "no_hint"]
    assert rows[0].user == worker and rows[0].entry_id == created.pk
    assert rows[0].shown_purpose.startswith("Termin")
    assert rows[0].person_hash == created.person_hash and rows[1].case_hash == created.case_hash
    for row in rows:
        assert NAME.casefold() not in repr(row.__dict__).casefold() and CASE not in repr(row.__dict__)


def test_lookup_needs_a_purpose_and_an_identifier(reg, travel):
    worker = reg.org.users["caseworker"]
    with pytest.raises(IncidentError, match="Zweck der Abfrage"):
        services.lookup(worker, purpose="kurz", name=NAME, birth_date=BIRTH)
    with pytest.raises(IncidentError, match="Name und Geburtsdatum oder ein Aktenzeichen"):
        services.lookup(worker, purpose="Termin am Dienstag", name=NAME)
    assert not LogEntry.objects.filter(action=LogEntry.Action.LOOKUP).exists()


def test_entries_of_another_authority_never_answer(reg, travel):
    entry(reg)
    other = reg.org.users["other_teamlead"]
    assert not services.lookup(other, purpose="Termin am Dienstag", name=NAME, birth_date=BIRTH).found


# --- deletion, correction, retention ---------------------------------------------------------------
@pytest.mark.parametrize("outcome", ["acquitted", "dropped"])
def test_acquittal_or_dropped_proceedings_delete_the_entry_but_not_the_log(reg, travel, outcome):
    created = entry(reg)
    services.lookup(reg.keeper, purpose="Termin am Dienstag", name=NAME, birth_date=BIRTH)
    assert services.record_outcome(created, outcome, reg.keeper) is None
    assert not Entry.objects.filter(pk=created.pk).exists()
    deleted = LogEntry.objects.get(action=LogEntry.Action.ENTRY_DELETED, entry_id=created.pk)
    assert deleted.note == outcome and deleted.person_hash == "" and deleted.level == 2
    assert LogEntry.objects.filter(action=LogEntry.Action.LOOKUP, entry_id=created.pk).count() == 1
    assert not services.lookup(reg.keeper, purpose="Termin am Dienstag", name=NAME, birth_date=BIRTH).found


def test_conviction_keeps_the_entry(reg, travel):
    created = entry(reg)
    kept = services.record_outcome(created, "convicted", reg.keeper2)
    assert kept.proceedings == "convicted" and Entry.objects.filter(pk=created.pk).exists()


def test_correction_rehashes_and_is_logged_without_values(reg, travel):
    created = entry(reg)
    services.correct_entry(
        created,
        reg.keeper2,
        name="Jürgen Müller",
        birth_date=BIRTH,
        case_number="",
        level=3,
        measures=["second_exit"],
        note="Schreibweise laut Ausweis",
    )
    # identity and level changed: inactive until somebody other than keeper2 approves it again
    assert not services.lookup(reg.keeper, purpose="Termin am Dienstag", case_number=CASE).found
    services.approve_entry(created, reg.keeper)
    assert (
        services.lookup(
            reg.keeper, purpose="Termin am Dienstag", name="Juergen Mueller", birth_date=BIRTH
        ).level
        == 3
    )
    assert not services.lookup(reg.keeper, purpose="Termin am Dienstag", case_number=CASE).found
    row = LogEntry.objects.get(action=LogEntry.Action.ENTRY_CORRECTED)
    assert row.note.startswith("name, case_number, level, measures – erneute Freigabe erforderlich")
    assert "Müller" not in row.note


def test_entries_expire_after_two_years_with_the_daily_task(reg, settings):
    with time_machine.travel(NOW, tick=False) as clock:
        created = entry(reg)
        services.lookup(reg.keeper, purpose="Termin am Dienstag", name=NAME, birth_date=BIRTH)
        clock.move_to(NOW + timedelta(days=729))
        assert purge_expired_task.enqueue().return_value == {"entries": 0, "reports": 0, "logs": 0}
        assert services.lookup(reg.keeper, purpose="Termin am Mittwoch", case_number=CASE).found
        clock.move_to(NOW + timedelta(days=730, seconds=1))
        # expired entries answer no more even before the task ran
        assert not services.lookup(reg.keeper, purpose="Termin am Donnerstag", case_number=CASE).found
        result = purge_expired_task.enqueue().return_value
    assert result["entries"] == 1
    assert not Entry.objects.exists()
    assert LogEntry.objects.get(action=LogEntry.Action.ENTRY_DELETED).note == "expired"
    assert LogEntry.objects.filter(action=LogEntry.Action.LOOKUP, entry_id=created.pk).exists()


def test_retention_is_configurable_and_covers_pending_entries_reports_and_logs(reg, settings):
    settings.INCIDENT_ENTRY_RETENTION_DAYS = 10
    settings.INCIDENT_REPORT_RETENTION_DAYS = 20
    settings.INCIDENT_LOG_RETENTION_DAYS = 40
    settings.INCIDENT_PENDING_DAYS = 5
    with time_machine.travel(NOW, tick=False) as clock:
        active = entry(reg)
        pending = entry(reg, approve=False, name="Paula Pending")
        old_report = report(reg)
        clock.move_to(NOW + timedelta(days=6))
        assert services.purge_expired().entries == 1
        assert list(Entry.objects.values_list("pk", flat=True)) == [active.pk]
        assert LogEntry.objects.get(entry_id=pending.pk, action="entry_deleted").note == "pending_expired"
        clock.move_to(NOW + timedelta(days=21))
        result = services.purge_expired()
        assert (result.entries, result.reports) == (1, 1)
        assert not Report.objects.filter(pk=old_report.pk).exists()
        clock.move_to(NOW + timedelta(days=42))
        services.purge_expired()
        # only lines younger than 40 days remain (the deletions of day 6 and 21)
        assert LogEntry.objects.filter(at__lt=NOW + timedelta(days=2)).count() == 0
        assert LogEntry.objects.filter(action="entry_deleted").count() == 2


def test_dpo_deletes_on_request(reg, travel):
    created = entry(reg)
    with pytest.raises(IncidentError):
        services.delete_entry(created, reg.org.users["admin"], "request")
    services.delete_entry(created, reg.org.users["dpo"], "request")
    assert not Entry.objects.exists()
    assert LogEntry.objects.get(action="entry_deleted").user == reg.org.users["dpo"]


# --- data protection -------------------------------------------------------------------------------
def test_art15_export_has_everything_about_the_person_and_is_logged(reg, travel):
    created = entry(reg)
    report(reg)
    report(reg, person_name="Someone Else", person_birth_date=date(1990, 1, 1), person_case_number="")
    services.lookup(reg.keeper, purpose="Termin am Dienstag", name=NAME, birth_date=BIRTH)
    with pytest.raises(IncidentError):
        services.export_person(reg.keeper, reg.org.authority, name=NAME, birth_date=BIRTH)
    data = services.export_person(
        reg.org.users["dpo"],
        reg.org.authority,
        name="JUERGEN MUELLER WEISS",
        birth_date=BIRTH,
        request_note="Antrag vom 01.06.2026",
    )
    assert [e["reference"] for e in data["entries"]] == [created.reference]
    assert data["entries"][0]["name"] == NAME and data["entries"][0]["case_number"] == CASE
    assert len(data["reports"]) == 1 and data["reports"][0]["person_name"] == NAME
    assert [row["purpose"] for row in data["lookups"]] == ["Termin am Dienstag"]
    export_log = LogEntry.objects.get(action=LogEntry.Action.EXPORT)
    assert export_log.user == reg.org.users["dpo"] and "1 entries" in export_log.note


def test_inspection_needs_a_reason_and_is_logged(reg, travel):
    created = report(reg)
    with pytest.raises(IncidentError, match="mindestens 20 Zeichen"):
        services.log_inspection(reg.org.users["dpo"], created, "weil")
    with pytest.raises(IncidentError):
        services.log_inspection(reg.keeper, created, "Beschwerde der betroffenen Person vom 01.06.")
    row = services.log_inspection(
        reg.org.users["dpo"], created, "Beschwerde der betroffenen Person vom 01.06."
    )
    assert row.action == "inspection" and row.report_id == created.pk


def test_monthly_statistics_are_anonymised(reg, travel):
    for day, level in [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 3)]:
        report(reg, level=level, occurred_at=at(2026, 5, day, 10), complaint_file_number="X 1")
    report(reg, level=1, occurred_at=at(2026, 6, 1, 0, 30))  # Berlin time: June, though UTC says May
    report(reg, level=1, location=reg.org.second_location, room=None, occurred_at=at(2026, 5, 7, 10))
    # a range inside May and June is widened to the whole months
    rows = stats.monthly_summary([reg.org.location.pk], date(2026, 5, 20), date(2026, 6, 2), min_group=6)
    may, june = rows
    assert may["month"] == date(2026, 5, 1) and may["breakdown"]
    assert may["levels"] == {0: None, 1: 3, 2: None, 3: None}  # 0–2 all suppressed, 0 included
    assert may["total_shown"] is False and may["total"] is None
    assert june == {"month": date(2026, 6, 1), "breakdown": False, "levels": {}, "total": None,
                    "total_shown": True}  # one report, counted in June
    rows = stats.monthly_summary(
        [reg.org.location.pk, reg.org.second_location.pk], date(2026, 5, 1), date(2026, 5, 31),
        min_count=1, min_group=1,
    )
    assert rows[0]["levels"] == {0: None, 1: 4, 2: 2, 3: 1} and rows[0]["total_shown"] is False


def test_retention_task_is_scheduled_daily():
    from buergerkontakt.core import scheduler

    entry = scheduler.registered()[scheduler.task_name(purge_expired_task)]
    assert entry.interval == 24 * 3600
