"""The desktop agent for real, under Xvfb: two PCs (one X display each) with an agent process
enrolled with the server's one-time codes; on PC A another X application (the "case-management
software") has the keyboard focus, xdotool presses the hotkey there → the alarm is stored with A's
room → agent B's alarm window appears on PC B (screenshot in test-results/) → B's "Ich komme"
reaches A. A USB panic button/foot pedal
mapped to a key (Pause) goes through the same key path. Skips only where Xvfb/xdotool/ImageMagick
are not installed (``make test`` installs them: ``make xvfb``)."""

from __future__ import annotations

import stat
import time

import pytest

from buergerkontakt.alarms import devices
from buergerkontakt.alarms.models import Alarm, Delivery
from buergerkontakt.core.models import Role, Room
from tests.agent.xdesk import Agent, Display, missing_tools, other_application, wait_for
from tests.alarms.device_builders import workstation
from tests.factories import make_user
from tests.liveserver import LiveServer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.skipif(bool(missing_tools()), reason=f"Xvfb/xdotool/ImageMagick not installed "
                       f"({', '.join(missing_tools())} missing): run `make xvfb`"),
]


@pytest.fixture
def desks():
    pc_a = Display()
    pc_a.start()
    pc_b = Display()
    pc_b.start()
    yield pc_a, pc_b
    pc_b.stop()
    pc_a.stop()


@pytest.fixture
def server(tmp_path):
    live = LiveServer(tmp_path / "mail")
    live.mail_dir.mkdir(parents=True)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def two_desks(org):
    """Caseworker at PC 1.10 (agent A), a colleague next door at PC 1.11 (agent B)."""
    next_door = Room.objects.create(floor=org.room.floor, number="1.11")
    org.room.neighbours.add(next_door)
    next_door.neighbours.add(org.room)
    colleague = make_user("nachbar", org.authority, Role.CASEWORKER, scope=org.team)
    ws_a = workstation(org, person=org.users["caseworker"])
    ws_b = workstation(org, room=next_door, name="PC 1.11", person=colleague)
    device_a, code_a = devices.create_device(org.authority, workstation=ws_a, name="Agent PC 1.10")
    device_b, code_b = devices.create_device(org.authority, workstation=ws_b, name="Agent PC 1.11")
    return org, colleague, (device_a, code_a), (device_b, code_b)


def _enrol(agent: Agent, server: LiveServer, code: str, *config: str) -> None:
    result = agent.cli("enrol", "--server", server.url, "--code", code)
    assert result.returncode == 0, result.stderr
    assert "Raum 1.1" in result.stdout
    token_file = agent.home / "token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token_file.read_text().startswith("bkd_")
    if config:
        assert agent.cli("config", *config).returncode == 0


def test_hotkey_on_agent_a_shows_agent_b_the_alarm_and_bs_answer_reaches_a(two_desks, desks, server,
                                                                              tmp_path):
    org, colleague, (device_a, code_a), (device_b, code_b) = two_desks
    pc_a, pc_b = desks
    a = Agent(pc_a, tmp_path / "agent-a", tmp_path / "agent-a.log")
    b = Agent(pc_b, tmp_path / "agent-b", tmp_path / "agent-b.log")
    _enrol(a, server, code_a)
    # B's foot pedal is programmed to send Pause (on Windows F13–F24 are usual; under X11 a pedal's
    # F13 arrives as XF86Tools – docs/alarm-agent.md).
    _enrol(b, server, code_b, "--button-key", "<pause>", "--button-guard", "none")
    try:
        a.start("--windowed")
        b.start("--windowed")
        for agent in (a, b):
            wait_for(lambda agent=agent: agent.state().get("connected"), 30, what="agent connected")
        apps = [other_application(pc_a), other_application(pc_b)]
        busy_a, busy_b = pc_a.window("Fachverfahren"), pc_b.window("Fachverfahren")
        for pc, busy in ((pc_a, busy_a), (pc_b, busy_b)):
            pc.run("xdotool", "windowfocus", "--sync", busy)
            wait_for(lambda pc=pc, busy=busy: pc.focused() == busy, what="focus on the other application")

        # One press is guarded against (default: press the combination twice).
        pc_a.key("ctrl+alt+a")
        time.sleep(2.0)
        assert not Alarm.objects.exists()
        assert pc_a.focused() == busy_a

        pc_a.run("xdotool", "key", "--delay", "250", "ctrl+alt+a", "ctrl+alt+a")
        alarm = wait_for(lambda: Alarm.objects.filter(device=device_a).first(), what="alarm stored")
        assert (alarm.room, alarm.raised_by, alarm.workstation) == (
            org.room, org.users["caseworker"], device_a.workstation)

        # Agent B's window is on PC B's screen (topmost) and counts as seen.
        window_b = pc_b.window(r"ALARM.*1\.10")
        wait_for(lambda: alarm.pk in b.state().get("shown", []), what="B's window shown")
        wait_for(lambda: Delivery.objects.filter(alarm=alarm, user=colleague, seen_at__isnull=False).exists(),
                 what="B's delivery seen")
        assert pc_b.screenshot("agent-b-alarm-window.png").stat().st_size > 10_000

        # B answers "Ich komme" with the keyboard (Alt+I) in its alarm window; A is told.
        pc_b.run("xdotool", "windowfocus", "--sync", window_b)
        pc_b.key("alt+i")
        wait_for(lambda: Delivery.objects.filter(alarm=alarm, user=colleague, response="coming").exists(),
                 what="B's answer stored")
        wait_for(lambda: "coming" in a.state().get("own", {}).get(str(alarm.pk), {}).get("responses", []),
                 what="A told that B is coming")
        pc_a.screenshot("agent-a-status-coming.png")
        assert not Alarm.objects.filter(device=device_b).exists()  # nothing pressed at B yet

        # The foot pedal/USB button at B's desk sends its key: same key path, alarm from B's room to A.
        pc_b.run("xdotool", "windowfocus", "--sync", busy_b)
        pc_b.key("Pause")
        pedal = wait_for(lambda: Alarm.objects.filter(device=device_b).first(), what="pedal alarm stored")
        assert pedal.room.number == "1.11" and pedal.raised_by == colleague
        pc_a.window(r"ALARM.*1\.11")
        wait_for(lambda: pedal.pk in a.state().get("shown", []), what="A's window for the pedal alarm")
        pc_a.screenshot("agent-a-pedal-alarm-window.png")
        assert Alarm.objects.count() == 2
        for app in apps:
            app.terminate()
    finally:
        for agent in (a, b):
            agent.stop()


def test_a_raise_made_while_offline_is_queued_told_and_sent_once_the_server_is_back(two_desks, server,
                                                                                     tmp_path):
    org, _colleague, (device_a, code_a), _b = two_desks
    pc = Display()
    pc.start()
    a = Agent(pc, tmp_path / "agent-a", tmp_path / "agent-a.log")
    _enrol(a, server, code_a, "--guard", "none")
    try:
        a.start("--windowed")
        wait_for(lambda: a.state().get("connected"), 30, what="agent connected")
        server.stop()
        server.process.wait(10)
        wait_for(lambda: a.state().get("connected") is False, 30, what="agent notices the server is gone")
        pc.key("ctrl+alt+a")
        wait_for(lambda: a.state().get("queued") == 1, what="raise queued")
        status = pc.window("Status$")
        assert status
        pc.screenshot("agent-offline-queued.png")
        assert not Alarm.objects.exists()

        server.start()
        alarm = wait_for(lambda: Alarm.objects.filter(device=device_a).first(), 40, what="queued alarm sent")
        assert alarm.room == org.room
        wait_for(lambda: a.state().get("queued") == 0, what="queue empty")
        time.sleep(1.0)
        assert Alarm.objects.count() == 1  # sent once
    finally:
        a.stop()
        pc.stop()
