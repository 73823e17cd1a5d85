"""Alarm devices (desktop agent, buttons, desk phones): enrolment with a one-time code, the device
API ``POST /api/alarms`` (room from the device, idempotent per press, debounced, rate-limited,
revocable), heartbeats and the phones' action URL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from buergerkontakt.alarms import devices
from buergerkontakt.alarms.devices import Device, DeviceError
from buergerkontakt.alarms.models import Alarm, TimelineEvent
from buergerkontakt.core.models import Role, Room
from tests.alarms.device_builders import enrolled, workstation
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(org):
    """Caseworker at PC 1.10 (agent), a neighbour in 1.11 and security at the location."""
    neighbour_room = Room.objects.create(floor=org.room.floor, number="1.11")
    org.room.neighbours.add(neighbour_room)
    make_user("nachbar", org.authority, Role.CASEWORKER, scope=org.team, workstation_room=neighbour_room)
    ws = workstation(org, person=org.users["caseworker"], extension="210")
    return org, ws


def api(token=None, **headers):
    client = Client()
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client, headers


def post_alarm(token, body=None, **headers):
    client, headers = api(token, **headers)
    return client.post("/api/alarms", body or {}, content_type="application/json", **headers)


# --- enrolment ----------------------------------------------------------------------------------------
def test_a_code_is_exchanged_once_for_a_token_stored_only_as_a_digest(office):
    org, ws = office
    device, code = devices.create_device(org.authority, workstation=ws, name="Agent", created_by=None)
    assert code not in device.code_hash and len(code) == 9
    body = {"code": code.lower(), "version": "1.2.3", "hostname": "pc"}
    response = Client().post("/api/alarms/enrol", body,
                             content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("bkd_") and body["room"].startswith("Raum 1.10")
    device.refresh_from_db()
    assert device.token_hash == devices.digest(body["token"]) and device.token_prefix == body["token"][:10]
    assert device.agent_version == "1.2.3" and device.code_hash == ""
    again = Client().post("/api/alarms/enrol", {"code": code}, content_type="application/json")
    assert again.status_code == 400 and "Einrichtungscode" in again.json()["detail"]


def test_an_expired_code_is_refused(office):
    org, ws = office
    _device, code = devices.create_device(org.authority, workstation=ws, name="Agent")
    with time_machine.travel(timezone.now() + timedelta(hours=73)), pytest.raises(DeviceError):
        devices.enrol(code)


def test_only_a_phone_system_may_have_no_workstation(office):
    org, _ws = office
    with pytest.raises(DeviceError):
        devices.create_device(org.authority, workstation=None, name="Knopf", kind=Device.Kind.BUTTON)
    device, _code = devices.create_device(org.authority, workstation=None, name="PBX", kind=Device.Kind.PHONE)
    assert device.workstation is None


# --- raising ------------------------------------------------------------------------------------------
def test_a_device_raises_from_its_own_room_in_the_name_of_the_person_there(office):
    org, ws = office
    elsewhere = Room.objects.create(floor=org.room.floor, number="1.40")
    org.users["caseworker"].workstation_room = elsewhere  # the profile's home room is never the place
    org.users["caseworker"].save()
    device, token = enrolled(org, ws)
    response = post_alarm(token, {"level": 2, "press_id": "p-1"})
    assert response.status_code == 201, response.content
    alarm = Alarm.objects.get(pk=response.json()["alarm"])
    assert (alarm.room, alarm.workstation, alarm.device) == (org.room, ws, device)
    assert alarm.raised_by == org.users["caseworker"] and alarm.level == 2
    assert response.json()["room"].startswith("Raum 1.10") and response.json()["replayed"] is False
    raised = alarm.timeline.get(kind=TimelineEvent.Kind.RAISED)
    assert "Agent PC 1.10" in raised.detail
    assert {d.user.username for d in alarm.deliveries.select_related("user")} >= {"nachbar", "security"}


def test_the_level_is_optional(office):
    org, ws = office
    _device, token = enrolled(org, ws)
    client, headers = api(token)
    response = client.post("/api/alarms", content_type="application/json", **headers)
    assert response.status_code == 201 and response.json()["level"] == 2


def test_a_revoked_unknown_or_missing_token_is_refused_with_401(office):
    org, ws = office
    device, token = enrolled(org, ws)
    devices.revoke(device)
    for given in (token, "bkd_made-up", None):
        response = post_alarm(given)
        assert response.status_code == 401
        assert "Gerätetoken" in response.json()["detail"]
    assert post_alarm(None, HTTP_X_DEVICE_KEY=token).status_code == 401
    assert not Alarm.objects.exists()


def test_a_replayed_press_raises_nothing_new(office):
    org, ws = office
    _device, token = enrolled(org, ws)
    first = post_alarm(token, {"press_id": "press-42"})
    again = post_alarm(token, {"press_id": "press-42"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert Alarm.objects.count() == 1


def test_a_bouncing_button_within_the_debounce_window_raises_one_alarm(office, settings):
    org, ws = office
    settings.ALARM_DEVICE_DEBOUNCE_SECONDS = 30
    _device, token = enrolled(org, ws, kind=Device.Kind.BUTTON, name="Fußtaster 1.10")
    codes = [post_alarm(token, {"press_id": f"bounce-{i}"}).status_code for i in range(5)]
    assert codes == [201, 200, 200, 200, 200]
    assert Alarm.objects.count() == 1
    # After the window a new press is a new alarm (the first is still active: a second emergency).
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert post_alarm(token, {"press_id": "later"}).status_code == 201
    assert Alarm.objects.count() == 2


def test_a_press_after_the_all_clear_is_a_new_alarm(office):
    from buergerkontakt.alarms import services

    org, ws = office
    _device, token = enrolled(org, ws)
    first = Alarm.objects.get(pk=post_alarm(token).json()["alarm"])
    services.resolve(first.pk, org.users["security"])
    assert post_alarm(token).status_code == 201


def test_without_a_person_the_alarm_goes_out_in_the_name_of_who_registered_the_workstation(office):
    org, _ws = office
    empty = workstation(org, room=Room.objects.create(floor=org.room.floor, number="1.50"), name="PC 1.50")
    _device, token = enrolled(org, empty)
    response = post_alarm(token)
    assert response.status_code == 201
    alarm = Alarm.objects.get(pk=response.json()["alarm"])
    assert alarm.room.number == "1.50" and alarm.raised_by == org.users["admin"]


def test_bad_input_is_a_german_422(office):
    org, ws = office
    _device, token = enrolled(org, ws)
    response = post_alarm(token, {"level": 7})
    assert response.status_code == 422 and response.json()["detail"] == "Ungültige Eingabe."
    assert not Alarm.objects.exists()


def test_each_device_has_its_own_rate_limit(office, settings):
    org, ws = office
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "device_alarm": (3, 600)}
    _device, token = enrolled(org, ws)
    codes = [post_alarm(token).status_code for _ in range(4)]
    assert codes == [201, 200, 200, 429]
    _other, other_token = enrolled(org, workstation(org, name="PC 2"), name="Agent 2")
    assert post_alarm(other_token).status_code in (200, 201)


def test_a_verified_device_is_not_counted_against_the_public_write_limit(office, settings):
    org, ws = office
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "public_write_ip": (2, 600)}
    _device, token = enrolled(org, ws)
    client, headers = api(token)
    codes = [client.post("/api/alarms/heartbeat", {}, content_type="application/json", **headers).status_code
             for _ in range(5)]
    assert codes == [200] * 5
    made_up = [post_alarm("bkd_made-up").status_code for _ in range(3)]
    assert made_up[-1] == 429


# --- heartbeat ----------------------------------------------------------------------------------------
def test_a_heartbeat_puts_device_and_workstation_online_with_its_version(office):
    org, ws = office
    device, token = enrolled(org, ws, version="0.9")
    client, headers = api(token)
    response = client.post("/api/alarms/heartbeat", {"version": "1.0.1"}, content_type="application/json",
                           **headers)
    assert response.status_code == 200 and response.json()["person"] is True
    device.refresh_from_db()
    ws.refresh_from_db()
    assert device.agent_version == "1.0.1" and devices.is_online(device)
    assert ws.last_seen_at is not None


# --- desk phones and the telephone system -------------------------------------------------------------
def test_yealink_action_url_get_raises_from_the_phones_workstation(office):
    """Yealink: Features → Action URL → e.g. "Off hook" of the alarm key's line, or a DSS key of type
    URL: ``https://…/api/alarms/phone?key=TOKEN&ext=$active_user&press=$call_id``."""
    org, ws = office
    _device, token = enrolled(org, ws, kind=Device.Kind.PHONE, name="Yealink T54W 1.10")
    response = Client().get("/api/alarms/phone", {"key": token, "ext": "210", "press": "0_1234@10.0.0.5"})
    assert response.status_code == 201, response.content
    assert Alarm.objects.get().room == org.room


def test_snom_action_url_get(office):
    """Snom: Action URL "Off-hook"/function key "Action URL": ``…/api/alarms/phone?key=TOKEN&ext=$local``
    ($local is the SIP identity, e.g. ``210@pbx.example``)."""
    org, ws = office
    _device, token = enrolled(org, ws, kind=Device.Kind.PHONE, name="Snom D785 1.10")
    response = Client().get("/api/alarms/phone", {"key": token, "ext": "210@pbx.example"})
    assert response.status_code == 201


def test_asterisk_dialplan_curl_maps_the_calling_extension_to_its_workstation(office):
    """Asterisk (one key for the whole PBX, no workstation):
    ``exten => 110,1,Set(R=${CURL(https://…/api/alarms/phone?ext=${CALLERID(num)}&press=${UNIQUEID},key=TOKEN)})``
    – CURL() with data posts it form-encoded, so the key is not in the URL."""
    org, ws = office
    other = workstation(org, room=Room.objects.create(floor=org.room.floor, number="1.30"), name="PC 1.30",
                        extension="230", person=org.users["teamlead"])
    pbx, token = enrolled(org, None, kind=Device.Kind.PHONE, name="Asterisk Hauptstelle")
    client = Client()
    url = "/api/alarms/phone?ext=230&press=1733300000.42"
    response = client.post(url, "key=" + token, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201, response.content
    assert devices.workstation_for_extension(pbx, "sip:230@pbx.example") == other
    alarm = Alarm.objects.get()
    assert (alarm.room.number, alarm.workstation, alarm.device, alarm.raised_by) == (
        "1.30", other, pbx, org.users["teamlead"])
    # The same call again (a retry of the dialplan) raises nothing new.
    form = "application/x-www-form-urlencoded"
    assert client.post(url, "key=" + token, content_type=form).status_code == 200
    # An unknown extension is a clear German 404.
    unknown = client.post("/api/alarms/phone?ext=999", "key=" + token,
                          content_type="application/x-www-form-urlencoded")
    assert unknown.status_code == 404 and "Durchwahl 999" in unknown.json()["detail"]
    assert ws.alarms.count() == 0


def test_the_phone_url_refuses_a_revoked_key(office):
    org, ws = office
    device, token = enrolled(org, ws, kind=Device.Kind.PHONE, name="Yealink")
    devices.revoke(device)
    assert Client().get("/api/alarms/phone", {"key": token, "ext": "210"}).status_code == 401
    assert not Alarm.objects.exists()
