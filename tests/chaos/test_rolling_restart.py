"""Issue 18, finding 1: restarting every web worker (an update) must neither lose a write nor leave
live pages offline. Real processes: nginx with the production configuration, two uvicorn workers,
60 display clients running the project's reconnect code, and a member of staff who keeps raising
alarms by form POST while the workers restart one after the other."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from django.conf import settings

from buergerkontakt.alarms.models import Alarm
from tests.alarms.test_consumers import session_cookie
from tests.walkin.builders import make_queue, make_screen

from .clients import LiveClients

pytestmark = pytest.mark.chaos

CLIENTS = 60
RAISE = "/mitarbeiter/alarm/ausloesen/"


class AlarmPoster(threading.Thread):
    """Raises alarms through nginx (the form without JavaScript) until stopped; records each answer."""

    def __init__(self, base_url: str, cookie: str):
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base_url, timeout=30, headers={"Cookie": cookie})
        self.cookie = cookie
        self.answers: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        # Django accepts an unmasked 32-character secret as both cookie and form token.
        token = "chaos" * 6 + "ab"
        headers = {"Cookie": f"{self.cookie}; {settings.CSRF_COOKIE_NAME}={token}"}
        while not self.stop.is_set():
            try:
                response = self.client.post(RAISE, data={"level": "1", "csrfmiddlewaretoken": token},
                                            headers=headers)
                # 302 back to the page; a redirect to the sign-in page would mean nothing was raised.
                login = "/anmelden/" in response.headers.get("location", "")
                self.answers.append(401 if login else response.status_code)
            except httpx.HTTPError:
                self.answers.append(0)
            self.stop.wait(0.05)
        self.client.close()


def test_rolling_restart_keeps_writes_and_brings_every_client_back(stack, org):
    screen = make_screen(org.location)
    make_queue(org.location, "A", "Ausweise")
    clients = LiveClients(stack.nginx.url, f"/ws/anzeige/{screen.key}/", CLIENTS, resync_event="snapshot")
    poster = AlarmPoster(stack.nginx.url, session_cookie(org.users["caseworker"], verified=False).decode())
    try:
        clients.wait_all_synced(timeout=30)
        poster.start()
        before = time.monotonic()
        stack.rolling_restart()
        healthy = time.monotonic()
        # Liveness bound only (the target, 5 s, is measured and documented in docs/operations.md):
        # clients that are refused by nginx back off and never all come back within it.
        clients.wait_all_synced(timeout=20, since=before)
        time.sleep(0.5)
    finally:
        poster.stop.set()
        poster.join(30)
        clients.close()

    assert clients.dropped_since(before), "the restart did not drop any client – nothing was tested"
    assert poster.answers, "no alarm was raised during the restart"
    assert set(poster.answers) == {302}, f"failed raises: {sorted(set(poster.answers))}"
    assert Alarm.objects.filter(raised_by=org.users["caseworker"]).count() == len(poster.answers)
    gaps = clients.offline_gaps(before)
    print(f"\nrolling restart took {healthy - before:.1f} s; {len(gaps)} drops, offline at most "
          f"{gaps[-1]:.2f} s (median {gaps[len(gaps) // 2]:.2f} s); {len(poster.answers)} alarms raised")
