"""KPI sections computed from real rows with known times and outcomes (no mocks, SQLite or
PostgreSQL): Berlin days, empty periods, deadline breaches at midnight, drills apart from real alarms,
and the team lead's scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from buergerkontakt.appointments.models import Appointment
from buergerkontakt.callbacks.models import Ticket
from buergerkontakt.reports import queries
from buergerkontakt.reports.kpis import Period
from buergerkontakt.walkin.models import Ticket as WalkInTicket
from tests.factories import make_user

from . import builders as b

pytestmark = pytest.mark.django_db

NOW = b.berlin(2026, 6, 20, 12)
JUNE = Period(date(2026, 6, 1), date(2026, 6, 19))
S = Appointment.Status


def row(table, label_day: date) -> dict:
    return next(r for r in table.rows if r["bucket"] == label_day)


def whole(org) -> queries.ReportScope:
    return queries.scope_for(org.users["admin"])


# --- appointments ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "day"),
    [
        (b.utc(2026, 6, 10, 23, 30), date(2026, 6, 11)),  # 01:30 Berlin
        (b.utc(2026, 6, 10, 21, 59), date(2026, 6, 10)),  # 23:59 Berlin
        (b.berlin(2026, 6, 11, 0, 0), date(2026, 6, 11)),
    ],
)
def test_appointments_count_on_their_berlin_day(org, start, day):
    b.appointment(org.location, start, S.COMPLETED)
    table = queries.appointments_section(whole(org), JUNE, NOW).table("termine")
    assert row(table, day)["booked"] == 1
    assert sum(r["booked"] for r in table.rows) == 1


def test_appointment_counts_and_no_show_rate(org):
    day = b.berlin(2026, 6, 10, 9)
    for state, times in (
        (S.COMPLETED, 6),
        (S.CHECKED_IN, 1),
        (S.NO_SHOW, 3),
        (S.CANCELLED, 2),
        (S.HELD, 4),
        (S.EXPIRED, 1),
        (S.PENDING_CONFIRMATION, 1),
    ):
        for _ in range(times):
            b.appointment(org.location, day, state)
    section = queries.appointments_section(whole(org), JUNE, NOW)
    r = row(section.table("termine"), date(2026, 6, 10))
    # holds, expired and unconfirmed bookings are not bookings
    assert (r["booked"], r["cancelled"], r["no_show"], r["attended"]) == (12, 2, 3, 7)
    assert r["no_show_rate"] == pytest.approx(30.0)
    assert [t.value for t in section.tiles][:2] == ["12", "2"]


def test_empty_period_has_rows_without_values(org):
    b.appointment(org.location, b.berlin(2026, 5, 31, 23, 59), S.NO_SHOW)  # the day before
    section = queries.appointments_section(whole(org), JUNE, NOW)
    table = section.table("termine")
    assert len(table.rows) == 19
    assert all(r["booked"] == 0 and r["no_show_rate"] is None for r in table.rows)
    assert section.tiles[2].value == "–"


def test_next_free_slot_per_service(org):
    from buergerkontakt.appointments import services
    from tests.appointments.builders import add_schedule, make_group, make_service

    service = make_service(org.authority, "personalausweis", 15, locations=(org.location,))
    group = make_group(org.authority, "pass", (service,), min_days_ahead=1, max_days_ahead=30)
    add_schedule(group, org.location, "08:00", "09:00", weekday=2)  # Wednesdays
    services.materialize_slots(group, org.location, date(2026, 6, 20), date(2026, 7, 20))
    table = queries.next_free_table({org.location.pk}, NOW)  # Saturday 20 June
    assert table.rows == [
        {
            "service": service.name,
            "location": org.location.name,
            "location_short": "Mitte",
            "day": date(2026, 6, 24),
            "days": 4,
        }
    ]
    assert queries.next_free_table({org.second_location.pk}, NOW).rows == []


# --- walk-in -------------------------------------------------------------------------------------
def test_walkin_median_and_p90_per_day_and_queue(org):
    q = b.queue(org.location)
    waits = [60, 120, 300, 600, 3000]
    for wait in waits:
        b.walkin(q, date(2026, 6, 10), wait=wait, serve=wait // 2)
    b.walkin(q, date(2026, 6, 10), wait=None, status=WalkInTicket.Status.CANCELLED)
    b.walkin(q, date(2026, 6, 11), wait=900, status=WalkInTicket.Status.MISSED)
    section = queries.walkin_section(whole(org), JUNE)
    r = row(section.table("wartezeiten"), date(2026, 6, 10))
    assert (r["issued"], r["done"], r["missed"]) == (6, 5, 0)
    assert r["wait_median"] == pytest.approx(5.0)  # 300 s
    assert r["wait_p90"] == pytest.approx(50.0)  # 3000 s, nearest rank
    assert r["service_median"] == pytest.approx(2.5)
    assert row(section.table("wartezeiten"), date(2026, 6, 11))["missed"] == 1
    (queue_row,) = section.table("wartezeiten-schlangen").rows
    assert queue_row["issued"] == 7 and queue_row["wait_median"] == pytest.approx(7.5)  # 300 and 900


# --- callbacks -----------------------------------------------------------------------------------
MIDNIGHT = b.berlin(2026, 6, 11)  # deadline: end of 10 June


@pytest.mark.parametrize(
    ("first_attempt", "met", "breached", "pending"),
    [
        (MIDNIGHT - timedelta(minutes=1), 1, 0, 0),
        (MIDNIGHT, 1, 0, 0),
        (MIDNIGHT + timedelta(seconds=30), 0, 1, 0),  # just after midnight: breached
        (None, 0, 1, 0),  # never called, deadline passed
    ],
)
def test_callback_deadline_at_midnight(org, first_attempt, met, breached, pending):
    attempts = [first_attempt] if first_attempt else []
    b.callback(org.team, b.berlin(2026, 6, 8, 10), MIDNIGHT, attempts)
    section = queries.callbacks_section(whole(org), JUNE, NOW)
    r = row(section.table("rueckrufe"), date(2026, 6, 8))
    assert (r["met"], r["breached"], r["pending"]) == (met, breached, pending)
    assert r["compliance"] == (100.0 if met else 0.0)


def test_callback_compliance_counts_by_berlin_day_and_skips_running_deadlines(org):
    # created 23:30 UTC on 9 June = 01:30 on 10 June in Berlin
    b.callback(org.team, b.utc(2026, 6, 9, 23, 30), b.berlin(2026, 6, 12, 16), [b.berlin(2026, 6, 10, 9)])
    b.callback(org.team, b.berlin(2026, 6, 10, 9), b.berlin(2026, 6, 10, 11), [b.berlin(2026, 6, 10, 12)])
    b.callback(
        org.team, b.berlin(2026, 6, 10, 10), b.berlin(2026, 6, 10, 11), [b.berlin(2026, 6, 10, 10, 30)]
    )
    b.callback(org.team, b.berlin(2026, 6, 10, 10), b.berlin(2026, 6, 22, 16))  # deadline ahead of NOW
    b.callback(org.team, b.berlin(2026, 6, 10, 10), None)  # paused
    table = queries.callbacks_section(whole(org), JUNE, NOW).table("rueckrufe")
    assert row(table, date(2026, 6, 9))["tickets"] == 0
    r = row(table, date(2026, 6, 10))
    assert (r["tickets"], r["met"], r["breached"], r["pending"]) == (5, 2, 1, 2)
    assert r["compliance"] == pytest.approx(200 / 3)


def test_attempts_per_closed_ticket(org):
    day = b.berlin(2026, 6, 10, 9)
    for count in (1, 1, 2, 3, 5):
        calls = [day + timedelta(hours=i + 1) for i in range(count)]
        b.callback(org.team, day, day + timedelta(days=1), calls, status=Ticket.Status.SOLVED)
    b.callback(org.team, day, day + timedelta(days=1), [day + timedelta(hours=1)])  # open: not counted
    section = queries.callbacks_section(whole(org), JUNE, NOW)
    rows = {r["attempts"]: r["tickets"] for r in section.table("rueckrufe-versuche").rows}
    assert (rows["1"], rows["2"], rows["3"], rows["4 und mehr"]) == (2, 1, 1, 1)
    assert section.tiles[2].value == "2,4"  # (1 + 1 + 2 + 3 + 5) / 5


def test_first_contact_rate(org):
    agent = org.users["agent"]
    for hour in (9, 10, 11):
        b.first_contact(org.authority, b.berlin(2026, 6, 10, hour), agent=agent)
    b.callback(org.team, b.berlin(2026, 6, 10, 12), None, created_by=agent)
    b.callback(org.team, b.berlin(2026, 6, 10, 12), None, created_by=agent, channel="online")  # not a call
    b.first_contact(org.other_authority, b.berlin(2026, 6, 10, 9))  # another authority
    table = queries.callbacks_section(whole(org), JUNE, NOW).table("erstkontakt")
    r = row(table, date(2026, 6, 10))
    assert (r["first_contact"], r["phone_tickets"], r["rate"]) == (3, 1, 75.0)


# --- alarms --------------------------------------------------------------------------------------
def test_alarm_receipt_and_response_times_real_and_drill_apart(org):
    users = [make_user(f"kollege{i}", org.authority) for i in range(4)]
    raiser = org.users["caseworker"]
    b.alarm(
        org.location,
        org.room,
        raiser,
        b.berlin(2026, 6, 10, 10),
        drill=False,
        deliveries=[(users[0], 40, 20), (users[1], 80, 30), (users[2], None, None), (users[3], 200, None)],
    )
    b.alarm(
        org.location,
        org.room,
        raiser,
        b.berlin(2026, 6, 12, 10),
        drill=True,
        deliveries=[(users[0], 500, 90), (users[1], 700, None)],
    )
    real, drill = queries.alarms_section(whole(org), JUNE).table("alarme").rows
    assert (real["alarms"], real["deliveries"], real["responses"]) == (1, 4, 2)
    assert real["received_share"] == 75.0
    assert real["receipt_median"] == 80 and real["receipt_p90"] == 200
    assert real["response_median"] == 25.0
    assert (drill["alarms"], drill["deliveries"], drill["receipt_median"], drill["response_p90"]) == (
        1,
        2,
        600,
        90,
    )


# --- scope ---------------------------------------------------------------------------------------
def test_team_lead_scope_is_their_team_and_its_location(org):
    scope = queries.scope_for(org.users["teamlead"])
    assert scope.team_ids == {org.team.pk}
    assert scope.location_ids == {org.location.pk}
    assert not scope.authority_ids
    admin = queries.scope_for(org.users["admin"])
    assert admin.location_ids == {org.location.pk, org.second_location.pk}
    assert admin.team_ids == {org.team.pk, org.second_team.pk}
    for role in ("caseworker", "agent", "security", "dpo", "register_keeper", "professional"):
        assert queries.scope_for(org.users[role]).is_empty


def test_team_lead_sees_no_data_of_another_team_or_location(org):
    day = b.berlin(2026, 6, 10, 9)
    b.callback(org.team, day, day + timedelta(hours=2), [day + timedelta(hours=1)])
    b.callback(org.second_team, day, day + timedelta(hours=2), [day + timedelta(hours=3)])
    b.appointment(org.location, day, S.COMPLETED)
    b.appointment(org.second_location, day, S.NO_SHOW)
    b.walkin(b.queue(org.second_location), date(2026, 6, 10), wait=999)
    scope = queries.scope_for(org.users["teamlead"])
    sections = {s.key: s for s in queries.dashboard(scope, JUNE, NOW)}
    cb = row(sections["rueckrufe"].table("rueckrufe"), date(2026, 6, 10))
    assert (cb["tickets"], cb["met"], cb["breached"]) == (1, 1, 0)
    ap = row(sections["termine"].table("termine"), date(2026, 6, 10))
    assert (ap["booked"], ap["no_show"]) == (1, 0)
    assert sum(r["issued"] for r in sections["wartezeiten"].table("wartezeiten").rows) == 0


@pytest.mark.parametrize(
    ("scope_of", "locations", "teams"),
    [
        ("team", {"location"}, {"team"}),
        ("location", {"second_location"}, {"second_team"}),
        ("authority", {"location", "second_location"}, {"team", "second_team"}),
    ],
)
def test_scope_follows_the_role_assignment(org, scope_of, locations, teams):
    target = {"team": org.team, "location": org.second_location, "authority": None}[scope_of]
    lead = make_user("lead_" + scope_of, org.authority, "teamlead", scope=target)
    scope = queries.scope_for(lead)
    assert scope.location_ids == {getattr(org, name).pk for name in locations}
    assert scope.team_ids == {getattr(org, name).pk for name in teams}
    assert org.other_location.pk not in scope.location_ids
