"""The agent's offline queue against a real server process: a raise made while the server cannot
be reached stays queued; sent later it raises one alarm; a retry of the same press raises nothing
new; a revoked device is told so (401)."""

from __future__ import annotations

import json
import socket

import pytest
from buergerkontakt_agent.client import Client, Refused

from buergerkontakt.alarms import devices
from buergerkontakt.alarms.models import Alarm
from tests.alarms.device_builders import enrolled, workstation
from tests.liveserver import LiveServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def server(tmp_path):
    live = LiveServer(tmp_path / "mail")
    live.mail_dir.mkdir(parents=True)
    live.start()
    yield live
    live.stop()


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_offline_queue_retry_and_revocation(org, server, tmp_path):
    device, token = enrolled(org, workstation(org, person=org.users["caseworker"]))
    offline = Client(_closed_port(), token, tmp_path)
    press = offline.enqueue(2)
    assert offline.flush() == [] and [p.press_id for p in offline.pending()] == [press.press_id]

    online = Client(server.url, token, tmp_path)
    [(sent, body)] = online.flush()
    assert sent.press_id == press.press_id and body["replayed"] is False
    assert online.pending() == []
    alarm = Alarm.objects.get()
    assert alarm.press_id == press.press_id and alarm.device == device

    # The answer got lost and the agent sends the same press again: nothing new.
    (tmp_path / "queue.json").write_text(json.dumps([press.__dict__]))
    [(_again, body)] = online.flush()
    assert body["replayed"] is True and body["alarm"] == alarm.pk and Alarm.objects.count() == 1

    assert online.heartbeat()["person"] is True
    devices.revoke(device)
    with pytest.raises(Refused) as refused:
        online.heartbeat()
    assert refused.value.status == 401 and "widerrufen" in refused.value.message
