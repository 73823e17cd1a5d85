"""P7 screen pop: a PBX's ``newCall`` → the WebSocket message on the agent's socket.

    .venv/bin/python benchmarks/p7_screen_pop.py [--runs 100] [--known-tickets 3]

Own data directory (a temporary ``BK_DATA_DIR`` with its own SQLite database, removed afterwards),
one uvicorn process (``buergerkontakt.asgi``, DEBUG=false, in-memory channel layer) and the
measuring client in this process: the agent's socket (``ws/telefonie/``, a signed-in session) is
open; each run POSTs a Zammad-shaped ``newCall`` for a new ``callId`` to ``/api/telephony/cti``
(keep-alive HTTP connection) and takes the time until the pop (``event: ringing``) arrives on the
socket, then ends the call with a ``hangup``. The caller is a known number (open callback tickets,
an upcoming appointment), so the pop carries what a real one carries.

Floor, in the same run: a minimal raw ``websockets`` server (separate process) that pushes a
message of the same size as the pop to the client when asked over the same kind of connection –
what a push of that size costs without the platform (HTTP request, database, rendering).
Target (issue 22): p99 well under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

KEY = "bench-telephony-key-0123456789"


def _django() -> None:
    sys.path.insert(0, str(common.ROOT / "src"))
    sys.path.insert(0, str(common.ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buergerkontakt.settings")
    import django

    django.setup()


def generate(out: str, known_tickets: int) -> None:
    """Authority, team with a line, one agent with a session, a known caller."""
    _django()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from buergerkontakt.callbacks import services as callbacks
    from buergerkontakt.core.models import Authority, Location, Role, RoleAssignment, Team, User
    from buergerkontakt.telephony.models import Extension, Line

    call_command("migrate", verbosity=0)
    authority = Authority.objects.create(name="Stadt Klingelbach", slug="klingelbach",
                                         kind=Authority.Kind.BUERGERBUERO, bundesland="HE")
    location = Location.objects.create(authority=authority, name="Rathaus", slug="rathaus", street="Markt 1",
                                       postcode="63065", city="Klingelbach")
    team = Team.objects.create(authority=authority, location=location, name="Bürgertelefon", slug="telefon")
    Line.objects.create(authority=authority, number="+496912340", team=team)
    from datetime import time as clock

    from buergerkontakt.directory.models import HoursKind, HoursRule

    for day in range(7):  # the tickets need callback hours for their deadlines
        HoursRule.objects.create(team=team, kind=HoursKind.CALLBACK, weekday=day, start=clock(0),
                                 end=clock(23, 59))
    agent = User.objects.create_user(username="agent", password=None, authority=authority,
                                     first_name="Ada", last_name="Agent")
    RoleAssignment.objects.create(user=agent, role=Role.AGENT, authority=authority)
    Extension.objects.create(authority=authority, user=agent, identifier="42")
    for n in range(known_tickets):
        callbacks.create_ticket(authority, caller_name="Erika Ärger", phone="0151 23456789",
                                topic=f"Rückfrage {n + 1}", team=team)
    store = SessionStore()
    store.update({SESSION_KEY: str(agent.pk),
                  BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                  HASH_SESSION_KEY: agent.get_session_auth_hash()})
    store.create()
    Path(out).write_text(json.dumps({"session": store.session_key}))


def serve(port: int) -> None:
    import uvicorn

    uvicorn.run("buergerkontakt.asgi:application", host="127.0.0.1", port=port, log_level="warning",
                access_log=False, lifespan="off", ws="websockets-sansio")


def floor_server(port: int) -> None:
    """A plain push: on ``{"size": n}`` the server sends n bytes of JSON back."""
    from websockets.asyncio.server import serve as ws_serve

    async def handler(ws) -> None:
        async for raw in ws:
            size = json.loads(raw)["size"]
            await ws.send(json.dumps({"event": "ringing", "html": "x" * max(size - 30, 0)}))

    async def main() -> None:
        async with ws_serve(handler, "127.0.0.1", port, ping_interval=None):
            await asyncio.Future()

    asyncio.run(main())


def _stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def process(env: dict[str, str], *args: str, ready_url: str | None = None, port: int | None = None):
    import httpx

    proc = subprocess.Popen([str(common.VENV_BIN / "python"), __file__, *args], cwd=common.ROOT, env=env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{args[0]} exited during start-up")
            if ready_url:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(ready_url, timeout=2).status_code == 200:
                        break
            else:
                with contextlib.suppress(OSError):
                    import socket

                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{args[0]} did not start within 60 s")
            time.sleep(0.2)
        yield proc
    finally:
        _stop(proc)


def stats(values: list[float]) -> dict:
    return {"n": len(values), "p50": common.percentile(values, 50), "p99": common.percentile(values, 99),
            "max": max(values) if values else float("nan")}


async def measure(base: str, session: str, floor_url: str, runs: int) -> dict:
    import httpx
    from websockets.asyncio.client import connect

    ws_url = base.replace("http://", "ws://") + "/ws/telefonie/"
    pops: list[float] = []
    sizes: list[int] = []
    async with connect(ws_url, origin=base, additional_headers={"Cookie": f"sessionid={session}"}) as ws, \
            httpx.AsyncClient(base_url=base, headers={"X-API-Key": KEY}) as http:
        for n in range(runs + 5):  # the first 5 warm up
            body = {"event": "newCall", "from": "4915123456789", "to": "496912340", "direction": "in",
                    "callId": f"bench-{n}", "user": ["Ada Agent"]}
            started = time.perf_counter()
            response = await http.post("/api/telephony/cti", json=body)
            assert response.status_code == 200, response.text
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if message.get("event") == "ringing":
                    break
            elapsed = (time.perf_counter() - started) * 1000
            await http.post("/api/telephony/cti", json=body | {"event": "hangup", "cause": "cancel"})
            await asyncio.wait_for(ws.recv(), 10)  # the pop closes
            if n >= 5:
                pops.append(elapsed)
                sizes.append(len(json.dumps(message)))
    size = round(sum(sizes) / len(sizes))
    floors: list[float] = []
    async with connect(floor_url) as ws:
        for n in range(runs + 5):
            started = time.perf_counter()
            await ws.send(json.dumps({"size": size}))
            await ws.recv()
            if n >= 5:
                floors.append((time.perf_counter() - started) * 1000)
    return {"pop": stats(pops), "floor": stats(floors), "bytes": size, "runs": runs}


def run(runs: int, known_tickets: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bk-p7-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(common.SERVER_ENV)
    env.update({"BK_DATA_DIR": str(tmp), "REQUIRE_2FA": "false", "TELEPHONY_API_KEYS": f"klingelbach={KEY}",
                "SESSION_ENGINE": "django.contrib.sessions.backends.db",
                "PYTHONPATH": f"{common.ROOT / 'src'}:{common.ROOT}"})
    try:
        out = tmp / "data.json"
        subprocess.run([str(common.VENV_BIN / "python"), __file__, "generate", "--out", str(out),
                        "--known-tickets", str(known_tickets)], cwd=common.ROOT, env=env, check=True)
        session = json.loads(out.read_text())["session"]
        port, floor_port = common.free_port(), common.free_port()
        base = f"http://127.0.0.1:{port}"
        with process(env, "serve", "--port", str(port), ready_url=f"{base}/api/health"), \
                process(env, "floor", "--port", str(floor_port), port=floor_port):
            result = asyncio.run(measure(base, session, f"ws://127.0.0.1:{floor_port}", runs))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    pop, floor = result["pop"], result["floor"]
    print(f"[P7] newCall → pop on the agent's socket: n={pop['n']} p50 {pop['p50']:.1f} ms "
          f"p99 {pop['p99']:.1f} ms max {pop['max']:.1f} ms ({result['bytes']} bytes)")
    print(f"[P7] floor (plain push of the same size): p50 {floor['p50']:.2f} ms p99 {floor['p99']:.2f} ms")
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="run", choices=["run", "generate", "serve", "floor"])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--known-tickets", type=int, default=3)
    parser.add_argument("--out")
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(args.out, args.known_tickets)
        return {}
    if args.command == "serve":
        serve(args.port)
        return {}
    if args.command == "floor":
        floor_server(args.port)
        return {}
    return run(args.runs, args.known_tickets)


if __name__ == "__main__":
    main()
