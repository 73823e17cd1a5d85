"""P2: release stampede on PostgreSQL – 200 concurrent clients, 2,000 booking attempts, 100 fresh slots.

    .venv/bin/python benchmarks/p2_stampede.py [--workers 4] [--clients 200] [--attempts 2000]

Own database ``bk_bench`` (dropped and created), Redis (db 7) for the cache when reachable.
Data: one location, a day just released (the day after tomorrow) with 100 five-minute units of
capacity 1 (08:00–16:20), one 5-minute online service. uvicorn with several workers
(DEBUG=false; ALTCHA and the booking rate limits switched off for the benchmark only).

Each of the 200 clients has its own keep-alive connection (opened before the start, as a browser
that has the page open) and works off the shared list of attempts. Each attempt: pick one of the
100 start times at random, ``POST /api/appointments/hold`` with its
own idempotency key; on 201 ``POST /api/appointments/book`` with its own e-mail address. Prints
booked count and over-capacity count from the database afterwards, errors by HTTP status and the
p50/p99 latency of single requests and of whole attempts. Target: exactly 100 booked, 0 over
capacity, 0 server errors, p99 ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time as clock
import uuid
from datetime import time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

UNITS = 100


def _django() -> None:
    sys.path.insert(0, str(common.ROOT / "src"))
    sys.path.insert(0, str(common.ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buergerkontakt.settings")
    import django

    django.setup()


def generate() -> None:
    _django()
    from django.utils import timezone

    from buergerkontakt.appointments import services
    from buergerkontakt.appointments.models import Schedule, ServiceGroup, Slot
    from buergerkontakt.core.models import Authority, Location
    from buergerkontakt.directory.models import Service

    day = timezone.localdate() + timedelta(days=2)
    authority = Authority.objects.create(name="Stadt Benchhausen", slug="benchhausen",
                                         kind=Authority.Kind.BUERGERBUERO, bundesland="HE")
    location = Location.objects.create(authority=authority, name="Bürgerbüro Mitte", slug="mitte",
                                       street="Marktplatz 1", postcode="63065", city="Benchhausen",
                                       offers_online_booking=True)
    service = Service.objects.create(authority=authority, name="Meldebescheinigung",
                                     slug="meldebescheinigung", duration_minutes=5, online_bookable=True)
    service.locations.add(location)
    group = ServiceGroup.objects.create(authority=authority, name="Meldewesen", slug="meldewesen",
                                        slot_minutes=5, min_days_ahead=0, max_days_ahead=30,
                                        release_time=time(0, 0), max_active_per_person=1)
    group.services.add(service)
    # An extra day (date schedule) applies even where no opening hours are recorded.
    Schedule.objects.create(group=group, location=location, date=day, start=time(8, 0), end=time(16, 20),
                            counters=1, online_quota=1)
    services.materialize_slots(group, location, day, day)
    starts = [timezone.localtime(s).isoformat() for s in
              Slot.objects.filter(group=group).order_by("start").values_list("start", flat=True)]
    assert len(starts) == UNITS, len(starts)
    print(json.dumps({"starts": starts}))


def verify() -> None:
    _django()
    from collections import Counter

    from django.db.models import Count, F

    from buergerkontakt.appointments.models import Appointment, AppointmentSlot, Quota, Slot

    active = Counter(AppointmentSlot.objects.filter(appointment__capacity_released=False)
                     .values_list("slot_id", "appointment__quota"))
    slots = list(Slot.objects.all())
    over = sum(1 for s in slots if s.online_used > s.online_capacity or s.internal_used > s.internal_capacity
               or active[(s.pk, Quota.ONLINE)] > s.online_capacity)
    mismatch = sum(1 for s in slots if s.online_used != active[(s.pk, Quota.ONLINE)])
    statuses = Counter(Appointment.objects.values_list("status", flat=True))
    print(json.dumps({
        "booked": statuses.get(Appointment.Status.CONFIRMED, 0),
        "statuses": dict(statuses),
        "over_capacity": over,
        "counter_mismatch": mismatch,
        "slots_used": Slot.objects.filter(online_used__gte=F("online_capacity")).count(),
        "double_booked_slots": Slot.objects.filter(units__appointment__status=Appointment.Status.CONFIRMED)
        .values("pk").annotate(n=Count("units")).filter(n__gt=1).count(),
    }))


async def _clients(base: str, clients: int, jobs: list, run_job) -> tuple[float, float, float]:
    """``clients`` simulated clients, each on its own keep-alive connection, working off ``jobs``
    (a real stampede: everybody is already on the page when the slots appear); returns seconds, the
    CPU seconds the client process itself used meanwhile and those the server used."""
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    connections = [common.Connection(base) for _ in range(clients)]
    # Connect first (as browsers that have the page open), then start everybody at once.
    await asyncio.gather(*(conn.request("GET", "/api/health") for conn in connections))

    async def client(conn: common.Connection) -> None:
        while not queue.empty():
            await run_job(conn, queue.get_nowait())
        await conn.close()

    t0, cpu0, server0 = clock.perf_counter(), clock.process_time(), common.server_cpu_seconds()
    await asyncio.gather(*(client(conn) for conn in connections))
    return clock.perf_counter() - t0, clock.process_time() - cpu0, common.server_cpu_seconds() - server0


async def stampede(base: str, starts: list[str], clients: int, attempts: int) -> dict:
    rng = random.Random(7)
    requests = common.Run("single requests (hold, book)")
    whole = common.Run("attempts (hold + book)")
    outcome: dict[str, int] = {}

    async def request(conn: common.Connection, path: str, body: dict) -> tuple[int, bytes]:
        t0 = clock.perf_counter()
        status, content = await conn.request("POST", path, json.dumps(body).encode())
        requests.latencies_ms.append((clock.perf_counter() - t0) * 1000)
        requests.statuses[status] = requests.statuses.get(status, 0) + 1
        return status, content

    async def attempt(conn: common.Connection, i: int) -> None:
        t0 = clock.perf_counter()
        status, content = await request(conn, "/api/appointments/hold", {
            "services": ["meldebescheinigung"], "location": "mitte", "start": rng.choice(starts),
            "idempotency_key": uuid.uuid4().hex})
        result = f"hold {status}"
        if status == 201:
            data = json.loads(content)
            status, _content = await request(conn, "/api/appointments/book", {
                "code": data["code"], "token": data["token"], "name": f"Person {i}",
                "email": f"person{i}@example.org"})
            result = f"book {status}"
        whole.latencies_ms.append((clock.perf_counter() - t0) * 1000)
        outcome[result] = outcome.get(result, 0) + 1

    elapsed, cpu, server_cpu = await _clients(base, clients, list(range(attempts)), attempt)
    requests.seconds = whole.seconds = elapsed
    requests.client_cpu_seconds = whole.client_cpu_seconds = cpu
    requests.server_cpu_seconds = whole.server_cpu_seconds = server_cpu
    return {"requests": requests, "attempts": whole, "outcome": outcome, "seconds": elapsed}


async def open_loop(base: str, starts: list[str], clients: int, attempts: int, rate: float) -> dict:
    """Another view, NOT the P2 load model: attempts *arrive* at ``rate`` per second (evenly spaced),
    whatever the server's speed, each on a free one of ``clients`` open connections. Latency counts
    from the planned arrival, so waiting for a free connection is included (no coordinated omission)."""
    rng = random.Random(7)
    requests = common.Run(f"open loop {rate:.0f} attempts/s: single requests")
    whole = common.Run(f"open loop {rate:.0f} attempts/s: attempts")
    outcome: dict[str, int] = {}
    pool: asyncio.Queue = asyncio.Queue()
    connections = [common.Connection(base) for _ in range(clients)]
    await asyncio.gather(*(conn.request("GET", "/api/health") for conn in connections))
    for conn in connections:
        pool.put_nowait(conn)

    async def attempt(i: int, planned: float) -> None:
        conn = await pool.get()
        try:
            body = {"services": ["meldebescheinigung"], "location": "mitte", "start": rng.choice(starts),
                    "idempotency_key": uuid.uuid4().hex}
            status, content = await conn.request("POST", "/api/appointments/hold", json.dumps(body).encode())
            requests.latencies_ms.append((clock.perf_counter() - planned) * 1000)
            requests.statuses[status] = requests.statuses.get(status, 0) + 1
            result = f"hold {status}"
            if status == 201:
                data = json.loads(content)
                t1 = clock.perf_counter()
                status, _content = await conn.request("POST", "/api/appointments/book", json.dumps({
                    "code": data["code"], "token": data["token"], "name": f"Person {i}",
                    "email": f"person{i}@example.org"}).encode())
                requests.latencies_ms.append((clock.perf_counter() - t1) * 1000)
                requests.statuses[status] = requests.statuses.get(status, 0) + 1
                result = f"book {status}"
            whole.latencies_ms.append((clock.perf_counter() - planned) * 1000)
            outcome[result] = outcome.get(result, 0) + 1
        finally:
            pool.put_nowait(conn)

    t0, cpu0 = clock.perf_counter(), clock.process_time()
    tasks = []
    for i in range(attempts):
        planned = t0 + i / rate
        delay = planned - clock.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(attempt(i, planned)))
    await asyncio.gather(*tasks)
    elapsed = clock.perf_counter() - t0
    requests.seconds = whole.seconds = elapsed
    requests.client_cpu_seconds = whole.client_cpu_seconds = clock.process_time() - cpu0
    for conn in connections:
        await conn.close()
    return {"requests": requests, "attempts": whole, "outcome": outcome, "seconds": elapsed, "rate": rate}


async def health_floor(base: str, clients: int, requests: int) -> common.Run:
    run = common.Run(f"floor: GET /api/health, {clients} clients")

    async def one(conn: common.Connection, _job: int) -> None:
        t0 = clock.perf_counter()
        status, _content = await conn.request("GET", "/api/health")
        run.latencies_ms.append((clock.perf_counter() - t0) * 1000)
        run.statuses[status] = run.statuses.get(status, 0) + 1

    run.seconds, run.client_cpu_seconds, run.server_cpu_seconds = await _clients(
        base, clients, list(range(requests)), one)
    return run


def _subprocess_json(env: dict[str, str], command: str) -> dict:
    out = subprocess.run([str(common.VENV_BIN / "python"), __file__, command], cwd=common.ROOT, env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(workers: int, clients: int, attempts: int, open_rate: float | None = None) -> dict | None:
    if not common.postgres_available():
        print("[P2] PostgreSQL not reachable on 127.0.0.1:5432 – skipped (P2 needs PostgreSQL)", flush=True)
        return None
    url = common.fresh_postgres()
    redis_url = common.REDIS_BENCH_URL if common.redis_available() else None
    env = common.bench_env(url, redis_url=redis_url)
    common.run_manage(env, "migrate", "--verbosity", "0")
    starts = _subprocess_json(env, "generate")["starts"]
    machine = common.machine()
    print(f"[P2] machine: {machine}; {workers} uvicorn workers, {clients} clients, "
          f"{attempts} attempts on {len(starts)} slots of capacity 1, Redis: {bool(redis_url)}", flush=True)
    with common.server(env, workers=workers) as base:
        if open_rate:
            result = asyncio.run(open_loop(base, starts, clients, attempts, open_rate))
        else:
            result = asyncio.run(stampede(base, starts, clients, attempts))
        # The floor on this machine: the same number of clients against the trivial endpoint.
        floor = asyncio.run(health_floor(base, clients, attempts))
    result["floor"] = floor
    print(f"[P2] floor: {floor.line()}")
    db = _subprocess_json(env, "verify")
    result.update(db=db, workers=workers, clients=clients, attempts_n=attempts, redis=bool(redis_url))
    result.setdefault("rate", None)
    result["machine"] = machine
    print(f"[P2] {result['requests'].line()}")
    print(f"[P2] {result['attempts'].line()}")
    print(f"[P2] outcome: {result['outcome']}; database: {db}", flush=True)
    return result


def report(result: dict | None) -> str:
    if result is None:
        return "- P2: skipped (no PostgreSQL)"
    reqs, whole, db = result["requests"], result["attempts"], result["db"]
    server_errors = sum(n for code, n in reqs.statuses.items() if code >= 500)
    codes = ", ".join(f"{code}: {n}" for code, n in sorted(reqs.statuses.items()))
    ok = db["booked"] == UNITS and db["over_capacity"] == 0 and server_errors == 0 and reqs.p99 <= 300
    if result["rate"]:
        title = (f"P2 other view – open loop, {result['rate']:.0f} attempts/s arriving (not the target's "
                 "load model)")
        load = (f"{result['attempts_n']} attempts arriving at {result['rate']:.0f}/s over "
                f"{result['clients']} open connections")
    else:
        title, load = "P2 (PostgreSQL)", (f"{result['clients']} concurrent clients, {result['attempts_n']} "
                                          "attempts")
    return "\n".join([
        f"| {title} | value |", "|---|---|",
        f"| setup | {result['workers']} uvicorn workers, {load} on {UNITS} slots of capacity 1 |",
        f"| machine before the run | {result['machine']} |",
        f"| booked (database) | {db['booked']} |",
        f"| over capacity (database) | {db['over_capacity']} (counter mismatches {db['counter_mismatch']}) |",
        f"| responses by status | {codes} |",
        f"| server errors (5xx) | {server_errors} |",
        f"| single request p50 / p99 | {reqs.p50:.1f} ms / {reqs.p99:.1f} ms |",
        f"| whole attempt (hold + book) p50 / p99 | {whole.p50:.1f} ms / {whole.p99:.1f} ms |",
        f"| duration, request rate | {result['seconds']:.1f} s, {reqs.throughput:.0f} req/s |",
        f"| load generator (same 2 cores) | {reqs.client_cpu_share:.0%} of one core |",
        f"| server CPU per request (all processes, /proc) | {reqs.server_cpu_ms_per_request:.2f} ms "
        f"(floor: {result['floor'].server_cpu_ms_per_request:.2f} ms) |",
        f"| floor: same clients on `GET /api/health` | {result['floor'].throughput:.0f} req/s, p50 "
        f"{result['floor'].p50:.1f} ms / p99 {result['floor'].p99:.1f} ms (client: "
        f"{result['floor'].client_cpu_share:.0%} of a core) |",
        "",
        f"- P2{' (open-loop view)' if result['rate'] else ''}: target exactly {UNITS} booked, 0 over "
        f"capacity, 0 server errors, p99 ≤ 300 ms {'MET' if ok else 'MISSED'}",
    ])


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="run", choices=["run", "generate", "verify"])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--attempts", type=int, default=2000)
    parser.add_argument("--open-rate", type=float, default=None,
                        help="another view: attempts arrive at this rate per second (open loop) "
                             "instead of 200 clients sending back to back")
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate()
        return None
    if args.command == "verify":
        verify()
        return None
    result = run(args.workers, args.clients, args.attempts, args.open_rate)
    print(report(result), flush=True)
    return result


if __name__ == "__main__":
    main()
