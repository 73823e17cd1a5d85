"""Silent alarm services: recipients after the Aachener Modell, receipt latency, answers, grace
time, all-clear rights, escalation and supervision with a controllable clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from buergerkontakt.alarms import recipients, services
from buergerkontakt.alarms.models import Alarm, Delivery, TimelineEvent, Workstation
from buergerkontakt.alarms.services import AlarmError
from buergerkontakt.core.models import Floor, Role, Room
from tests.appointments.builders import at
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 8, 9, 0)


def later(seconds: float):
    return NOW + timedelta(seconds=seconds)


@pytest.fixture
def office(org):
    """Floor 1 with rooms 1.10 (trigger), 1.11 and 1.12 (neighbours), 1.20 (far end); floor 2 above."""
    floor = org.room.floor
    rooms = {n: Room.objects.create(floor=floor, number=n) for n in ("1.11", "1.12", "1.20")}
    rooms["1.10"] = org.room
    org.room.neighbours.add(rooms["1.11"], rooms["1.12"])
    upstairs = Floor.objects.create(location=org.location, name="2. OG", level=2)
    rooms["2.01"] = Room.objects.create(floor=upstairs, number="2.01")
    def worker(name, room, authority=org.authority):
        scope = org.team if authority == org.authority else None
        return make_user(name, authority, Role.CASEWORKER, scope=scope, workstation_room=rooms[room])

    people = {"left": worker("left", "1.11"), "right": worker("right", "1.12"), "far": worker("far", "1.20"),
              "up": worker("up", "2.01"), "stranger": worker("stranger", "1.12", org.other_authority)}
    org.users["security"].alarm_mobile = "0151 23456789"
    org.users["security"].save()
    return org, rooms, people


def who(alarm: Alarm) -> dict[str, tuple[str, int]]:
    return {d.user.username: (d.role, d.circle) for d in alarm.deliveries.select_related("user")}


def test_level_1_neighbours_and_team_lead_as_witnesses(office):
    org, _rooms, _people = office
    alarm = services.raise_alarm(org.users["caseworker"], level=1, now=NOW)
    assert who(alarm) == {"left": ("neighbour", 1), "right": ("neighbour", 1), "teamlead": ("lead", 2)}


def test_level_2_adds_security_first(office):
    org, _rooms, _people = office
    alarm = services.raise_alarm(org.users["caseworker"], level=2, now=NOW)
    assert who(alarm) == {"left": ("neighbour", 1), "right": ("neighbour", 1), "security": ("security", 1),
                          "teamlead": ("lead", 2)}
    # Never the trigger, never another authority's staff sharing the corridor.
    assert "caseworker" not in who(alarm) and "stranger" not in who(alarm)


def test_level_3_reaches_the_building_and_tells_them_to_avoid_the_room(office):
    from buergerkontakt.alarms.queries import instruction

    org, _rooms, _people = office
    alarm = services.raise_alarm(org.users["caseworker"], level=3, now=NOW)
    got = who(alarm)
    assert got["far"] == got["up"] == ("building", 2)
    assert got["security"] == ("security", 1)
    assert "Meiden Sie Raum 1.10" in instruction(3, "building", "1.10")
    assert "110" in instruction(3, "security", "1.10")


def test_without_configured_neighbours_the_same_floor_is_the_first_circle(office):
    org, rooms, _people = office
    org.room.neighbours.clear()
    assert set(recipients.neighbour_rooms(org.room)) == {rooms["1.11"].pk, rooms["1.12"].pk, rooms["1.20"].pk}


def test_alarm_is_stored_before_it_is_sent_and_receipt_measures_latency(
        office, django_capture_on_commit_callbacks):
    org, _rooms, people = office
    with django_capture_on_commit_callbacks() as pushes:
        alarm = services.raise_alarm(org.users["caseworker"], level=2, now=NOW)
        # Nothing is pushed inside the transaction; the rows exist first.
        assert pushes == [] and Delivery.objects.filter(alarm=alarm).count() == 4
    assert len(pushes) == 2  # circle 1 (neighbours, security) first, then the team lead
    delivery = services.confirm_receipt(alarm.pk, people["left"], now=later(0.012))
    assert delivery.latency_ms == pytest.approx(12, abs=0.01)
    again = services.confirm_receipt(alarm.pk, people["left"], now=later(5))
    assert again.latency_ms == pytest.approx(12, abs=0.01)  # the first receipt counts
    assert services.confirm_receipt(alarm.pk, people["far"], now=later(1)) is None  # not a recipient
    kinds = list(alarm.timeline.values_list("kind", flat=True))
    assert kinds == ["raised", "sent", "received"]


def test_responses_and_who_is_coming(office):
    from buergerkontakt.alarms.queries import responders

    org, _rooms, people = office
    alarm = services.raise_alarm(org.users["caseworker"], level=2, now=NOW)
    services.respond(alarm.pk, people["left"], "coming", now=later(3))
    services.respond(alarm.pk, org.users["security"], "on_site", now=later(40))
    assert [(r["name"], r["response"]) for r in responders(alarm.pk)] == [
        ("Left Test", "coming"), ("Security Test", "on_site")]
    with pytest.raises(AlarmError, match="nicht an Sie"):
        services.respond(alarm.pk, people["far"], "coming")
    with pytest.raises(AlarmError, match="Unbekannte Rückmeldung"):
        services.respond(alarm.pk, people["left"], "maybe")


def test_withdraw_only_by_the_trigger_within_the_grace_time(office, settings):
    settings.ALARM_GRACE_SECONDS = 10
    org, _rooms, people = office
    alarm = services.raise_alarm(org.users["caseworker"], level=2, now=NOW)
    with pytest.raises(AlarmError, match="Nur wer den Alarm ausgelöst hat"):
        services.withdraw(alarm, people["left"], now=later(2))
    late = services.raise_alarm(org.users["caseworker"], level=1, now=NOW)
    with pytest.raises(AlarmError, match="abgelaufen"):
        services.withdraw(late, org.users["caseworker"], now=later(11))
    done = services.withdraw(alarm, org.users["caseworker"], now=later(9))
    assert done.status == Alarm.Status.WITHDRAWN
    with pytest.raises(AlarmError, match="bereits beendet"):
        services.resolve(alarm, org.users["security"], now=later(12))


def test_all_clear_by_trigger_or_security_only(office):
    org, _rooms, people = office
    alarm = services.raise_alarm(org.users["caseworker"], level=2, now=NOW)
    with pytest.raises(AlarmError, match="Entwarnung geben können nur"):
        services.resolve(alarm, people["left"], now=later(60))
    assert services.resolve(alarm, org.users["security"], now=later(60)).status == Alarm.Status.RESOLVED
    own = services.raise_alarm(org.users["caseworker"], level=1, now=NOW)
    assert services.resolve(own, org.users["caseworker"], now=later(60)).status == Alarm.Status.RESOLVED


def test_unanswered_alarm_widens_floor_then_building_and_uses_the_fallback(
        office, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.ALARM_ESCALATE_SECONDS = 5
    settings.SMS_BACKEND = "log"
    settings.SMS_FILE_PATH = tmp_path
    org, _rooms, _people = office
    alarm = services.raise_alarm(org.users["caseworker"], level=1, now=NOW)
    assert services.escalate(alarm, now=later(4.9)) == 0  # not yet due
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalate(alarm, now=later(5)) == 1  # the floor: "far"
    alarm.refresh_from_db()
    assert (alarm.circle, alarm.fallback_sent_at) == (3, later(5))
    assert who(alarm)["far"] == ("floor", 3)
    assert services.escalate(alarm, now=later(7)) == 0  # 5 s after the widening, not before
    assert services.escalate(alarm, now=later(10)) == 2  # building and security: "up" and "security"
    assert services.escalate(alarm, now=later(20)) == 0
    kinds = list(alarm.timeline.values_list("kind", flat=True))
    assert kinds.count("escalated") == 2 and kinds.count("fallback") == 1 and "nobody" in kinds
    sms = list(Path(tmp_path).glob("*"))
    assert sms and "Raum 1.10" in sms[0].read_text()


def test_an_automatic_receipt_or_a_sighting_does_not_stop_the_escalation(office, settings):
    """Delivered (socket) and seen (visible page) are not an answer: nobody is coming yet."""
    settings.ALARM_ESCALATE_SECONDS = 5
    org, _rooms, people = office
    alarm = services.raise_alarm(org.users["caseworker"], level=1, now=NOW)
    services.confirm_receipt(alarm.pk, people["right"], now=later(0.02), visible=False)
    services.confirm_receipt(alarm.pk, people["left"], now=later(0.03), visible=True)
    services.mark_seen(alarm.pk, people["right"], now=later(1))
    assert services.needs_escalation(alarm.pk)
    assert services.escalate_due(now=later(5)) == 1  # the floor: "far"
    alarm.refresh_from_db()
    assert alarm.circle == 3 and alarm.fallback_sent_at == later(5)


def test_ich_komme_stops_the_escalation(office, settings):
    settings.ALARM_ESCALATE_SECONDS = 5
    org, _rooms, people = office
    alarm = services.raise_alarm(org.users["caseworker"], level=1, now=NOW)
    services.respond(alarm.pk, people["right"], "coming", now=later(2))
    assert not services.needs_escalation(alarm.pk)
    assert services.escalate_due(now=later(30)) == 0
    alarm.refresh_from_db()
    assert alarm.escalated_at is None and not TimelineEvent.objects.filter(kind="fallback").exists()


def test_kann_nicht_is_an_answer_but_the_escalation_goes_on(office, settings):
    from buergerkontakt.alarms.queries import trigger_status

    settings.ALARM_ESCALATE_SECONDS = 5
    org, _rooms, people = office
    alarm = services.raise_alarm(org.users["caseworker"], level=1, now=NOW)
    delivery = services.respond(alarm.pk, people["right"], "cannot", now=later(2))
    assert (delivery.response, delivery.responded_at, delivery.seen_at) == ("cannot", later(2), later(2))
    assert trigger_status(alarm.pk)["cannot"] == {"count": 1, "names": ["Right Test"]}
    assert services.escalate(alarm, now=later(5)) == 1
    assert list(alarm.timeline.filter(kind="cannot").values_list("user__username", flat=True)) == ["right"]


def test_delivered_seen_and_answered_are_separate_facts(office):
    org, _rooms, people = office
    alarm = services.raise_alarm(org.users["caseworker"], level=1, now=NOW)
    hidden = services.confirm_receipt(alarm.pk, people["left"], now=later(0.04), visible=False)
    assert (hidden.received_visibility, hidden.seen_at, hidden.response) == ("hidden", None, "")
    shown = services.confirm_receipt(alarm.pk, people["right"], now=later(0.05), visible=True)
    assert (shown.received_visibility, shown.seen_at) == ("visible", later(0.05))
    seen = services.mark_seen(alarm.pk, people["left"], now=later(9))
    assert seen.seen_at == later(9) and seen.received_at == later(0.04)  # the first of each counts
    assert services.mark_seen(alarm.pk, people["left"], now=later(12)).seen_at == later(9)
    # A sighting without an earlier receipt (the receipt got lost) is the receipt as well.
    lead = services.mark_seen(alarm.pk, org.users["teamlead"], now=later(3))
    assert (lead.received_at, lead.received_visibility) == (later(3), "visible")
    kinds = list(alarm.timeline.values_list("kind", "user__username"))
    assert kinds.count(("seen", "left")) == 1 and ("seen", "right") in kinds


def test_supervision_offline_after_the_limit(office, settings):
    settings.ALARM_OFFLINE_SECONDS = 25
    org, _rooms, _people = office
    workstation, token = services.register_workstation(org.users["caseworker"], org.room, "PC 1.10")
    assert services.workstation_for(token, org.users["caseworker"]) == workstation
    assert services.workstation_for(token, make_user("x", org.other_authority)) is None
    assert services.workstation_for("falsch") is None
    services.connected(workstation.pk, org.users["caseworker"], now=NOW)
    offline = Workstation.objects.filter(services.offline_q(later(25)))
    assert not offline.exists()
    services.heartbeat(workstation.pk, now=later(20))
    assert not Workstation.objects.filter(services.offline_q(later(45))).exists()
    assert Workstation.objects.filter(services.offline_q(later(45.1))).get() == workstation


def test_room_of_another_authority_cannot_be_registered(office):
    org, _rooms, _people = office
    far_floor = Floor.objects.create(location=org.other_location, name="EG")
    far_room = Room.objects.create(floor=far_floor, number="X")
    with pytest.raises(AlarmError, match="nicht zu Ihrer Behörde"):
        services.register_workstation(org.users["caseworker"], far_room, "")


def test_reachable_counts_online_recipients(office):
    from buergerkontakt.alarms.queries import reachable

    org, rooms, people = office
    assert reachable(org.users["caseworker"], None, now=NOW) == 0  # nobody online: the page warns
    ws, _ = services.register_workstation(people["left"], rooms["1.11"], "")
    services.connected(ws.pk, people["left"], now=NOW)
    assert reachable(org.users["caseworker"], None, now=later(1)) == 1


@pytest.mark.django_db(transaction=True)
def test_an_escalation_during_the_push_cannot_collide_with_the_raise(office, monkeypatch):
    """The layer hangs while a level-3 alarm is pushed and the periodic escalation runs meanwhile:
    every recipient of every circle is stored exactly once, nobody is lost."""
    from buergerkontakt.alarms import live

    org, _rooms, _people = office
    pushed = []
    original = live._push

    def push_while_the_escalation_runs(batches):
        if not pushed:
            services.escalate_due(now=later(60))
        pushed.append(batches)
        original(batches)

    monkeypatch.setattr(live, "_push", push_while_the_escalation_runs)
    expected = recipients.initial(org.room, 3, org.users["caseworker"])
    alarm = services.raise_alarm(org.users["caseworker"], level=3, now=NOW)
    stored = list(alarm.deliveries.values_list("user_id", flat=True))
    assert len(stored) == len(set(stored)) and {r.user_id for r in expected} <= set(stored)
    assert dict(alarm.deliveries.values_list("user__username", "role"))["far"] == "building"


def test_storing_a_delivery_twice_keeps_the_first(office):
    org, _rooms, people = office
    alarm = services.raise_alarm(org.users["caseworker"], level=1, now=NOW)
    again = [recipients.Recipient(people["left"].pk, recipients.FLOOR, 3)]
    services._store_deliveries(alarm, again, later(5))
    assert alarm.deliveries.filter(user=people["left"]).get().circle == 1


@pytest.mark.django_db(transaction=True)
def test_the_raising_process_escalates_on_its_own_timer_without_the_periodic_task(office, settings):
    """Raised from a page (no WebSocket, no task worker): the process's own timer widens the circle
    and sends the SMS; the periodic backstop running meanwhile changes nothing twice."""
    import time

    from buergerkontakt.alarms import escalation

    settings.ALARM_ESCALATION_TIMER = True
    settings.ALARM_ESCALATE_SECONDS = 1
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}  # no worker
    org, _rooms, _people = office
    try:
        alarm = services.raise_alarm(org.users["caseworker"], level=1)
        assert alarm.pk in escalation.timers
        deadline = time.monotonic() + 30
        while Alarm.objects.get(pk=alarm.pk).circle < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
            services.escalate_due()  # the backstop at any moment: idempotent with the timer
        alarm.refresh_from_db()
        assert alarm.circle == 4
        kinds = list(alarm.timeline.values_list("kind", flat=True))
        assert kinds.count("escalated") == 2 and kinds.count("fallback") == 1
        while alarm.pk in escalation.timers and time.monotonic() < deadline:
            time.sleep(0.05)  # nothing left to widen: the timer ends
        assert alarm.pk not in escalation.timers
    finally:
        escalation.cancel_all()


def test_timer_is_off_when_the_setting_says_so(office, settings, django_capture_on_commit_callbacks):
    from buergerkontakt.alarms import escalation

    settings.ALARM_ESCALATION_TIMER = False
    org, _rooms, _people = office
    with django_capture_on_commit_callbacks(execute=True):
        alarm = services.raise_alarm(org.users["caseworker"], level=1)
    assert alarm.pk not in escalation.timers
