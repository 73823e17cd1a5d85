"""Scale-out on one machine (CI's PostgreSQL/Redis lane): nginx in front of two uvicorn workers
on PostgreSQL with the Redis channel layer, driven only through nginx.

nginx balances round robin; the test configuration adds an ``X-BK-Upstream`` header (also on
WebSocket handshakes), so every step checks which worker answered instead of assuming it:
a booking held on one worker and confirmed on the other, a display connected to one worker
that shows a call made by a desk on the other, an alarm raised on one worker received on the
other, and static files served by nginx itself.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import timedelta

import httpx
import pytest
import websockets
from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone

from buergerkontakt.appointments import services as appointment_services
from buergerkontakt.appointments.models import Appointment
from buergerkontakt.core.models import Role, Room
from buergerkontakt.walkin import services as walkin_services
from buergerkontakt.walkin.models import Ticket
from tests.alarms.test_consumers import session_cookie
from tests.appointments.builders import build_office
from tests.asyncrun import run_async
from tests.factories import make_user
from tests.walkin.builders import make_queue, make_screen

from .nginx import Nginx, Worker, collectstatic

POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not (POSTGRES and os.environ.get("REDIS_URL")),
                       reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL): CI's second lane"),
]

UPSTREAM = "x-bk-upstream"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, django_db_setup):
    base = tmp_path_factory.mktemp("scaled")
    workers = [Worker(base / name / "mail") for name in ("w1", "w2")]
    proxy = None
    try:
        for worker in workers:
            worker.mail_dir.mkdir(parents=True)
            worker.start()
        static = collectstatic(base / "static")
        proxy = Nginx(base / "nginx", [f"127.0.0.1:{w.port}" for w in workers], static)
        proxy.start()
        yield proxy, workers
    finally:
        if proxy:
            proxy.stop()
        for worker in workers:
            worker.stop()


@pytest.fixture
def nginx(stack):
    return stack[0]


@pytest.fixture
def http(nginx):
    with httpx.Client(base_url=nginx.url, timeout=20) as client:
        yield client


def upstreams(stack) -> set[str]:
    return {f"127.0.0.1:{worker.port}" for worker in stack[1]}


def route_next_request_away_from(http: httpx.Client, worker: str) -> None:
    """Round robin: after a request answered by ``worker`` the next one goes to the other worker."""
    for _ in range(3):
        if http.get("/api/health").headers[UPSTREAM] == worker:
            return
    raise AssertionError(f"nginx never routed to {worker}")


def test_static_files_come_from_nginx(http):
    response = http.get("/static/css/site.css")
    assert response.status_code == 200
    assert response.headers["server"] == "nginx"
    assert UPSTREAM not in response.headers  # never reached a worker
    assert "text/css" in response.headers["content-type"]
    assert http.get("/static/css/nothing-here.css").status_code == 404


def test_health_through_nginx_on_both_workers(http, stack):
    seen = set()
    for _ in range(2):
        response = http.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
        seen.add(response.headers[UPSTREAM])
    assert seen == upstreams(stack)


def test_booking_held_on_one_worker_and_booked_on_the_other(http, stack):
    office = build_office(materialize=None)
    today = timezone.localdate()
    appointment_services.materialize_slots(office.group, office.location, today, today + timedelta(days=28))

    response = http.get("/api/appointments/availability",
                        params={"service": office.short.slug, "days": 28})
    assert response.status_code == 200, response.text
    start = response.json()["earliest"]["start"]

    held = http.post("/api/appointments/hold", json={
        "services": [office.short.slug], "location": office.location.slug, "start": start})
    assert held.status_code == 201, held.text
    booked = http.post("/api/appointments/book", json={
        "code": held.json()["code"], "token": held.json()["token"], "name": "Erika Mustermann",
        "email": "erika@example.org"})
    assert booked.status_code in (200, 201), booked.text
    assert {held.headers[UPSTREAM], booked.headers[UPSTREAM]} == upstreams(stack)

    appointment = Appointment.objects.get(code=held.json()["code"])
    assert appointment.status == booked.json()["status"]
    assert appointment.status in (Appointment.Status.CONFIRMED, Appointment.Status.PENDING_CONFIRMATION)
    looked_up = http.get(f"/api/appointments/booking/{appointment.code}",
                         params={"token": held.json()["token"]})
    assert looked_up.status_code == 200, looked_up.text


async def _connect(nginx: Nginx, path: str, cookie: str = ""):
    ws = await websockets.connect(
        nginx.url.replace("http", "ws") + path, origin=nginx.url,
        additional_headers={"Cookie": cookie} if cookie else {}, open_timeout=10)
    return ws, ws.response.headers[UPSTREAM]


async def _next(ws, event: str, timeout: float = 10) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            if message.get("event") == event:
                return message


def test_display_shows_a_call_made_on_the_other_worker(http, nginx, org):
    queue = make_queue(org.location, "A", "Ausweise")
    screen = make_screen(org.location)
    caseworker = org.users["caseworker"]
    walkin_services.set_desk(caseworker, org.location, org.room, [queue])
    ticket = walkin_services.issue_ticket(queue)
    cookie = session_cookie(caseworker, verified=False).decode()
    desk = f"/mitarbeiter/aufruf/?standort={org.location.slug}"

    async def scenario():
        display, display_worker = await _connect(nginx, f"/ws/anzeige/{screen.key}/")
        snapshot = await _next(display, "snapshot")
        assert snapshot["state"]["calls"] == []

        def call() -> httpx.Response:
            http.cookies.clear()
            page = http.get(desk, headers={"Cookie": cookie})
            assert page.status_code == 200, page.text[:500]
            token = page.cookies[settings.CSRF_COOKIE_NAME]
            route_next_request_away_from(http, display_worker)
            return http.post("/mitarbeiter/aufruf/naechste/", data={
                "standort": org.location.slug, "csrfmiddlewaretoken": token},
                headers={"Cookie": f"{cookie}; {settings.CSRF_COOKIE_NAME}={token}"})

        response = await asyncio.to_thread(call)
        assert response.status_code == 302, response.text[:500]
        assert response.headers[UPSTREAM] != display_worker
        update = await _next(display, "call")
        await display.close()
        return update

    update = run_async(scenario)
    assert update["ticket"] == ticket.pk
    assert ticket.label in json.dumps(update["state"], ensure_ascii=False)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CALLED


def test_alarm_raised_on_one_worker_reaches_the_other(nginx, org):
    neighbour_room = Room.objects.create(floor=org.room.floor, number="1.11")
    org.room.neighbours.add(neighbour_room)
    neighbour = make_user("nachbar", org.authority, Role.CASEWORKER, scope=org.team,
                          workstation_room=neighbour_room)
    trigger = org.users["caseworker"]

    async def scenario():
        cookie = await database_sync_to_async(session_cookie)(neighbour)
        receiver, receiver_worker = await _connect(nginx, "/ws/alarm/", cookie.decode())
        await _next(receiver, "hello")
        cookie = await database_sync_to_async(session_cookie)(trigger)
        for _ in range(3):  # round robin: at the latest the second try lands on the other worker
            raiser, raiser_worker = await _connect(nginx, "/ws/alarm/", cookie.decode())
            if raiser_worker != receiver_worker:
                break
            await raiser.close()
        assert raiser_worker != receiver_worker
        await _next(raiser, "hello")

        await raiser.send(json.dumps({"type": "raise", "level": 2}))
        alarm_id = (await _next(raiser, "raised"))["alarm"]["id"]
        got = await _next(receiver, "alarm")
        assert got["alarm"]["id"] == alarm_id and got["alarm"]["room"] == "1.10"
        await raiser.send(json.dumps({"type": "resolve", "alarm": alarm_id}))
        assert (await _next(receiver, "ended"))["alarm"] == alarm_id
        for ws in (raiser, receiver):
            await ws.close()

    run_async(scenario)
