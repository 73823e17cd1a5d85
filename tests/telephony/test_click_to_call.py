"""Click-to-call: the originate request reaches a real (tiny, local) HTTP server standing in for
the PBX's dial URL; the PBX's hangup event logs the callback attempt, once."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from buergerkontakt.callbacks import services as callbacks
from buergerkontakt.callbacks.models import Attempt, Outcome, Ticket
from buergerkontakt.telephony.models import Call, Direction

pytestmark = pytest.mark.django_db


class Pbx:
    """Records each POST (path, headers, JSON body) and answers with ``reply`` / ``status``."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.reply: dict = {}
        self.status = 200
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                recorder.requests.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                          "body": json.loads(self.rfile.read(length) or b"{}")})
                payload = json.dumps(recorder.reply).encode()
                self.send_response(recorder.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ari/originate"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def pbx(settings):
    server = Pbx()
    settings.TELEPHONY_DIAL_URL = server.url
    settings.TELEPHONY_DIAL_TOKEN = "ari-geheim"
    settings.REQUIRE_2FA = False
    yield server
    server.close()


@pytest.fixture
def ticket(office, clock):
    # Surname A–K → team 1, the case worker (who has the extension 7777abc@fpbx.de).
    return callbacks.create_ticket(office.org.authority, caller_name="Erika Ärger", phone="0151 23456789",
                                   topic="Rückfrage Bescheid")


def event(key, client, call_id, kind, **extra):
    body = {"event": kind, "from": "496912340", "to": "4915123456789", "direction": "out", "callId": call_id,
            **extra}
    return client.post("/api/telephony/cti", body, content_type="application/json",
                       headers={"X-API-Key": key})


def dial(client, user, ticket):
    client.force_login(user)
    return client.post(reverse("telephony_staff:dial"), {"ticket": ticket.number})


def test_worklist_and_ticket_offer_click_to_call(client, office, ticket, pbx):
    client.force_login(office.org.users["caseworker"])
    worklist = client.get(reverse("callbacks_staff:worklist")).content.decode()
    assert "Anrufen über die Telefonanlage" in worklist
    page = client.get(reverse("callbacks_staff:detail", kwargs={"number": ticket.number})).content.decode()
    assert "Anrufen über die Telefonanlage" in page


def test_no_button_without_dial_url(client, office, ticket, settings):
    settings.REQUIRE_2FA = False
    settings.TELEPHONY_DIAL_URL = ""
    client.force_login(office.org.users["caseworker"])
    worklist = client.get(reverse("callbacks_staff:worklist")).content.decode()
    assert "Anrufen über die Telefonanlage" not in worklist
    response = client.post(reverse("telephony_staff:dial"), {"ticket": ticket.number})
    assert response.status_code == 409 and "nicht eingerichtet" in response.content.decode()


def test_click_to_call_answered_logs_the_attempt(client, office, key, ticket, pbx, clock):
    worker = office.org.users["caseworker"]
    response = dial(client, worker, ticket)
    assert response.status_code == 302
    [sent] = pbx.requests
    assert sent["auth"] == "Bearer ari-geheim" and sent["path"] == "/ari/originate"
    call = Call.objects.get()
    assert sent["body"] == {"callId": call.call_id, "from": "7777abc@fpbx.de", "to": "+4915123456789",
                            "ticket": ticket.number}
    assert call.direction == Direction.OUT and call.agent == worker and call.ticket_number == ticket.number
    event(key, client, call.call_id, "newCall", user="Caseworker Test")
    clock.shift(9)
    event(key, client, call.call_id, "answer")
    clock.shift(185)
    for _ in range(2):  # the PBX repeats the hangup: one attempt
        assert event(key, client, call.call_id, "hangup", cause="normalClearing").status_code == 200
    attempt = Attempt.objects.get()
    assert attempt.outcome == Outcome.REACHED_SOLVED and attempt.by == worker
    assert "3:05" in attempt.note
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED


@pytest.mark.parametrize("cause, outcome", [("busy", Outcome.NOT_REACHED), ("cancel", Outcome.NOT_REACHED),
                                            ("notFound", Outcome.WRONG_NUMBER)])
def test_click_to_call_not_reached(client, office, key, ticket, pbx, clock, cause, outcome):
    dial(client, office.org.users["caseworker"], ticket)
    call_id = Call.objects.get().call_id
    event(key, client, call_id, "newCall")
    clock.shift(30)
    event(key, client, call_id, "hangup", cause=cause)
    attempt = Attempt.objects.get()
    assert attempt.outcome == outcome and attempt.number == 1


def test_the_pbx_may_answer_with_its_own_call_id(client, office, key, ticket, pbx, clock):
    pbx.reply = {"sessionId": "sipgate-session-77"}
    dial(client, office.org.users["caseworker"], ticket)
    assert Call.objects.get().call_id == "sipgate-session-77"
    event(key, client, "sipgate-session-77", "hangup", cause="busy")
    assert Attempt.objects.get().outcome == Outcome.NOT_REACHED
    assert Call.objects.count() == 1


def test_pbx_refuses(client, office, ticket, pbx):
    pbx.status = 500
    response = dial(client, office.org.users["caseworker"], ticket)
    assert response.status_code == 502 and "von Hand" in response.content.decode()
    assert Call.objects.get().outcome == "failed" and not Attempt.objects.exists()


def test_without_extension(client, office, ticket, pbx):
    response = dial(client, office.org.users["teamlead"], ticket)
    assert response.status_code == 409 and "Nebenstelle" in response.content.decode()
    assert not pbx.requests


@pytest.mark.parametrize("name, status", [("security", 403), ("second_worker", 404)])
def test_dial_denied(client, office, ticket, pbx, name, status):
    user = office.second_worker if name == "second_worker" else office.org.users[name]
    assert dial(client, user, ticket).status_code == status
    assert not pbx.requests and not Call.objects.exists()
