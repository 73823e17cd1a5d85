"""Callback services against the database: creating, attempts and their schedule, the written
notice, pausing the clock, escalation, first-contact solutions and bad input."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.db import IntegrityError

from buergerkontakt.callbacks import services
from buergerkontakt.callbacks.exceptions import InvalidPhone, TicketClosed, UnknownTeam
from buergerkontakt.callbacks.models import (
    CallbackPolicy,
    FirstContact,
    Outcome,
    Pause,
    Ticket,
    TicketEvent,
    Urgency,
)
from buergerkontakt.callbacks.scheduling import day_part

from .builders import MONDAY_10, at, build_office

# Messages are sent on commit: real transactions.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def office(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    return build_office()


def sms_texts(settings) -> list[str]:
    folder = settings.SMS_FILE_PATH
    return [p.read_text() for p in sorted(folder.glob("*.txt"))] if folder.exists() else []


def create(office, now=MONDAY_10, **fields):
    values = {
        "caller_name": "Erika Ärger",
        "phone": "0151 23456789",
        "topic": "Frage zum Bescheid",
        "by": office.org.users["agent"],
        "now": now,
    }
    values.update(fields)
    return services.create_ticket(office.org.authority, **values)


def test_create_routes_and_sets_deadline_and_first_attempt(office, settings):
    ticket = create(office, email="erika@example.org")
    assert ticket.team == office.org.team and ticket.assignee == office.org.users["caseworker"]
    assert ticket.phone == "+4915123456789"
    assert ticket.number.startswith("R-") and len(ticket.number) == 9
    assert ticket.due_at == at(2026, 6, 10, 15)  # normal: end of the second working day
    assert ticket.warn_at == at(2026, 6, 10, 10, 15)
    assert ticket.next_attempt_at == MONDAY_10
    assert ticket.events.get().kind == TicketEvent.Kind.CREATED
    assert len(mail.outbox) == 1 and ticket.number in mail.outbox[0].body
    assert "/rueckruf/" in mail.outbox[0].body
    texts = sms_texts(settings)
    assert len(texts) == 1 and ticket.number in texts[0]


@pytest.mark.parametrize(
    "urgency, due",
    [
        (Urgency.NORMAL, at(2026, 6, 10, 15)),
        (Urgency.URGENT, at(2026, 6, 8, 15)),
        (Urgency.EMERGENCY, at(2026, 6, 8, 12)),
    ],
)
def test_deadline_by_urgency(office, urgency, due):
    assert create(office, urgency=urgency).due_at == due


def test_deadlines_are_configurable_per_authority(office):
    CallbackPolicy.objects.create(
        authority=office.org.authority, normal_working_days=5, emergency_working_minutes=60
    )
    assert create(office).due_at == at(2026, 6, 15, 15)
    assert create(office, urgency=Urgency.EMERGENCY).due_at == at(2026, 6, 8, 11)


def test_created_outside_office_hours(office):
    saturday = at(2026, 6, 13, 11)
    ticket = create(office, now=saturday, urgency=Urgency.URGENT, prefers_morning=False)
    assert ticket.due_at == at(2026, 6, 15, 15)
    assert ticket.next_attempt_at == at(2026, 6, 15, 12)  # the first afternoon slot on Monday


def test_landline_gets_no_sms(office, settings):
    create(office, phone="069 1234567")
    assert sms_texts(settings) == []


@pytest.mark.parametrize(
    "phone",
    ["", "abc", "0000", "123", "+49 1", "069", "0151 2345678901234567890", "+999 1234567", "<script>"],
)
def test_invalid_phone_numbers_are_refused_in_german(office, phone):
    with pytest.raises(InvalidPhone, match="gültige Telefonnummer"):
        create(office, phone=phone)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "phone, e164",
    [
        ("069 1234567", "+49691234567"),
        ("(0151) 234 567 89", "+4915123456789"),
        ("+43 1 5131234", "+4315131234"),
        ("0049 30 12345678", "+493012345678"),
    ],
)
def test_phone_numbers_are_normalised(office, phone, e164):
    assert create(office, phone=phone).phone == e164


def test_no_rule_matches_needs_a_team(office):
    with pytest.raises(services.InvalidInput, match="Namen"):
        create(office, caller_name="  ", case_number="99")
    with pytest.raises(UnknownTeam, match="kein Team zuständig"):
        create(office, caller_name="12", case_number="99")  # "12" is no letter range
    ticket = create(office, caller_name="12", team=office.org.second_team)
    assert ticket.team == office.org.second_team


def test_team_of_another_authority_is_refused(office):
    with pytest.raises(UnknownTeam, match="anderen Behörde"):
        create(office, team=office.org.other_team)


def test_not_reached_schedules_a_different_time_of_day_and_tells_the_caller(office, settings):
    ticket = create(office, email="erika@example.org")
    mail.outbox.clear()
    first = services.log_attempt(
        ticket, Outcome.NOT_REACHED, by=office.org.users["caseworker"], now=at(2026, 6, 8, 10, 5)
    )
    ticket.refresh_from_db()
    assert ticket.is_open and ticket.attempts_made == 1
    assert first.next_attempt_at == ticket.next_attempt_at
    assert day_part(ticket.next_attempt_at, services.team_calendar(ticket.team, MONDAY_10)) == "afternoon"
    assert ticket.next_attempt_at == at(2026, 6, 8, 12, 15)  # ≥ 2 h later and in the afternoon
    assert len(mail.outbox) == 1 and "nicht erreicht" in mail.outbox[0].body
    assert "12:15" in mail.outbox[0].body
    assert any("nicht erreicht" in text for text in sms_texts(settings))

    second = services.log_attempt(
        ticket, Outcome.VOICEMAIL, by=office.org.users["caseworker"], now=at(2026, 6, 8, 12, 20)
    )
    # both day parts tried: at least two hours from 10:05 and 12:20 by the clock → 14:30
    assert second.next_attempt_at == at(2026, 6, 8, 14, 30)


def test_after_the_last_attempt_the_caller_is_told_in_writing(office, settings):
    ticket = create(office, email="erika@example.org")
    worker = office.org.users["caseworker"]
    moments = [at(2026, 6, 8, 10, 5), at(2026, 6, 8, 12, 30), at(2026, 6, 9, 9)]
    for moment in moments:
        services.log_attempt(ticket, Outcome.NOT_REACHED, by=worker, now=moment)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.UNREACHABLE and ticket.next_attempt_at is None
    assert ticket.closed_at == moments[-1]
    assert "3-mal versucht" in ticket.notice_text and "069 1234-100" in ticket.notice_text
    assert mail.outbox[-1].subject == "Wir konnten Sie telefonisch nicht erreichen"
    assert "069 1234-100" in mail.outbox[-1].body
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.NOTICE).count() == 1
    with pytest.raises(TicketClosed):
        services.log_attempt(ticket, Outcome.NOT_REACHED, by=worker, now=at(2026, 6, 9, 12))


def test_at_least_two_attempts(office):
    with pytest.raises(IntegrityError):
        CallbackPolicy.objects.create(authority=office.org.authority, max_attempts=1)


def test_two_attempts_when_configured(office):
    CallbackPolicy.objects.create(authority=office.org.authority, max_attempts=2)
    ticket = create(office)
    services.log_attempt(ticket, Outcome.NOT_REACHED, by=None, now=at(2026, 6, 8, 10, 5))
    ticket.refresh_from_db()
    assert ticket.is_open
    services.log_attempt(ticket, Outcome.NOT_REACHED, by=None, now=at(2026, 6, 8, 13))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.UNREACHABLE


def test_wrong_number_closes_without_sms(office, settings):
    ticket = create(office)
    before = len(sms_texts(settings))
    services.log_attempt(ticket, Outcome.WRONG_NUMBER, by=None, now=at(2026, 6, 8, 10, 5))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.UNREACHABLE and ticket.notice_text
    assert len(sms_texts(settings)) == before


@pytest.mark.parametrize("outcome", [Outcome.REACHED_SOLVED, Outcome.REACHED_FOLLOWUP])
def test_reached_closes_the_ticket(office, outcome):
    ticket = create(office)
    services.log_attempt(ticket, outcome, by=None, note="Bescheid erklärt", now=at(2026, 6, 8, 10, 5))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and ticket.attempts.get().note == "Bescheid erklärt"


def test_pause_and_resume_move_the_deadline_and_are_audited(office):
    ticket = create(office, urgency=Urgency.EMERGENCY)
    assert ticket.due_at == at(2026, 6, 8, 12)
    services.pause_clock(
        ticket,
        "Bürgerin reicht Kontoauszug nach",
        by=office.org.users["caseworker"],
        now=at(2026, 6, 8, 10, 30),
    )
    ticket.refresh_from_db()
    assert ticket.is_paused and ticket.due_at is None
    services.resume_clock(ticket, "Unterlagen da", by=office.org.users["caseworker"], now=at(2026, 6, 9, 9))
    ticket.refresh_from_db()
    assert not ticket.is_paused and ticket.due_at == at(2026, 6, 9, 10, 30)
    pause = Pause.objects.get()
    assert pause.reason == "Bürgerin reicht Kontoauszug nach" and pause.resume_reason == "Unterlagen da"
    assert LogEntry.objects.get_for_object(pause).count() == 2  # created, then ended
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds == ["created", "paused", "resumed"]


def test_pause_needs_a_reason_and_cannot_be_doubled(office):
    ticket = create(office)
    with pytest.raises(services.InvalidInput, match="Grund"):
        services.pause_clock(ticket, "  ", by=None)
    services.pause_clock(ticket, "Rückfrage", by=None, now=at(2026, 6, 8, 11))
    with pytest.raises(services.CallbackError, match="bereits angehalten"):
        services.pause_clock(ticket, "nochmal", by=None, now=at(2026, 6, 8, 12))


def test_escalation_warns_and_then_reports_the_breach_once(office):
    ticket = create(office, urgency=Urgency.EMERGENCY)  # warn 11:30, due 12:00
    mail.outbox.clear()
    assert services.escalate_due(now=at(2026, 6, 8, 11)) == 0
    assert services.escalate_due(now=at(2026, 6, 8, 11, 31)) == 1
    assert services.escalate_due(now=at(2026, 6, 8, 11, 45)) == 0
    assert [m.to for m in mail.outbox] == [["lead1@example.org"]]
    assert ticket.number in mail.outbox[0].subject and "Erika" not in mail.outbox[0].body
    assert services.escalate_due(now=at(2026, 6, 8, 12, 1)) == 1
    assert services.escalate_due(now=at(2026, 6, 8, 13)) == 0
    assert mail.outbox[-1].subject.startswith("Rückruffrist überschritten")
    ticket.refresh_from_db()
    assert ticket.warned_at and ticket.breached_at
    assert list(ticket.events.values_list("kind", flat=True)) == ["created", "warned", "breached"]


def test_paused_and_closed_tickets_are_not_escalated(office):
    paused = create(office, urgency=Urgency.EMERGENCY)
    services.pause_clock(paused, "wartet", by=None, now=at(2026, 6, 8, 10, 10))
    solved = create(office, urgency=Urgency.EMERGENCY)
    services.log_attempt(solved, Outcome.REACHED_SOLVED, by=None, now=at(2026, 6, 8, 10, 20))
    assert services.escalate_due(now=at(2026, 6, 9, 12)) == 0


def test_first_contact_keeps_no_personal_data(office):
    services.log_first_contact(
        office.org.authority, agent=office.org.users["agent"], topic="Öffnungszeiten", now=MONDAY_10
    )
    row = FirstContact.objects.get()
    assert row.topic == "Öffnungszeiten" and not Ticket.objects.exists()
    assert {f.name for f in FirstContact._meta.fields}.isdisjoint({"caller_name", "phone", "email"})


def test_reassign_within_the_team_only(office):
    ticket = create(office)
    services.reassign(ticket, office.deputy, by=office.org.users["teamlead"])
    ticket.refresh_from_db()
    assert ticket.assignee == office.deputy
    services.reassign(ticket, None, by=office.org.users["teamlead"])
    ticket.refresh_from_db()
    assert ticket.assignee is None
    with pytest.raises(services.InvalidInput, match="nicht zum zuständigen Team"):
        services.reassign(ticket, office.second_worker, by=office.org.users["teamlead"])


def test_callback_windows_follow_the_team_hours(office):
    windows = services.callback_windows(office.org.team, now=at(2026, 6, 12, 11, 30), days=2)
    pairs = [(w.start, w.end) for w in windows]
    assert pairs == [
        (at(2026, 6, 12, 14), at(2026, 6, 12, 15)),  # at least an hour ahead; the rest of the day
        (at(2026, 6, 15, 8), at(2026, 6, 15, 10)),  # Saturday and Sunday have no hours
        (at(2026, 6, 15, 10), at(2026, 6, 15, 12)),
        (at(2026, 6, 15, 12), at(2026, 6, 15, 14)),
        (at(2026, 6, 15, 14), at(2026, 6, 15, 15)),
    ]
