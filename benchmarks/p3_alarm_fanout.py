"""P3 alarm fan-out, P4 supervision (killed client → offline), P5 server memory with alarm clients.

    .venv/bin/python benchmarks/p3_alarm_fanout.py [--clients 1000] [--small 100] [--rounds 8]
                                                   [--layer redis|memory] [--seconds N]

Own data directory (a temporary ``BK_DATA_DIR`` with its own SQLite database, removed afterwards),
one uvicorn process (``buergerkontakt.asgi``, DEBUG=false, ``REQUIRE_2FA=false``; channel layer
Redis db 9 when reachable, else in-memory) and the clients in a *separate* process
(``client-runner``: asyncio + ``websockets``, one connection per staff user with a session cookie
and a workstation device cookie, pinging every ``ALARM_HEARTBEAT_SECONDS`` and confirming
receipt like ``alarm-client.js``). The trigger is a client in the same process, so the latency
trigger → receipt is measured on one monotonic clock: from sending ``{"type":"raise"}`` to each
recipient's ``alarm`` event.

Data: location A with ``--clients`` recipients – 19 neighbour rooms of the alarm room with one
user each and one security user (circle 1, 20 recipients) plus the rest of the building; location
B the same with ``--small`` recipients.

* P3 (a) first circle: level-2 alarms (only circle 1 receives) with all clients connected, and the
  circle-1 share of level-3 alarms; (b) level-3 alarms to all ``--clients``; (c) level-3 alarms at
  location B with only ``--small`` clients connected. Floor: a minimal raw ``websockets``
  broadcast server (``floor``, separate process) with the same clients, measured in the same run.
  Targets: circle 1 p99 ≤ 20 ms; all p99 ≤ 2 × floor; 100 clients p99 ≤ 50 ms.
* P4: a client process that just heartbeated is killed with SIGKILL; the database is polled with
  ``alarms.services.offline_q`` (what the security console shows) until the workstation is
  offline. Target ≤ 30 s (killing right after a heartbeat is the worst case).
* P5: VmRSS of the uvicorn process idle, with all clients connected and after the alarms.
  Target ≤ 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

NEIGHBOURS = 19
HEARTBEAT = 10
OFFLINE = 25
BACKEND = "django.contrib.auth.backends.ModelBackend"
REDIS_P3_URL = os.environ.get("BENCH_ALARM_REDIS_URL", "redis://127.0.0.1:6379/9")


def _nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(want, 65536)), hard))


def _django() -> None:
    sys.path.insert(0, str(common.ROOT / "src"))
    sys.path.insert(0, str(common.ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buergerkontakt.settings")
    import django

    django.setup()


# --- data (runs inside the benchmark's environment) -----------------------------------------------
def generate(clients: int, small: int, out: str) -> None:
    _django()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from buergerkontakt.alarms.models import Workstation, hash_token, new_device_token
    from buergerkontakt.core.models import Authority, Floor, Location, Role, RoleAssignment, Room, Team, User

    started = time.perf_counter()
    expire = timezone.now() + timedelta(hours=8)
    store = SessionStore()
    result: dict[str, dict] = {}
    with transaction.atomic():
        authority = Authority.objects.create(name="Stadt Alarmhausen", slug="alarmhausen",
                                             kind=Authority.Kind.BUERGERBUERO, bundesland="HE")
        for key, count in (("A", clients), ("B", small)):
            location = Location.objects.create(authority=authority, name=f"Rathaus {key}",
                                               slug=f"rathaus-{key.lower()}", street="Markt 1",
                                               postcode="63065", city="Alarmhausen")
            team = Team.objects.create(authority=authority, location=location, name=f"Team {key}",
                                       slug=f"team-{key.lower()}")
            ground = Floor.objects.create(location=location, name="EG", level=0)
            upper = [Floor.objects.create(location=location, name=f"{n}. OG", level=n) for n in range(1, 6)]
            alarm_room = Room.objects.create(floor=ground, number="E.00", name="Bürgerservice")
            neighbour_rooms = [Room.objects.create(floor=ground, number=f"E.{n:02d}")
                               for n in range(1, NEIGHBOURS + 1)]
            alarm_room.neighbours.set(neighbour_rooms)
            security_room = Room.objects.create(floor=ground, number="E.99", kind=Room.Kind.SECURITY)
            other_rooms = [Room.objects.create(floor=floor, number=f"{floor.level}.{n:02d}")
                           for floor in upper for n in range(1, 41)]
            # (room, circle, security?) per recipient; the trigger sits in the alarm room
            plan = [(alarm_room, 0, False)]
            plan += [(room, 1, False) for room in neighbour_rooms[:count - 1]]
            plan.append((security_room, 1, True))
            plan += [(other_rooms[i % len(other_rooms)], 2, False) for i in range(count - len(plan) + 1)]
            users = User.objects.bulk_create([
                User(username=f"{key.lower()}{i:05d}", first_name="Bench", last_name=f"{key}{i}",
                     password="!unusable", authority=authority, workstation_room=room)  # noqa: S106
                for i, (room, _circle, _sec) in enumerate(plan)])
            if not all(u.pk for u in users):  # SQLite/PostgreSQL return pks; be safe anyway
                users = list(User.objects.filter(username__startswith=key.lower()).order_by("username"))
            RoleAssignment.objects.bulk_create(
                [RoleAssignment(user=u, role=Role.CASEWORKER, authority=authority, team=team) for u in users]
                + [RoleAssignment(user=u, role=Role.SECURITY, authority=authority, location=location)
                   for u, (_r, _c, sec) in zip(users, plan, strict=True) if sec])
            tokens = [new_device_token() for _ in users]
            Workstation.objects.bulk_create([
                Workstation(authority=authority, room=room, name=f"PC {u.username}", token_hash=hash_token(t),
                            registered_by=u, last_user=u)
                for u, t, (room, _c, _s) in zip(users, tokens, plan, strict=True)])
            sessions, entries = [], []
            for user, token, (_room, circle, _sec) in zip(users, tokens, plan, strict=True):
                skey = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
                data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: BACKEND,
                        HASH_SESSION_KEY: user.get_session_auth_hash()}
                sessions.append(Session(session_key=skey, session_data=store.encode(data),
                                        expire_date=expire))
                entries.append({"user": user.pk, "session": skey, "token": token, "circle": circle})
            Session.objects.bulk_create(sessions)
            result[key] = {"location": location.pk, "trigger": entries[0], "clients": entries[1:]}
    Path(out).write_text(json.dumps(result))
    print(json.dumps({"recipients_A": len(result["A"]["clients"]),
                      "recipients_B": len(result["B"]["clients"]),
                      "seconds": round(time.perf_counter() - started, 1)}))


def poll_offline(user_id: int, killed_at: float, timeout: float) -> None:
    """Poll until the user's workstation matches ``offline_q`` (security console: offline)."""
    _django()
    from buergerkontakt.alarms.models import Workstation
    from buergerkontakt.alarms.services import offline_q

    ws = Workstation.objects.get(registered_by_id=user_id)
    print("READY", flush=True)
    line = sys.stdin.readline()  # the kill time (wall clock) is sent once the client is dead
    killed_at = float(line.strip() or killed_at)
    while time.time() - killed_at < timeout:
        if Workstation.objects.filter(offline_q(), pk=ws.pk).exists():
            print(json.dumps({"offline_after_s": round(time.time() - killed_at, 2)}), flush=True)
            return
        time.sleep(0.1)
    print(json.dumps({"offline_after_s": None}), flush=True)


# --- the raw floor server ------------------------------------------------------------------------
def floor_server(port: int) -> None:
    _nofile()
    from websockets.asyncio.server import broadcast, serve

    clients: set = set()
    first_circle: set = set()  # clients that connected with ?circle=1

    async def handler(ws) -> None:
        clients.add(ws)
        if ws.request.path.endswith("?circle=1"):
            first_circle.add(ws)
        serial = 0
        try:
            await ws.send(json.dumps({"event": "hello"}))
            async for raw in ws:
                msg = json.loads(raw)
                kind = msg.get("type")
                if kind == "raise":
                    serial += 1
                    # level 2 reaches the first circle only, as ours does
                    targets = first_circle if msg.get("level") == 2 else clients
                    broadcast(targets, json.dumps({"event": "alarm", "alarm": {"id": serial}}))
                elif kind == "ping":
                    await ws.send('{"event":"pong"}')
        finally:
            clients.discard(ws)
            first_circle.discard(ws)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", port, ping_interval=None, max_queue=None, backlog=4096):
            await asyncio.Future()

    asyncio.run(main())


# --- the client process ----------------------------------------------------------------------------
def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def client_runner(spec: dict) -> dict:
    """Connect the clients and the trigger, raise ``rounds`` alarms per level, report latencies."""
    from websockets.asyncio.client import connect

    url, origin = spec["url"], spec["origin"]
    received: dict[int, float] = {}  # client index → perf_counter of the current round's alarm
    done = asyncio.Event()
    expected = {"n": 0}
    circles = [c["circle"] for c in spec["clients"]]
    tasks = []

    async def open_one(entry: dict):
        cookie = f"sessionid={entry['session']}; bk_workstation={entry['token']}"
        for attempt in range(5):
            try:
                # the floor server learns each client's circle from its URL (ours from the database)
                where = f"{url}?circle={entry.get('circle', 0)}" if spec.get("floor") else url
                ws = await connect(where, origin=origin, additional_headers={"Cookie": cookie},
                                   ping_interval=None, open_timeout=120, max_queue=None)
                hello = json.loads(await asyncio.wait_for(ws.recv(), 120))
                assert hello.get("event") == "hello", hello
                return ws
            except (OSError, TimeoutError):
                if attempt == 4:
                    raise
                await asyncio.sleep(0.5)
        raise AssertionError("unreachable")

    async def reader(index: int, ws) -> None:
        async for raw in ws:
            now = time.perf_counter()
            msg = json.loads(raw)
            if msg.get("event") != "alarm":
                continue
            if index not in received:
                received[index] = now
                if len(received) >= expected["n"]:
                    done.set()
            if spec["confirm"]:
                await ws.send(json.dumps({"type": "received", "alarm": msg["alarm"]["id"]}))

    async def pinger(index: int, ws) -> None:
        await asyncio.sleep((index % 100) / 100 * spec["heartbeat"])
        while True:
            await ws.send('{"type":"ping"}')
            await asyncio.sleep(spec["heartbeat"])

    started = time.perf_counter()
    sockets = []
    batch = 50
    for start in range(0, len(spec["clients"]), batch):
        sockets += await asyncio.gather(*(open_one(e) for e in spec["clients"][start:start + batch]))
    connect_seconds = time.perf_counter() - started
    for i, ws in enumerate(sockets):
        tasks.append(asyncio.create_task(reader(i, ws)))
        if spec["heartbeat"]:
            tasks.append(asyncio.create_task(pinger(i, ws)))
    trigger = await open_one(spec["trigger"])
    raised: asyncio.Queue = asyncio.Queue()
    pongs: asyncio.Queue = asyncio.Queue()

    async def trigger_reader() -> None:
        async for raw in trigger:
            msg = json.loads(raw)
            if msg.get("event") in ("raised", "error"):
                raised.put_nowait(msg)
            elif msg.get("event") == "pong":
                pongs.put_nowait(time.perf_counter())

    tasks.append(asyncio.create_task(trigger_reader()))
    await asyncio.sleep(spec["settle"])
    result: dict = {"connected": len(sockets), "connect_seconds": round(connect_seconds, 1)}
    if spec.get("server_pid"):
        result["rss_connected_kb"] = rss_kb(spec["server_pid"])
    for level in spec["levels"]:
        samples: list[tuple[int, float]] = []  # (circle, ms)
        drains: list[float] = []
        missing = 0
        targets = [i for i, c in enumerate(circles) if level == 3 or c == 1]
        for _round in range(spec["rounds"]):
            received.clear()
            done.clear()
            expected["n"] = len(targets)
            t0 = time.perf_counter()
            await trigger.send(json.dumps({"type": "raise", "level": level}))
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(done.wait(), spec["timeout"])
            if spec["expect_raised"]:
                with contextlib.suppress(TimeoutError):
                    msg = await asyncio.wait_for(raised.get(), 120)
                    assert msg.get("event") == "raised", msg
            samples += [(circles[i], (t - t0) * 1000) for i, t in received.items()]
            missing += len(targets) - len([i for i in received if i in set(targets)])
            # The trigger's heartbeat is answered after the server's database work queued before it
            # (receipt confirmations, heartbeats): wait for it so alarms do not pile up.
            t1 = time.perf_counter()
            await trigger.send('{"type":"ping"}')
            with contextlib.suppress(TimeoutError):
                drains.append(await asyncio.wait_for(pongs.get(), 120) - t1)
            await asyncio.sleep(spec["gap"])
        result[f"level{level}"] = {"samples": samples, "missing": missing, "expected": len(targets),
                                   "drain_s": drains}
    if spec.get("server_pid"):
        result["rss_after_kb"] = rss_kb(spec["server_pid"])
    for task in tasks:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in [*sockets, trigger]), return_exceptions=True)
    return result


async def victim(spec: dict) -> None:
    """P4: one heartbeating client; prints PONG after a heartbeat was answered, then waits to be killed."""
    from websockets.asyncio.client import connect

    entry = spec["client"]
    cookie = f"sessionid={entry['session']}; bk_workstation={entry['token']}"
    async with connect(spec["url"], origin=spec["origin"], additional_headers={"Cookie": cookie},
                       ping_interval=None) as ws:
        await ws.recv()  # hello
        while True:
            await ws.send('{"type":"ping"}')
            while json.loads(await ws.recv()).get("event") != "pong":
                pass
            print("PONG", flush=True)
            await asyncio.sleep(spec["heartbeat"])


# --- orchestration -----------------------------------------------------------------------------------
@contextlib.contextmanager
def uvicorn(env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """One uvicorn process (no supervisor, so its pid is the server); yields (base URL, pid)."""
    import httpx

    port = common.free_port()
    cmd = [str(common.VENV_BIN / "python"), __file__, "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=common.ROOT, start_new_session=True,
                            env={**env, "PYTHONPATH": f"{common.ROOT / 'src'}:{common.ROOT}"})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError("uvicorn exited during start-up")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not answer within 60 s")
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        _stop(proc)


def serve(port: int) -> None:
    """The server process: raise the open-files limit, then run uvicorn in-process."""
    _nofile()
    import uvicorn as server

    if os.environ.get("REDIS_URL") and os.environ.get("BENCH_REDIS_WORKAROUND", "1") == "1":
        # redis-py ≥ 8 defaults socket_timeout to 5 s, the same as channels_redis' BZPOPMIN timeout:
        # an idle consumer's receive then fails with redis TimeoutError and the socket is dropped.
        # Benchmark-only workaround until settings.py passes a larger socket_timeout (see report).
        from django.conf import settings

        layer = settings.CHANNEL_LAYERS["default"]["CONFIG"]
        layer["hosts"] = [{"address": os.environ["REDIS_URL"], "socket_timeout": 30}]
        if int(os.environ.get("BENCH_REDIS_CAPACITY", "0")):
            # channels_redis keeps all messages for one process's consumers in ONE Redis key with
            # ``capacity`` (default 100): a group_send to more than that many recipients in one
            # process is dropped silently (logged at INFO). ``--redis-capacity`` measures a fix.
            layer["capacity"] = int(os.environ["BENCH_REDIS_CAPACITY"])

    server.run("buergerkontakt.asgi:application", host="127.0.0.1", port=port, log_level="warning",
               access_log=False, lifespan="off", ws="websockets-sansio", backlog=4096)


def _stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _self(env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(common.VENV_BIN / "python"), __file__, *args], cwd=common.ROOT, env=env,
                          check=True, capture_output=True, text=True, **kwargs)


def run_clients(env: dict[str, str], spec: dict, tmp: Path, name: str) -> dict:
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(spec))
    proc = subprocess.run([str(common.VENV_BIN / "python"), __file__, "client-runner", "--spec", str(path)],
                          cwd=common.ROOT, env=env, capture_output=True, text=True)
    if proc.returncode:
        print(proc.stderr[-3000:], file=sys.stderr)
        raise RuntimeError(f"client runner {name} failed")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for key, part in result.items():
        if isinstance(part, dict) and "samples" in part:  # partial figures, printed at once
            s = _stats([ms for _c, ms in part["samples"]])
            print(f"[P3] {name} {key}: n={s['n']} p50 {s['p50']:.1f} ms p99 {s['p99']:.1f} ms "
                  f"missing {part['missing']} drain {[round(d, 1) for d in part.get('drain_s', [])]}",
                  flush=True)
    return result


def _stats(values: list[float]) -> dict:
    return {"n": len(values), "p50": common.percentile(values, 50), "p99": common.percentile(values, 99),
            "max": max(values) if values else float("nan")}


def measure_p4(env: dict[str, str], base: str, client: dict, tmp: Path) -> dict:
    spec_path = tmp / "p4.json"
    ws_url = base.replace("http://", "ws://") + "/ws/alarm/"
    spec_path.write_text(json.dumps({"url": ws_url, "origin": base, "client": client,
                                     "heartbeat": HEARTBEAT}))
    poller = subprocess.Popen([str(common.VENV_BIN / "python"), __file__, "poll-offline", "--user",
                               str(client["user"]), "--timeout", "90"], cwd=common.ROOT, env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert poller.stdout is not None and poller.stdin is not None
    assert poller.stdout.readline().strip() == "READY"
    proc = subprocess.Popen([str(common.VENV_BIN / "python"), __file__, "victim", "--spec", str(spec_path)],
                            cwd=common.ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    pongs = 0
    while pongs < 2:  # the second heartbeat: the connection is established and supervised
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("P4 client died before its heartbeat")
        pongs += line.strip() == "PONG"
    proc.send_signal(signal.SIGKILL)  # right after a heartbeat: the worst case
    killed_at = time.time()
    proc.wait()
    poller.stdin.write(f"{killed_at}\n")
    poller.stdin.flush()
    out = poller.stdout.readline()
    poller.wait(10)
    return json.loads(out)


def run(args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bk-bench-p3-"))
    layer = args.layer
    if layer == "auto":
        layer = "redis" if common.redis_available() else "memory"
    try:
        env = common.bench_env(f"sqlite:///{tmp / 'p3.sqlite3'}",
                               redis_url=REDIS_P3_URL if layer == "redis" else None,
                               BK_DATA_DIR=str(tmp), REQUIRE_2FA="false",
                               ALARM_HEARTBEAT_SECONDS=str(HEARTBEAT), ALARM_OFFLINE_SECONDS=str(OFFLINE),
                               ALARM_ESCALATE_SECONDS="30", BENCH_REDIS_CAPACITY=str(args.redis_capacity))
        env["PYTHONPATH"] = f"{common.ROOT / 'src'}:{common.ROOT}"
        common.run_manage(env, "migrate", "--verbosity", "0")
        data_file = tmp / "clients.json"
        info = json.loads(_self(env, "generate", "--clients", str(args.clients), "--small", str(args.small),
                                "--out", str(data_file)).stdout.strip().splitlines()[-1])
        print(f"[P3] data: {info}; channel layer: {layer}", flush=True)
        data = json.loads(data_file.read_text())
        common_spec = {"confirm": True, "heartbeat": HEARTBEAT, "rounds": args.rounds, "gap": args.gap,
                       "timeout": 30, "settle": args.settle}
        if layer == "redis":
            layer += f" (socket_timeout 30 s, capacity {args.redis_capacity or '100 = shipped default'})"
        results: dict = {"layer": layer, "clients": args.clients, "small": args.small, "rounds": args.rounds}
        with uvicorn(env) as (base, pid):
            ws_url = base.replace("http://", "ws://") + "/ws/alarm/"
            results["rss_idle_kb"] = rss_kb(pid)
            spec = {**common_spec, "url": ws_url, "origin": base, "server_pid": pid, "expect_raised": True,
                    "clients": data["A"]["clients"], "trigger": data["A"]["trigger"], "levels": [2, 3]}
            print(f"[P3] ours: {args.clients} clients, {args.rounds} level-2 and level-3 alarms …",
                  flush=True)
            results["ours_big"] = run_clients(env, spec, tmp, "big")
            spec = {**spec, "clients": data["B"]["clients"], "trigger": data["B"]["trigger"], "levels": [3]}
            print(f"[P3] ours: {args.small} clients …", flush=True)
            results["ours_small"] = run_clients(env, spec, tmp, "small")
            print("[P4] killing a client after its heartbeat, polling offline_q …", flush=True)
            results["p4"] = measure_p4(env, base, data["A"]["clients"][-1], tmp)
        port = common.free_port()
        floor = subprocess.Popen([str(common.VENV_BIN / "python"), __file__, "floor", "--port", str(port)],
                                 cwd=common.ROOT, env=env, start_new_session=True)
        try:
            time.sleep(1.5)
            fbase = f"http://127.0.0.1:{port}"
            for key, n in (("big", args.clients), ("small", args.small)):
                print(f"[P3] floor: {n} clients …", flush=True)
                part = "A" if key == "big" else "B"
                spec = {**common_spec, "url": f"ws://127.0.0.1:{port}/", "origin": fbase,
                        "expect_raised": False, "clients": data[part]["clients"], "floor": True,
                        "trigger": data[part]["trigger"], "levels": [2, 3] if key == "big" else [3]}
                results[f"floor_{key}"] = run_clients(env, spec, tmp, f"floor-{key}")
        finally:
            _stop(floor)
        return summarize(results)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def summarize(raw: dict) -> dict:
    big, small = raw["ours_big"], raw["ours_small"]
    res = {k: raw[k] for k in ("layer", "clients", "small", "rounds", "p4")}
    res["first_circle_l2"] = _stats([ms for _c, ms in big["level2"]["samples"]])
    res["first_circle_l3"] = _stats([ms for c, ms in big["level3"]["samples"] if c == 1])
    res["all_big"] = _stats([ms for _c, ms in big["level3"]["samples"]])
    res["all_small"] = _stats([ms for _c, ms in small["level3"]["samples"]])
    res["floor_big"] = _stats([ms for _c, ms in raw["floor_big"]["level3"]["samples"]])
    res["floor_small"] = _stats([ms for _c, ms in raw["floor_small"]["level3"]["samples"]])
    res["floor_circle"] = _stats([ms for _c, ms in raw["floor_big"]["level2"]["samples"]])
    res["missing"] = {"l2": big["level2"]["missing"], "l3": big["level3"]["missing"],
                      "small": small["level3"]["missing"], "floor": raw["floor_big"]["level3"]["missing"]}
    res["drain_s"] = max(big["level3"].get("drain_s") or [float("nan")])
    res["connected"] = big["connected"]
    res["connect_seconds"] = big["connect_seconds"]
    res["rss_mb"] = {"idle": raw["rss_idle_kb"] / 1024, "connected": big.get("rss_connected_kb", 0) / 1024,
                     "after": big.get("rss_after_kb", 0) / 1024}
    return res


def report(res: dict) -> str:
    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    def row(label: str, s: dict, floor: dict | None = None) -> str:
        floor_p99 = f"{floor['p99']:.1f}" if floor else "–"
        ratio = f"{s['p99'] / floor['p99']:.2f}" if floor else "–"
        return (f"| {label} | {s['n']} | {s['p50']:.1f} | {s['p99']:.1f} | {s['max']:.1f} | {floor_p99} | "
                f"{ratio} |")

    n, m = res["clients"], res["small"]
    lines = [f"P3/P4/P5 silent alarm: SQLite, 1 uvicorn process, channel layer {res['layer']}, "
             f"{res['connected']} alarm clients connected in {res['connect_seconds']} s, "
             f"{res['rounds']} alarms per row (latency trigger → receipt, client clock, samples pooled).", "",
             "| P3 alarm fan-out | samples | p50 ms | p99 ms | max ms | floor p99 ms | ratio ours/floor |",
             "|---|---|---|---|---|---|---|",
             row(f"first circle (level 2, 20 recipients, {n} connected)", res["first_circle_l2"],
                 res["floor_circle"]),
             row(f"first circle within level 3 ({n} recipients)", res["first_circle_l3"]),
             row(f"all {n} (level 3)", res["all_big"], res["floor_big"]),
             row(f"all {m} (level 3, {m} connected)", res["all_small"], res["floor_small"]),
             ""]
    c1 = max(res["first_circle_l2"]["p99"], res["first_circle_l3"]["p99"])
    c1_ratio = res["first_circle_l2"]["p99"] / res["floor_circle"]["p99"]
    ratio = res["all_big"]["p99"] / res["floor_big"]["p99"]
    p4 = res["p4"].get("offline_after_s")
    rss = res["rss_mb"]
    lines += [
        f"- P3 first circle p99 {c1:.1f} ms ({verdict(c1 <= 20)}, target ≤ 20 ms); level 2 "
        f"{res['first_circle_l2']['p99']:.1f} ms = {c1_ratio:.2f} × floor "
        f"{res['floor_circle']['p99']:.1f} ms ({verdict(c1_ratio <= 2)}, where the machine cannot "
        f"measure 20 ms: ≤ 2× the raw server sending to the same 20 of {n} connections); all {n} p99 "
        f"{res['all_big']['p99']:.1f} ms = {ratio:.2f} × floor ({verdict(ratio <= 2)}, target ≤ 2×); "
        f"{m} clients p99 {res['all_small']['p99']:.1f} ms ({verdict(res['all_small']['p99'] <= 50)}, "
        f"target ≤ 50 ms); alarms not received within 30 s: {res['missing']}; after a level-3 alarm to "
        f"{n} the server answered the trigger's next heartbeat only after {res['drain_s']:.1f} s (database "
        f"work queued behind the receipt confirmations)",
        f"- P4 killed client (SIGKILL right after its heartbeat; heartbeat {HEARTBEAT} s, offline after "
        f"{OFFLINE} s) shown offline after {p4} s ({verdict(p4 is not None and p4 <= 30)}, target ≤ 30 s)",
        f"- P5 server RSS: idle {rss['idle']:.0f} MB, {res['connected']} alarm clients connected "
        f"{rss['connected']:.0f} MB, after the alarms {rss['after']:.0f} MB "
        f"({verdict(max(rss['connected'], rss['after']) <= 250)}, target ≤ 250 MB)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="run",
                        choices=["run", "generate", "serve", "floor", "client-runner", "victim",
                                 "poll-offline"])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--gap", type=float, default=3.0, help="seconds between two alarms")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after connecting")
    parser.add_argument("--seconds", type=float, default=None, help="accepted for run_all; unused")
    parser.add_argument("--layer", default="auto", choices=["auto", "redis", "memory"])
    parser.add_argument("--redis-capacity", type=int, default=0,
                        help="override channels_redis capacity in the server (0: shipped default 100)")
    parser.add_argument("--out")
    parser.add_argument("--spec")
    parser.add_argument("--port", type=int)
    parser.add_argument("--user", type=int)
    parser.add_argument("--timeout", type=float, default=90)
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(args.clients, args.small, args.out)
        return {}
    if args.command == "serve":
        serve(args.port)
        return {}
    if args.command == "floor":
        floor_server(args.port)
        return {}
    if args.command == "client-runner":
        _nofile()
        print(json.dumps(asyncio.run(client_runner(json.loads(Path(args.spec).read_text())))))
        return {}
    if args.command == "victim":
        asyncio.run(victim(json.loads(Path(args.spec).read_text())))
        return {}
    if args.command == "poll-offline":
        poll_offline(args.user, time.time(), args.timeout)
        return {}
    print(f"[P3] machine: {common.machine()}", flush=True)
    res = run(args)
    print(report(res), flush=True)
    return res


if __name__ == "__main__":
    main()
