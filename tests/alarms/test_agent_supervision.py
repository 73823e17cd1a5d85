"""Supervision and administration of desktop agents: security is warned once per offline spell
about agents silent during opening hours (like browsers' workstations); the console lists agents
with version and last heartbeat; the admin creates a device (code shown once), shows each
workstation's agent version, heartbeat and room, and revokes devices – admins only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from buergerkontakt.alarms import devices
from buergerkontakt.alarms.devices import Device
from buergerkontakt.alarms.workplace import Workplace
from tests.alarms.device_builders import workstation
from tests.appointments.builders import at

pytestmark = pytest.mark.django_db

MONDAY_9 = at(2026, 6, 8, 9, 0)


def later(**kwargs):
    return MONDAY_9 + timedelta(**kwargs)


@pytest.fixture
def agent(org, settings):
    settings.ALARM_OFFLINE_WARN_MINUTES = 10
    settings.ALARM_OFFLINE_SECONDS = 25
    org.users["security"].email = "sicherheit@example.org"
    org.users["security"].save()
    ws = workstation(org, person=org.users["caseworker"])
    device, code = devices.create_device(org.authority, workstation=ws, name="Agent PC 1.10",
                                         created_by=org.users["admin"])
    device, _token = devices.enrol(code, version="1.0.0", now=later(minutes=-60))
    return org, device


def test_a_silent_agent_during_opening_hours_is_reported_once_per_spell(
        agent, django_capture_on_commit_callbacks):
    _org, device = agent
    devices.heartbeat(device, now=later(minutes=-5))
    assert devices.offline_agent_warnings(now=MONDAY_9) == []  # silent for 5 minutes: not yet
    with django_capture_on_commit_callbacks(execute=True):
        assert devices.offline_agent_warnings(now=later(minutes=6)) == [device.pk]
    [message] = mail.outbox
    assert "Desktop-Agent an 1 Arbeitsplatz nicht erreichbar" in message.subject
    assert "Raum 1.10" in message.body and "PC 1.10" in message.body
    assert "Caseworker" not in message.body and "caseworker" not in message.body  # no person
    assert devices.offline_agent_warnings(now=later(minutes=20)) == []  # once per spell
    devices.heartbeat(device, now=later(minutes=21))  # back: a new spell may be reported
    assert devices.offline_agent_warnings(now=later(minutes=40)) == [device.pk]


def test_no_agent_warning_outside_opening_hours_or_for_revoked_agents(agent):
    _org, device = agent
    assert devices.offline_agent_warnings(now=at(2026, 6, 7, 11, 0)) == []  # Sunday
    assert devices.offline_agent_warnings(now=at(2026, 6, 8, 6, 0)) == []  # before opening
    devices.revoke(device)
    assert devices.offline_agent_warnings(now=later(minutes=30)) == []


def test_the_console_lists_agents_and_warns_about_offline_ones(client, agent, settings):
    org, device = agent
    settings.REQUIRE_2FA = False
    Device.objects.filter(pk=device.pk).update(last_heartbeat_at=later(minutes=-60),
                                               offline_warned_at=MONDAY_9)
    client.force_login(org.users["security"])
    text = client.get("/mitarbeiter/alarm/sicherheit/").content.decode()
    assert "Desktop-Agenten: 0 von 1 erreichbar" in text
    assert "Desktop-Agent an 1 Arbeitsplatz während der Öffnungszeit nicht erreichbar" in text
    assert f'data-agent="{device.pk}" data-online="false"' in text and "1.0.0" in text
    devices.heartbeat(device, version="1.0.2")
    text = client.get("/mitarbeiter/alarm/sicherheit/").content.decode()
    assert "Desktop-Agenten: 1 von 1 erreichbar" in text and "1.0.2" in text


def _admin(client, org, settings, role="admin"):
    settings.REQUIRE_2FA = False
    user = org.users[role]
    user.is_staff = True
    user.save()
    client.force_login(user)
    return user


def test_the_admin_creates_a_device_shows_the_code_once_and_revokes_it(client, org, settings):
    _admin(client, org, settings)
    ws = workstation(org)
    form = {"authority": org.authority.pk, "workstation": ws.pk, "kind": "agent", "name": "Agent PC 1.10",
            "person": org.users["caseworker"].pk}
    response = client.post("/admin/alarms/device/add/", form, follow=True)
    text = response.content.decode()
    assert response.status_code == 200 and "wird nur jetzt angezeigt" in text, text[:2000]
    code = text.split("): ")[1].split("<")[0].strip()
    device = Device.objects.get()
    assert code.replace("-", "") not in device.code_hash and device.created_by == org.users["admin"]
    # The chosen person now works at this workstation: the agent receives their alarms.
    assert Workplace.objects.get(user=org.users["caseworker"]).workstation == ws
    device, token = devices.enrol(code, version="1.0.3")
    devices.heartbeat(device)
    listing = client.get("/admin/alarms/workstation/").content.decode()
    assert "1.0.3" in listing and "1.10" in listing
    client.post("/admin/alarms/device/", {"action": "revoke_devices", "_selected_action": [device.pk]})
    assert devices.device_for(token) is None


def test_another_authoritys_admin_sees_no_devices(client, org, settings):
    ws = workstation(org)
    devices.create_device(org.authority, workstation=ws, name="Agent PC 1.10")
    _admin(client, org, settings, role="other_admin")
    listing = client.get("/admin/alarms/device/")
    assert listing.status_code == 200 and "Agent PC 1.10" not in listing.content.decode()


@pytest.mark.parametrize("role", ["caseworker", "security", "teamlead"])
def test_staff_without_the_admin_role_cannot_reach_devices(client, org, settings, role):
    settings.REQUIRE_2FA = False
    client.force_login(org.users[role])
    assert client.get("/admin/alarms/device/").status_code == 302
