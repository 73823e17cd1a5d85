"""CTI webhook: vendor-shaped payloads (Zammad generic CTI, sipgate.io, Placetel), idempotent per
callId, out-of-order events, German 4xx for bad input."""

from __future__ import annotations

import base64
import logging
from datetime import timedelta

import pytest

from buergerkontakt.telephony.models import Call, Direction, Outcome

pytestmark = pytest.mark.django_db

# Zammad's documented inbound examples (docs.zammad.org, generic CTI), our line as "to".
NEW_CALL = {"event": "newCall", "from": "4915123456789", "to": "496912340", "direction": "in",
            "callId": "307fa962-de8d-4ffc-817b-7f6993204159", "user": ["Agent Test", "Emma Taylor"]}
ANSWER = {"event": "answer", "from": "4915123456789", "to": "496912340", "direction": "in",
          "callId": "307fa962-de8d-4ffc-817b-7f6993204159", "user": "Agent Test", "answeringNumber": "42"}
HANGUP = {"event": "hangup", "from": "4915123456789", "to": "496912340", "direction": "in",
          "callId": "307fa962-de8d-4ffc-817b-7f6993204159", "user": "Agent Test", "answeringNumber": "42",
          "cause": "normalClearing"}


def post(client, body, key, path="/api/telephony/cti", form=False, headers=None):
    headers = {"X-API-Key": key, **(headers or {})} if key is not None else dict(headers or {})
    if form:
        return client.post(path, body, headers=headers)
    return client.post(path, body, content_type="application/json", headers=headers)


def test_generic_cti_call_answered(client, office, key, clock):
    assert post(client, NEW_CALL, key).status_code == 200
    clock.shift(12)
    assert post(client, ANSWER, key).json() == {}
    clock.shift(95)
    assert post(client, HANGUP, key).status_code == 200
    call = Call.objects.get()
    agent = office.org.users["agent"]
    assert call.direction == Direction.IN and call.number == "+4915123456789"
    assert call.team == office.org.team and call.line == "+496912340"
    assert call.agents == [agent.pk]  # "Agent Test" is the agent's full name; Emma is unknown
    assert call.agent == agent and call.answered and call.outcome == Outcome.ANSWERED
    assert call.wait_seconds == 12 and call.duration == 95
    assert not call.outside_hours


def test_form_data_with_user_array(client, office, key, clock):
    """Zammad's form-data variant: ``user[]`` repeated."""
    body = {**NEW_CALL, "user[]": ["Agent Test"]}
    del body["user"]
    assert post(client, body, key, form=True).status_code == 200
    assert Call.objects.get().agents == [office.org.users["agent"].pk]


def test_repeated_events_are_stored_once(client, office, key, clock):
    for _ in range(3):
        assert post(client, NEW_CALL, key).status_code == 200
    clock.shift(5)
    post(client, HANGUP | {"cause": "cancel"}, key)
    clock.shift(5)
    post(client, HANGUP, key)  # a second hangup (other cause) changes nothing
    call = Call.objects.get()
    assert call.events == ["newCall", "hangup"] and call.outcome == Outcome.ABANDONED


def test_out_of_order_hangup_before_new_call(client, office, key, clock):
    clock.shift(30)
    post(client, HANGUP | {"cause": "cancel"}, key)
    clock.shift(2)
    post(client, NEW_CALL, key)  # late: fills the parties, never reopens the call
    call = Call.objects.get()
    assert call.ended_at is not None and call.started_at <= call.ended_at
    assert call.outcome == Outcome.ABANDONED and call.is_missed and call.team == office.org.team


def test_out_of_order_answer_after_hangup(client, office, key, clock):
    post(client, NEW_CALL, key)
    clock.shift(40)
    post(client, HANGUP, key)
    clock.shift(1)
    post(client, ANSWER, key)
    call = Call.objects.get()
    assert call.answered and call.answered_at <= call.ended_at and call.outcome == Outcome.ANSWERED


def test_outside_phone_hours(client, office, key, clock):
    clock.shift(timedelta(hours=3))  # 13:00, the team's phone hours are 10–11
    post(client, NEW_CALL, key)
    assert Call.objects.get().outside_hours


def test_anonymous_caller(client, office, key, clock):
    post(client, NEW_CALL | {"from": "anonymous"}, key)
    call = Call.objects.get()
    assert call.anonymous and call.number == ""


def test_sipgate_push(client, office, key, clock):
    """sipgate.io: form data; a newCall is answered with onAnswer/onHangup at the same URL."""
    body = {"event": "newCall", "from": "492111234567", "to": "4915791234567", "direction": "in",
            "callId": "123456", "origCallId": "123456", "user[]": ["Alice", "Bob"],
            "userId[]": ["w0", "w1"], "fullUserId[]": ["1234567w0", "1234567w1"], "xcid": "abc"}
    auth = "Basic " + base64.b64encode(f"pbx:{key}".encode()).decode()
    response = post(client, body, None, path="/api/telephony/sipgate", form=True,
                    headers={"Authorization": auth})
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    # The key goes into the URL's authority part, so sipgate can send answer and hangup there too.
    url = f"http://pbx:{key}@testserver/api/telephony/sipgate".encode()
    assert b'onAnswer="' + url + b'"' in response.content and b'onHangup="' + url in response.content
    answer = {"event": "answer", "callId": "123456", "user": "Alice", "userId": "w0",
              "fullUserId": "1234567w0",
              "from": "492111234567", "to": "4915791234567", "direction": "in",
              "answeringNumber": "21199999999"}
    hangup = {"event": "hangup", "cause": "normalClearing", "callId": "123456", "from": "492111234567",
              "to": "4915791234567", "direction": "in", "answeringNumber": "4921199999999"}
    clock.shift(8)
    assert post(client, answer, None, path=f"/api/telephony/sipgate/{key}", form=True).status_code == 200
    clock.shift(60)
    assert post(client, hangup, None, path=f"/api/telephony/sipgate/{key}", form=True).status_code == 200
    call = Call.objects.get()
    assert call.provider == "sipgate" and call.number == "+492111234567"
    assert call.outcome == Outcome.ANSWERED and call.duration == 60 and call.wait_seconds == 8


def test_placetel_notify(client, office, key, clock):
    call_id = "f4591ba315d81671d7a06c2a3b4f963dafd119de39cb26edd8a6476676b2f447"
    base = {"from": "022129191999", "to": "0691234 0", "call_id": call_id}
    path = f"/api/telephony/placetel/{key}"
    assert post(client, base | {"event": "IncomingCall", "direction": "in"}, None, path=path,
                form=True).status_code == 200
    clock.shift(20)
    post(client, base | {"event": "CallAccepted", "peer": "7777abc@fpbx.de", "direction": "in"}, None,
         path=path, form=True)
    clock.shift(100)
    post(client, base | {"event": "HungUp", "type": "accepted", "duration": "100", "direction": "in"}, None,
         path=path, form=True)
    call = Call.objects.get()
    assert call.provider == "placetel" and call.number == "+4922129191999"
    assert call.agent == office.org.users["caseworker"] and call.duration == 100
    assert call.wait_seconds == 20


def test_placetel_missed(client, office, key, clock):
    path = f"/api/telephony/placetel/{key}"
    base = {"from": "022129191999", "to": "0691234 0", "call_id": "ab" * 32}
    post(client, base | {"event": "IncomingCall", "direction": "in"}, None, path=path, form=True)
    clock.shift(30)
    post(client, base | {"event": "HungUp", "type": "missed", "duration": "0", "direction": "in"}, None,
         path=path, form=True)
    call = Call.objects.get()
    assert call.outcome == Outcome.MISSED and call.is_missed and not call.answered


@pytest.mark.parametrize("body, message", [
    ({**NEW_CALL, "event": "ring"}, "Unbekanntes Ereignis"),
    ({k: v for k, v in NEW_CALL.items() if k != "callId"}, "Anruf-ID"),
    ({**NEW_CALL, "callId": "x" * 251}, "Anruf-ID ist zu lang"),
    ({**NEW_CALL, "direction": "sideways"}, "Richtung"),
    ({**NEW_CALL, "from": ""}, "„from“ und „to“"),
    ({**HANGUP, "cause": "explosion"}, "Unbekannter Grund"),
    ({**NEW_CALL, "from": {"nested": 1}}, "Ungültiger Wert"),
])
def test_bad_payloads_get_german_400(client, office, key, clock, body, message):
    response = post(client, body, key)
    assert response.status_code == 400 and message in response.json()["detail"], response.content
    assert not Call.objects.exists()


def test_not_json(client, office, key):
    response = client.post("/api/telephony/cti", b"{kaputt", content_type="application/json",
                           headers={"X-API-Key": key})
    assert response.status_code == 400 and "JSON" in response.json()["detail"]
    response = client.post("/api/telephony/cti", b"<xml/>", content_type="text/xml",
                           headers={"X-API-Key": key})
    assert response.status_code == 400 and "Formulardaten" in response.json()["detail"]


@pytest.mark.parametrize("given", [None, "", "falsch"])
def test_missing_or_wrong_key(client, office, key, given):
    response = post(client, NEW_CALL, given)
    assert response.status_code == 401 and "API-Schlüssel" in response.json()["detail"]
    assert not Call.objects.exists()


def test_key_without_telephony_scope(client, office, callbacks_only_key):
    response = post(client, NEW_CALL, callbacks_only_key)
    assert response.status_code == 403 and "Anrufereignisse" in response.json()["detail"]


def test_key_decides_the_authority(client, office, key, settings):
    settings.TELEPHONY_API_KEYS = [f"{office.org.other_authority.slug}=anderer-schluessel"]
    post(client, NEW_CALL, "anderer-schluessel")
    post(client, NEW_CALL, key)  # same callId, other authority: two calls
    assert Call.objects.count() == 2
    assert set(Call.objects.values_list("authority_id", flat=True)) == {
        office.org.authority.pk, office.org.other_authority.pk}
    assert Call.objects.get(authority=office.org.other_authority).team is None


def test_numbers_never_in_logs(client, office, key, clock, caplog):
    with caplog.at_level(logging.DEBUG):
        post(client, NEW_CALL, key)
        post(client, HANGUP, key)
    text = caplog.text
    assert "15123456789" not in text and "4915123456789" not in text
    assert "cti generic newCall" in text and "… 789" in text
