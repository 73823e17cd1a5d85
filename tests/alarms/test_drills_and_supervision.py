"""Drills (Probealarm) and supervision with a controllable clock: planned and manual drills raise
alarms marked as drills, end by themselves, and yield a receipt/response report; workstations
offline during opening hours are reported to security once per offline spell."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from buergerkontakt.alarms import queries, services
from buergerkontakt.alarms.models import Alarm, Drill, Workstation
from buergerkontakt.alarms.services import AlarmError
from buergerkontakt.core.models import Role, Room
from tests.appointments.builders import at
from tests.factories import make_user

pytestmark = pytest.mark.django_db

MONDAY_9 = at(2026, 6, 8, 9, 0)  # the test locations open Mo–Do 07:30–16:30


def later(minutes: float = 0, seconds: float = 0):
    return MONDAY_9 + timedelta(minutes=minutes, seconds=seconds)


@pytest.fixture
def site(org):
    neighbour_room = Room.objects.create(floor=org.room.floor, number="1.11")
    org.room.neighbours.add(neighbour_room)
    neighbour = make_user("nachbar", org.authority, Role.CASEWORKER, scope=org.team,
                          workstation_room=neighbour_room)
    security = org.users["security"]
    security.email = "sicherheit@example.org"
    security.save()
    return org, neighbour, security


# --- drills -------------------------------------------------------------------------------------------
def test_manual_drill_raises_a_marked_alarm_at_once_and_reports_receipt_and_response(site):
    org, neighbour, security = site
    guard = make_user("wache2", org.authority, Role.SECURITY, scope=org.location)
    drill = services.plan_drill(security, org.room, level=2, note="angekündigt", now=MONDAY_9)
    alarm = drill.alarm
    assert alarm is not None and alarm.is_drill and alarm.room == org.room and alarm.level == 2
    # Recipients as if raised in room 1.10: the neighbour, security (the planner too, so that the
    # drill measures security's receipt) and the team lead of the case worker working there.
    assert {d.user.username: d.role for d in alarm.deliveries.select_related("user")} == {
        "nachbar": "neighbour", "wache2": "security", "security": "security", "teamlead": "lead"}

    services.confirm_receipt(alarm.pk, neighbour, now=later(seconds=0.040))
    services.confirm_receipt(alarm.pk, guard, now=later(seconds=0.120))
    services.respond(alarm.pk, neighbour, "coming", now=later(seconds=20))
    services.respond(alarm.pk, neighbour, "on_site", now=later(seconds=75))
    report = queries.response_report(alarm)
    assert (report.recipients, report.received, report.received_percent) == (4, 2, 50)
    assert report.receipt_p50_ms == pytest.approx(40) and report.receipt_max_ms == pytest.approx(120)
    assert report.coming == 1 and report.on_site == 1
    assert report.first_coming_s == 75.0  # the latest answer ("Vor Ort") replaced "Ich komme"
    assert report.first_on_site_s == 75.0
    assert sorted(row["latency_ms"] is not None for row in report.rows) == [False, False, True, True]


def test_report_of_an_alarm_nobody_received():
    report = queries.ResponseReport()
    assert report.received_percent == 0 and report.receipt_p50_ms is None


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [([], 0.5, None), ([7.0], 0.95, 7.0), ([1, 2, 3, 4], 0.5, 2), ([5, 1, 4, 2, 3], 0.95, 5),
     (list(range(1, 101)), 0.95, 95)],
)
def test_nearest_rank(values, share, expected):
    assert queries.nearest_rank(values, share) == expected


def test_planned_drill_starts_when_due_and_ends_by_itself(site, settings):
    org, _neighbour, security = site
    settings.ALARM_DRILL_MINUTES = 10
    drill = services.plan_drill(security, org.room, level=1, at=later(minutes=30), now=MONDAY_9)
    assert drill.alarm is None and drill.state == "planned"
    assert services.run_drills(now=later(minutes=29)) == (0, 0)
    assert services.run_drills(now=later(minutes=30)) == (1, 0)
    drill.refresh_from_db()
    assert drill.state == "running" and drill.alarm.is_drill and drill.alarm.level == 1
    assert services.run_drills(now=later(minutes=31)) == (0, 0)  # started once only
    assert services.run_drills(now=later(minutes=40)) == (0, 1)
    drill.refresh_from_db()
    assert drill.state == "done" and drill.alarm.status == Alarm.Status.RESOLVED
    assert drill.alarm.timeline.last().detail == "Probealarm automatisch beendet"


def test_real_alarms_never_end_by_themselves(site, settings):
    org, _neighbour, _security = site
    alarm = services.raise_alarm(org.users["caseworker"], level=2, now=MONDAY_9)
    services.run_drills(now=later(minutes=600))
    alarm.refresh_from_db()
    assert alarm.is_active


def test_cancelled_drill_never_starts(site):
    org, _neighbour, security = site
    drill = services.plan_drill(security, org.room, at=later(minutes=5), now=MONDAY_9)
    services.cancel_drill(drill, security, now=later(minutes=1))
    assert services.run_drills(now=later(minutes=10)) == (0, 0)
    assert not Alarm.objects.exists()
    with pytest.raises(AlarmError, match="läuft schon oder ist beendet"):
        services.cancel_drill(drill, security)


@pytest.mark.parametrize("role", ["caseworker", "teamlead", "admin", "other_admin"])
def test_only_security_of_the_location_plans_drills(site, role):
    org, _neighbour, _security = site
    with pytest.raises(AlarmError) as error:
        services.plan_drill(org.users[role], org.room, now=MONDAY_9)
    assert error.value.status_code == 403


def test_drill_in_the_past_is_refused(site):
    org, _neighbour, security = site
    with pytest.raises(AlarmError, match="Vergangenheit"):
        services.plan_drill(security, org.room, at=later(minutes=-10), now=MONDAY_9)


def test_fallback_sms_of_a_drill_says_so(site, settings, tmp_path, django_capture_on_commit_callbacks):
    org, _neighbour, security = site
    settings.SMS_BACKEND, settings.SMS_FILE_PATH = "log", tmp_path
    security.alarm_mobile = "0151 23456789"
    security.save()
    drill = services.plan_drill(security, org.room, level=2, now=MONDAY_9)
    # Nobody confirms receipt, so the drill escalates and texts security like a real alarm.
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate(drill.alarm, now=later(seconds=settings.ALARM_ESCALATE_SECONDS))
    texts = [p.read_text() for p in tmp_path.glob("*.txt")]
    assert texts and all("PROBEALARM – ALARM Stufe 2" in t for t in texts)


# --- supervision --------------------------------------------------------------------------------------
def test_offline_during_opening_hours_warns_security_once(site, settings, django_capture_on_commit_callbacks):
    org, neighbour, _security = site
    settings.ALARM_OFFLINE_WARN_MINUTES = 10
    settings.ALARM_OFFLINE_SECONDS = 25
    online, _ = services.register_workstation(org.users["caseworker"], org.room, "PC 1.10")
    gone, _ = services.register_workstation(neighbour, neighbour.workstation_room, "PC 1.11")
    Workstation.objects.filter(pk__in=[online.pk, gone.pk]).update(registered_at=later(minutes=-60))
    services.connected(online.pk, org.users["caseworker"], now=later(minutes=-5))
    services.connected(gone.pk, neighbour, now=later(minutes=-5))

    # Five minutes without a heartbeat: offline on the console, but not yet a warning.
    services.heartbeat(online.pk, now=MONDAY_9)
    assert services.offline_warnings(now=MONDAY_9) == []
    services.heartbeat(online.pk, now=later(minutes=5, seconds=30))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.offline_warnings(now=later(minutes=5, seconds=40)) == [gone.pk]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sicherheit@example.org"]
    assert "1 Arbeitsplatz nicht erreichbar" in message.subject
    assert "Raum 1.11" in message.body and "PC 1.11" in message.body
    assert "Nachbar" not in message.body  # rooms and PCs, no person

    # Once per offline spell; reconnecting starts a new one.
    services.heartbeat(online.pk, now=later(minutes=29))
    assert services.offline_warnings(now=later(minutes=30)) == []
    services.connected(gone.pk, neighbour, now=later(minutes=31))
    services.disconnected(gone.pk)
    services.heartbeat(online.pk, now=later(minutes=40))
    assert services.offline_warnings(now=later(minutes=42)) == [gone.pk]


def test_no_warning_outside_opening_hours_or_right_after_opening(site, settings):
    org, _neighbour, _security = site
    settings.ALARM_OFFLINE_WARN_MINUTES = 10
    ws, _ = services.register_workstation(org.users["caseworker"], org.room, "PC")
    Workstation.objects.filter(pk=ws.pk).update(registered_at=later(minutes=-60 * 24 * 30))
    assert services.offline_warnings(now=at(2026, 6, 8, 6, 0)) == []  # before opening
    assert services.offline_warnings(now=at(2026, 6, 8, 7, 35)) == []  # opened 5 minutes ago
    assert services.offline_warnings(now=at(2026, 6, 7, 11, 0)) == []  # Sunday
    assert services.offline_warnings(now=at(2026, 6, 8, 7, 41)) == [ws.pk]


def test_never_connected_workstation_is_warned_about_too(site, settings):
    """The "nine months without a working PC alarm" case: registered, never heard of."""
    org, _neighbour, _security = site
    ws, _ = services.register_workstation(org.users["caseworker"], org.room, "PC")
    Workstation.objects.filter(pk=ws.pk).update(registered_at=later(minutes=-60 * 24 * 270))
    assert services.offline_warnings(now=MONDAY_9) == [ws.pk]
    assert Drill.objects.count() == 0
