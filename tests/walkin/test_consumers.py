"""Channels consumers of the waiting room, with the real ASGI application and channel layer
(in-memory, or Redis on the CI's Redis lane): snapshot on connect, live calls, keys and links."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from buergerkontakt.asgi import application
from buergerkontakt.walkin import services
from buergerkontakt.walkin.models import Screen
from tests.asyncrun import run_async

from .builders import make_queue, make_screen

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://localhost")]  # in ALLOWED_HOSTS when the ASGI app was built
db = database_sync_to_async


def run(scenario):
    return run_async(scenario)


async def connect(path: str, headers=ORIGIN):
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


@pytest.fixture
def place(org):
    queue, other = make_queue(org.location, "A", "Ausweise"), make_queue(org.location, "B", "Meldewesen")
    worker = org.users["caseworker"]
    services.set_desk(worker, org.location, org.room, [queue, other])
    return org, queue, other, worker, make_screen(org.location)


def test_display_gets_a_snapshot_then_each_call_and_recall(place):
    org, queue, _, worker, screen = place
    earlier = services.issue_ticket(queue)
    services.call_next(worker, org.location)
    services.finish(earlier, worker)
    waiting = services.issue_ticket(queue)

    async def scenario():
        display, connected, _ = await connect(f"/ws/anzeige/{screen.key}/")
        assert connected
        snapshot = await display.receive_json_from(timeout=5)
        assert snapshot["event"] == "snapshot"
        assert [c["ticket"] for c in snapshot["state"]["calls"]] == [earlier.label]
        await db(services.call_next)(worker, org.location)
        call = await display.receive_json_from(timeout=5)
        assert (call["event"], call["ticket"]) == ("call", waiting.pk)
        assert [(c["ticket"], c["room"], c["waiting"]) for c in call["state"]["calls"]] == [
            (waiting.label, "Raum 1.10", True), (earlier.label, "Raum 1.10", False)]
        await db(services.recall)(waiting, worker)
        recall = await display.receive_json_from(timeout=5)
        assert recall["event"] == "recall" and recall["state"]["calls"][0]["ticket"] == waiting.label
        # Answered: the displays update without a gong, and the call is no longer "waiting"
        # (so the display does not repeat it).
        await db(services.start)(waiting, worker)
        state = await display.receive_json_from(timeout=5)
        assert state["event"] == "state" and state["state"]["calls"][0]["waiting"] is False
        await display.send_json_to({"type": "ping"})
        assert await display.receive_json_from(timeout=5) == {"event": "pong"}
        await display.disconnect()

    run(scenario)


def test_display_of_another_location_hears_nothing(place):
    org, queue, _, worker, _ = place
    far_screen = make_screen(org.second_location)
    services.issue_ticket(queue)

    async def scenario():
        display, connected, _ = await connect(f"/ws/anzeige/{far_screen.key}/")
        assert connected
        assert (await display.receive_json_from(timeout=5))["state"]["calls"] == []
        await db(services.call_next)(worker, org.location)
        assert await display.receive_nothing(timeout=0.5)
        await display.disconnect()

    run(scenario)


@pytest.mark.parametrize("key", ["falsch", "kiosk", "inactive"])
def test_display_refuses_unknown_kiosk_and_inactive_keys(place, key):
    org = place[0]
    if key == "kiosk":
        key = make_screen(org.location, Screen.Kind.KIOSK).key
    elif key == "inactive":
        key = make_screen(org.location, is_active=False).key

    async def scenario():
        _display, connected, code = await connect(f"/ws/anzeige/{key}/")
        assert not connected and code == 4403

    run(scenario)


def test_connections_from_foreign_origins_are_refused(place):
    screen = place[4]

    async def scenario():
        evil = [(b"origin", b"https://evil.example")]
        _, connected, _ = await connect(f"/ws/anzeige/{screen.key}/", headers=evil)
        assert not connected

    run(scenario)


def test_ticket_page_follows_position_call_and_handover(place):
    org, queue, other, worker, _ = place
    first = services.issue_ticket(queue)
    mine = services.issue_ticket(queue)

    async def scenario():
        page, connected, _ = await connect(f"/ws/wartenummer/{mine.pk}/{mine.secret}/")
        assert connected
        state = await page.receive_json_from(timeout=5)
        assert state["status"] == "waiting" and 'data-ahead="1"' in state["html"]
        assert "Sie sind gleich dran." in state["html"]
        await db(services.call_next)(worker, org.location)  # calls `first`
        state = await page.receive_json_from(timeout=5)
        assert 'data-ahead="0"' in state["html"]
        await db(services.finish)(first, worker)
        await page.receive_json_from(timeout=5)
        await db(services.call_next)(worker, org.location)  # now mine
        state = await page.receive_json_from(timeout=5)
        assert state["status"] == "called"
        assert "Sie werden aufgerufen!" in state["html"] and "Raum 1.10" in state["html"]
        # Handed over to B: the page keeps following the ticket in its new queue.
        await db(services.hand_over)(mine, worker, queue=other)
        state = await page.receive_json_from(timeout=5)
        assert state["status"] == "waiting"
        await db(services.issue_ticket)(other, emergency=True, emergency_reason="Sperre")
        state = await page.receive_json_from(timeout=5)
        assert 'data-ahead="1"' in state["html"]  # the emergency in B is ahead now
        await page.disconnect()

    run(scenario)


def test_forged_or_unknown_ticket_links_are_refused(place):
    ticket = services.issue_ticket(place[1])

    async def scenario():
        for path in (f"/ws/wartenummer/{ticket.pk}/{'x' * 16}/",
                     f"/ws/wartenummer/{ticket.pk + 99}/{ticket.secret}/"):
            _, connected, code = await connect(path)
            assert not connected and code == 4404

    run(scenario)


def test_ticket_page_speaks_the_citizens_language(place):
    ticket = services.issue_ticket(place[1])

    async def scenario():
        headers = [*ORIGIN, (b"cookie", b"django_language=en")]
        page, connected, _ = await connect(f"/ws/wartenummer/{ticket.pk}/{ticket.secret}/", headers=headers)
        assert connected
        state = await page.receive_json_from(timeout=5)
        assert "Ahead of you" in state["html"]
        await page.disconnect()

    run(scenario)
