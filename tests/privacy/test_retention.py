"""The deletion concept, with time travel: each category is purged on its Berlin day – at the first
run after midnight in Berlin, which is still the previous day in UTC – and not a second before."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from buergerkontakt.alarms.models import TimelineEvent
from buergerkontakt.appointments.models import Appointment
from buergerkontakt.callbacks.models import Attempt
from buergerkontakt.callbacks.models import Ticket as CallbackTicket
from buergerkontakt.incidents.models import Report
from buergerkontakt.privacy import services
from buergerkontakt.privacy.tasks import apply_retention_task
from buergerkontakt.waitlist.models import Entry
from buergerkontakt.walkin.models import Ticket as WalkInTicket
from tests.reports import builders as b

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(y, m, d, hh=0, mm=0, ss=0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=BERLIN)


def last_moment_before(day: date) -> datetime:
    return berlin(day.year, day.month, day.day) - timedelta(seconds=1)


def first_moment_of(day: date) -> datetime:
    return berlin(day.year, day.month, day.day, 0, 0, 1)


def test_appointment_details_removed_on_the_30th_berlin_day_after_the_visit(org):
    # 00:30 in Berlin on 10 March is still 9 March in UTC: the Berlin day counts.
    visit = b.appointment(org.location, berlin(2026, 3, 10, 0, 30), Appointment.Status.COMPLETED,
                          name="Erika Muster")
    Appointment.objects.filter(pk=visit.pk).update(phone="+4915112345678", case_number="AZ-1",
                                                   note="bringt Unterlagen", wheelchair=True)
    due = date(2026, 4, 9)  # 10 March + 30 days

    services.apply_retention(now=last_moment_before(due))
    visit.refresh_from_db()
    assert (visit.name, visit.email, visit.phone, visit.case_number) == (
        "Erika Muster", visit.email, "+4915112345678", "AZ-1")
    assert visit.email

    services.apply_retention(now=first_moment_of(due))
    visit.refresh_from_db()
    assert (visit.name, visit.email, visit.phone, visit.case_number, visit.note, visit.person_key) == (
        "", "", "", "", "", "")
    assert visit.wheelchair is False
    # the row stays, with everything the statistics count
    assert (visit.status, visit.start, visit.location_id) == (
        Appointment.Status.COMPLETED, berlin(2026, 3, 10, 0, 30), org.location.pk)


def test_future_and_recent_appointments_keep_their_details(org):
    recent = b.appointment(org.location, berlin(2026, 3, 20, 9), Appointment.Status.COMPLETED)
    services.apply_retention(now=berlin(2026, 4, 9, 12))
    recent.refresh_from_db()
    assert recent.name == "Erika Muster"


def test_walkin_emergency_reason_removed_on_the_7th_day(org):
    queue = b.queue(org.location)
    ticket = b.walkin(queue, date(2026, 3, 10), wait=60, serve=300)
    WalkInTicket.objects.filter(pk=ticket.pk).update(kind=WalkInTicket.Kind.EMERGENCY,
                                                     emergency_reason="Frau Muster hat Schmerzen")
    services.apply_retention(now=last_moment_before(date(2026, 3, 17)))
    ticket.refresh_from_db()
    assert ticket.emergency_reason == "Frau Muster hat Schmerzen"
    services.apply_retention(now=first_moment_of(date(2026, 3, 17)))
    ticket.refresh_from_db()
    assert ticket.emergency_reason == "–"
    assert (ticket.wait_seconds, ticket.service_seconds, ticket.kind) == (60, 300, "emergency")


def test_callback_details_removed_30_days_after_closing_open_ones_never(org):
    closed = b.callback(org.team, berlin(2026, 3, 1, 9), berlin(2026, 3, 3, 18),
                        [berlin(2026, 3, 10, 23, 30)], status=CallbackTicket.Status.SOLVED)
    Attempt.objects.filter(ticket=closed).update(note="Frau sagt, Herr Anrufer ist krank")
    still_open = b.callback(org.team, berlin(2026, 1, 5, 9), berlin(2026, 1, 7, 18))
    due = date(2026, 4, 9)  # closed 10 March (Berlin, 22:30 UTC) + 30 days

    services.apply_retention(now=last_moment_before(due))
    closed.refresh_from_db()
    assert closed.caller_name == "Karl Anrufer"

    services.apply_retention(now=first_moment_of(due))
    closed.refresh_from_db()
    still_open.refresh_from_db()
    assert (closed.caller_name, closed.phone, closed.email, closed.topic) == ("", "", "", "")
    assert closed.attempts.get().note == ""
    assert closed.attempts_made == 1 and closed.due_at == berlin(2026, 3, 3, 18)
    assert still_open.caller_name == "Karl Anrufer"


def _entry(org, closed_at, status=Entry.Status.EXPIRED) -> Entry:
    return Entry.objects.create(authority=org.authority, date_from=date(2026, 3, 1),
                                date_until=date(2026, 3, 10), name="Erika Muster",
                                email="erika@example.org", phone="+4915112345678", status=status,
                                closed_at=closed_at)


def test_waitlist_entry_details_removed_at_expiry_active_ones_kept(org):
    entry = _entry(org, None, status=Entry.Status.ACTIVE)  # its range ends on 10 March
    services.apply_retention(now=berlin(2026, 3, 10, 23, 59))
    entry.refresh_from_db()
    assert entry.name == "Erika Muster"
    # the hourly expiry task closes it after midnight; the next retention run removes the details
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.EXPIRED, closed_at=berlin(2026, 3, 11, 0, 5))
    services.apply_retention(now=berlin(2026, 3, 11, 0, 6))
    entry.refresh_from_db()
    assert (entry.name, entry.email, entry.phone) == ("", "", "")
    assert (entry.date_from, entry.status) == (date(2026, 3, 1), Entry.Status.EXPIRED)


def test_waitlist_period_of_one_day_counts_berlin_days(org, settings):
    settings.PRIVACY_WAITLIST_DAYS = 1
    entry = _entry(org, berlin(2026, 3, 11, 0, 5))  # 10 March, 23:05 UTC
    services.apply_retention(now=last_moment_before(date(2026, 3, 12)))
    entry.refresh_from_db()
    assert entry.name == "Erika Muster"
    services.apply_retention(now=first_moment_of(date(2026, 3, 12)))
    entry.refresh_from_db()
    assert entry.name == ""


def test_mail_and_sms_files_deleted_14_days_after_writing(org, settings):
    settings.MAIL_FILE_PATH.mkdir()
    settings.SMS_FILE_PATH.mkdir()
    mail = settings.MAIL_FILE_PATH / "20260310-mail.log"
    sms = settings.SMS_FILE_PATH / "20260310-sms.txt"
    mail.write_text("To: erika@example.org\n\nIhr Termin\n")
    sms.write_text("To: +4915112345678\n\nIhr Termin\n")
    written = berlin(2026, 3, 10, 0, 30).timestamp()
    for path in (mail, sms):
        os.utime(path, (written, written))
    services.apply_retention(now=last_moment_before(date(2026, 3, 24)))
    assert mail.exists() and sms.exists()
    services.apply_retention(now=first_moment_of(date(2026, 3, 24)))
    assert not mail.exists() and not sms.exists()


def test_alarm_timelines_pseudonymised_after_six_months_unless_reported(org):
    security = org.users["security"]
    alarms = []
    for _ in range(2):
        alarm = b.alarm(org.location, org.room, org.users["caseworker"], berlin(2026, 3, 31, 0, 30),
                        drill=False, deliveries=[(security, 120, 30)])
        alarm.place = "Raum 1.10 – Person: Case Worker"
        alarm.save(update_fields=["place"])
        TimelineEvent.objects.create(alarm=alarm, kind="coming", at=alarm.raised_at, user=security,
                                     detail="Security Test kommt")
        alarms.append(alarm)
    reported, plain = alarms
    Report.objects.create(authority=org.authority, location=org.location, reported_by=org.users["caseworker"],
                          occurred_at=reported.raised_at, level=1, alarm=reported)
    due = date(2026, 9, 30)  # 31 March + 6 months: the last day of September
    services.apply_retention(now=last_moment_before(due))
    assert TimelineEvent.objects.filter(alarm=plain, user=security).exists()
    services.apply_retention(now=first_moment_of(due))
    plain.refresh_from_db()
    assert plain.place == ""
    assert list(plain.timeline.values_list("user", "detail")) == [(None, "")]
    assert plain.deliveries.get().latency_ms == 120  # the response statistics stay
    assert TimelineEvent.objects.filter(alarm=reported, user=security).exists()


def test_the_task_runs_on_the_scheduler_and_is_idempotent(org):
    from buergerkontakt.core import scheduler

    assert scheduler.task_name(apply_retention_task) in scheduler.registered()
    visit = b.appointment(org.location, berlin(2026, 3, 10, 9), Appointment.Status.NO_SHOW)
    with time_machine.travel(berlin(2026, 4, 9, 0, 0, 30), tick=False):
        first = apply_retention_task.enqueue().return_value
        second = apply_retention_task.enqueue().return_value
    assert first["appointments"] == 1
    assert second["appointments"] == 0
    visit.refresh_from_db()
    assert visit.name == ""


@pytest.mark.parametrize("hour", [0, 1, 12, 23])
def test_purge_is_the_same_at_any_hour_of_the_due_day(org, hour):
    visit = b.appointment(org.location, berlin(2026, 10, 24, 9), Appointment.Status.COMPLETED)
    # 23 November; the clocks changed to winter time in between
    services.apply_retention(now=berlin(2026, 11, 23, hour, 30))
    visit.refresh_from_db()
    assert visit.name == ""


def test_alarms_without_a_timeline_are_done_in_one_pass(org):
    """An alarm with no timeline rows left must not be picked again and again (the batch loop ends)."""
    for _ in range(5):
        alarm = b.alarm(org.location, org.room, org.users["caseworker"], berlin(2026, 1, 5, 10), drill=True)
        alarm.place = "Raum 1.10 – Person: Case Worker"
        alarm.save(update_fields=["place"])
    assert services.apply_retention(now=berlin(2026, 7, 5, 0, 1))["alarms"] == 5
    assert services.apply_retention(now=berlin(2026, 7, 5, 0, 2))["alarms"] == 0


def test_call_numbers_removed_on_the_30th_day_after_the_call(org):
    from buergerkontakt.telephony.models import Call

    call = Call.objects.create(authority=org.authority, call_id="pbx-1", number="+4915123456789",
                               started_at=berlin(2026, 3, 10, 0, 30))  # 9 March in UTC
    due = date(2026, 4, 9)
    services.apply_retention(now=last_moment_before(due))
    call.refresh_from_db()
    assert call.number == "+4915123456789"
    services.apply_retention(now=first_moment_of(due))
    call.refresh_from_db()
    assert call.number == "" and call.started_at == berlin(2026, 3, 10, 0, 30)
