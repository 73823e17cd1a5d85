"""P1: free-slot query – one service, all 20 locations × 10 counters, 60 days, 40 % booked.

    .venv/bin/python benchmarks/p1_availability.py [--backend sqlite|postgres|both] [--seconds 10]

Generates its data in its own database (``var/bench/p1.sqlite3`` or PostgreSQL ``bk_bench``),
starts uvicorn (2 workers, DEBUG=false) and measures

* ``GET /api/health`` (trivial JSON, the baseline) and
* ``GET /api/appointments/availability?service=…&from=<today>&days=60`` as served (overview cache on),
* the same with the cache switched off (``AVAILABILITY_CACHE_SECONDS=0``): the raw read path,

each with 1 client (latency) and 16 concurrent clients (throughput), plus an in-process profile of
where the uncached request spends its time. Target: p99 ≤ 20 ms, ratio ≥ 0.5.

Data: weekly schedules Mon–Fri 08:00–12:00 and 13:00–16:00, 10 counters (8 online, 2 internal),
15-minute units, booking window 0–90 days. Bookings are generated as consistent rows (confirmed
single-unit appointments with their AppointmentSlot/AppointmentService rows and the slot counters
set to match – the invariant used == active units is checked): the fill rate falls linearly from
80 % tomorrow to 0 % on day 60, 40 % overall, so near days have full units and gaps like real ones.
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
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

LOCATIONS = 20
COUNTERS = 10
ONLINE = 8
DAYS = 60
SERVICE = "personalausweis"


def _django() -> None:
    sys.path.insert(0, str(common.ROOT / "src"))
    sys.path.insert(0, str(common.ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buergerkontakt.settings")
    import django

    django.setup()


def generate() -> None:
    """Runs inside the benchmark's environment (own database)."""
    _django()
    from django.db import transaction
    from django.db.models import Count, Q
    from django.utils import timezone

    from buergerkontakt.appointments import services
    from buergerkontakt.appointments.models import (
        Appointment,
        AppointmentService,
        AppointmentSlot,
        Quota,
        Schedule,
        ServiceGroup,
        Slot,
    )
    from buergerkontakt.core.models import Authority, Location
    from buergerkontakt.directory.models import Service

    started = clock.perf_counter()
    today = timezone.localdate()
    authority = Authority.objects.create(name="Stadt Benchhausen", slug="benchhausen",
                                         kind=Authority.Kind.BUERGERBUERO, bundesland="HE")
    service = Service.objects.create(authority=authority, name="Personalausweis beantragen", slug=SERVICE,
                                     duration_minutes=15, online_bookable=True)
    group = ServiceGroup.objects.create(authority=authority, name="Pass- und Ausweiswesen", slug="pass",
                                        slot_minutes=15, min_days_ahead=0, max_days_ahead=90,
                                        release_time=time(0, 0), max_active_per_person=0)
    group.services.add(service)
    for i in range(LOCATIONS):
        location = Location.objects.create(authority=authority, name=f"Bürgerbüro {i + 1:02d}",
                                           slug=f"buergerbuero-{i + 1:02d}", street=f"Marktplatz {i + 1}",
                                           postcode="63065", city="Benchhausen",
                                           offers_online_booking=True)
        service.locations.add(location)
        for weekday in range(5):
            for start, end in ((time(8), time(12)), (time(13), time(16))):
                Schedule.objects.create(group=group, location=location, weekday=weekday, start=start,
                                        end=end, counters=COUNTERS, online_quota=ONLINE)
        services.materialize_slots(group, location, today, today + timedelta(days=DAYS + 1))

    rng = random.Random(2026)
    slots = list(Slot.objects.filter(group=group).values_list(
        "id", "location_id", "start", "end", "online_capacity", "internal_capacity"))
    plan = []  # (slot id, location id, start, end, quota)
    for slot_id, location_id, start, end, online_cap, internal_cap in slots:
        offset = (timezone.localtime(start).date() - today).days
        fill = max(0.0, 0.8 * (1 - offset / DAYS))
        for quota, cap in ((Quota.ONLINE, online_cap), (Quota.INTERNAL, internal_cap)):
            plan.extend((slot_id, location_id, start, end, quota)
                        for _ in range(sum(rng.random() < fill for _ in range(cap))))
    now = timezone.now()
    batch = 5000
    with transaction.atomic():
        for i in range(0, len(plan), batch):
            chunk = plan[i:i + batch]
            appointments = Appointment.objects.bulk_create([
                Appointment(status=Appointment.Status.CONFIRMED, group=group, location_id=location_id,
                            start=start, end=end, quota=quota, name=f"Person {i + n}",
                            email=f"person{i + n}@example.org", person_key=f"person{i + n}@example.org",
                            confirmed_at=now)
                for n, (_slot, location_id, start, end, quota) in enumerate(chunk)])
            AppointmentSlot.objects.bulk_create(
                AppointmentSlot(appointment_id=a.pk, slot_id=row[0]) for a, row in zip(appointments, chunk,
                                                                                         strict=True))
            AppointmentService.objects.bulk_create(
                AppointmentService(appointment_id=a.pk, service=service, position=0) for a in appointments)
        counted = Slot.objects.filter(group=group).annotate(
            on=Count("units", filter=Q(units__appointment__quota=Quota.ONLINE,
                                       units__appointment__capacity_released=False)),
            internal=Count("units", filter=Q(units__appointment__quota=Quota.INTERNAL,
                                             units__appointment__capacity_released=False)),
        ).values_list("id", "on", "internal")
        updates = [Slot(pk=slot_id, online_used=on, internal_used=internal)
                   for slot_id, on, internal in counted]
        Slot.objects.bulk_update(updates, ["online_used", "internal_used"], batch_size=batch)
    # The invariant the services guarantee must hold for the generated data as well.
    capacity = sum(s[4] + s[5] for s in slots)
    bad = Slot.objects.filter(Q(online_used__gt=ONLINE) | Q(internal_used__gt=COUNTERS - ONLINE)).count()
    full = Slot.objects.filter(online_used=ONLINE).count()
    assert bad == 0
    print(json.dumps({"slots": len(slots), "appointments": len(plan), "capacity": capacity,
                      "booked_share": round(len(plan) / capacity, 3), "full_online_units": full,
                      "seconds": round(clock.perf_counter() - started, 1)}))


def profile() -> None:
    """In-process: where does an uncached availability request spend its time?"""
    _django()
    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from buergerkontakt.appointments import api, engine, services
    from buergerkontakt.appointments.models import Slot
    from buergerkontakt.directory.models import Service

    service = Service.objects.get(slug=SERVICE)
    today = timezone.localdate()
    low, high = engine.day_start(today), engine.day_start(today + timedelta(days=DAYS))

    def best(fn, n=15) -> float:
        times = []
        for _ in range(n):
            t0 = clock.perf_counter()
            fn()
            times.append((clock.perf_counter() - t0) * 1000)
        return sorted(times)[len(times) // 2]

    def rows():
        return list(Slot.objects.filter(group__slug="pass", start__gte=low, start__lt=high,
                                        online_used__lt=F("online_capacity"))
                    .order_by("location_id", "start").values_list(
                        "location_id", "start", "end", "same_day_only", "online_capacity"))

    def raw_rows():
        with connection.cursor() as cursor:
            cursor.execute(*Slot.objects.filter(group__slug="pass", start__gte=low, start__lt=high,
                                                online_used__lt=F("online_capacity"))
                           .order_by("location_id", "start").values_list(
                               "location_id", "start", "end", "same_day_only", "online_capacity")
                           .query.sql_with_params())
            return cursor.fetchall()

    result = {
        "free_unit_rows": len(rows()),
        "sql_fetch_raw_ms": best(raw_rows),
        "queryset_values_list_ms": best(rows),
        "services_availability_ms": best(lambda: services.availability([service.pk], today, DAYS)),
        "api_document_ms": best(lambda: api._availability_document([service.pk], None, today, DAYS)),
        "document_bytes": len(api._availability_document([service.pk], None, today, DAYS)),
    }
    with connection.cursor() as cursor:
        sql, params = Slot.objects.filter(group__slug="pass", start__gte=low, start__lt=high,
                                          online_used__lt=F("online_capacity")).order_by(
            "location_id", "start").values_list("location_id", "start").query.sql_with_params()
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
        cursor.execute(prefix + sql, params)
        result["plan"] = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
    print(json.dumps(result))


def _subprocess_json(env: dict[str, str], command: str) -> dict:
    out = subprocess.run([str(common.VENV_BIN / "python"), __file__, command], cwd=common.ROOT, env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_backend(backend: str, seconds: float, workers: int, concurrency: int) -> dict:
    if backend == "sqlite":
        url, redis_url = common.sqlite_url("p1"), None
    else:
        url = common.fresh_postgres()
        redis_url = common.REDIS_BENCH_URL if common.redis_available() else None
    env = common.bench_env(url, redis_url=redis_url)
    common.run_manage(env, "migrate", "--verbosity", "0")
    data = _subprocess_json(env, "generate")
    machine = common.machine()  # the load once the data is generated, before the measurements
    print(f"[P1 {backend}] data: {data}", flush=True)
    prof = _subprocess_json(env, "profile")
    print(f"[P1 {backend}] profile (uncached, in-process, median of 15): "
          f"{ {k: v for k, v in prof.items() if k != 'plan'} }", flush=True)
    for line in prof["plan"]:
        print(f"    plan: {line}")
    today = datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()
    path = f"/api/appointments/availability?service={SERVICE}&from={today}&days={DAYS}"
    runs = {}
    with common.server(env, workers=workers) as base:
        import httpx

        probe = httpx.get(base + path, timeout=30)
        assert probe.status_code == 200, probe.text
        locations = probe.json()["locations"]
        assert len(locations) == LOCATIONS, len(locations)
        for label, target in (("health", "/api/health"), ("availability", path)):
            for conc in (1, concurrency):
                run = asyncio.run(common.closed_loop(base, target, concurrency=conc, seconds=seconds,
                                                     name=f"{label} c={conc}"))
                runs[(label, conc)] = run
                print(f"[P1 {backend}] {run.line()}", flush=True)
    with common.server({**env, "AVAILABILITY_CACHE_SECONDS": "0"}, workers=workers) as base:
        for conc in (1, concurrency):
            run = asyncio.run(common.closed_loop(base, path, concurrency=conc, seconds=seconds,
                                                 name=f"availability uncached c={conc}"))
            runs[("uncached", conc)] = run
            print(f"[P1 {backend}] {run.line()}", flush=True)
    return {"backend": backend, "redis": bool(redis_url), "data": data, "profile": prof, "runs": runs,
            "concurrency": concurrency, "workers": workers, "machine": machine}


def report(results: list[dict]) -> str:
    lines = ["| P1 backend | endpoint | clients | req/s | p50 ms | p99 ms | ratio to /api/health "
             "| client CPU |",
             "|---|---|---|---|---|---|---|---|"]
    for res in results:
        runs = res["runs"]
        backend = res["backend"] + (" + Redis cache" if res["redis"] else "")
        for (label, conc), run in runs.items():
            baseline = runs[("health", conc)].throughput
            ratio = f"{run.throughput / baseline:.2f}" if label != "health" else "1.00"
            lines.append(f"| {backend} | {label} | {conc} | {run.throughput:.0f} | {run.p50:.2f} | "
                         f"{run.p99:.2f} | {ratio} | {run.client_cpu_share:.0%} |")
    lines.append("")
    for res in results:
        c = res["concurrency"]
        runs = res["runs"]
        single, loaded = runs[("availability", 1)], runs[("availability", c)]
        ratio_1 = single.throughput / runs[("health", 1)].throughput
        ratio_c = loaded.throughput / runs[("health", c)].throughput

        def verdict(ok: bool) -> str:
            return "met" if ok else "MISSED"

        lines.append(f"- P1 {res['backend']}: p99 {single.p99:.1f} ms with 1 client "
                     f"({verdict(single.p99 <= 20)}, target ≤ 20 ms); with {c} clients p99 "
                     f"{loaded.p99:.1f} ms "
                     f"({verdict(loaded.p99 <= 20)}; the trivial endpoint itself: "
                     f"{runs[('health', c)].p99:.1f} ms); throughput ratio {ratio_1:.2f} (1 client) / "
                     f"{ratio_c:.2f} ({c} clients) ({verdict(min(ratio_1, ratio_c) >= 0.5)}, target ≥ 0.5)")
        prof = res["profile"]
        lines.append(f"  - {res['backend']}: {res['workers']} uvicorn workers; machine before the "
                     f"measurements: {res['machine']}")
        lines.append(f"  - uncached path in-process (median of 15): services.availability "
                     f"{prof['services_availability_ms']:.1f} ms, API document "
                     f"{prof['api_document_ms']:.1f} ms "
                     f"({prof['document_bytes']} bytes); for comparison, only fetching the "
                     f"{prof['free_unit_rows']} free unit rows (what the path did before): raw SQL "
                     f"{prof['sql_fetch_raw_ms']:.1f} ms, queryset {prof['queryset_values_list_ms']:.1f} ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="run", choices=["run", "generate", "profile"])
    parser.add_argument("--backend", default="both", choices=["sqlite", "postgres", "both"])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate()
        return []
    if args.command == "profile":
        profile()
        return []
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if "postgres" in backends and not common.postgres_available():
        print("[P1] PostgreSQL not reachable on 127.0.0.1:5432 – skipped", flush=True)
        backends.remove("postgres")
    print(f"[P1] machine: {common.machine()}", flush=True)
    results = [run_backend(b, args.seconds, args.workers, args.concurrency) for b in backends]
    print(report(results), flush=True)
    return results


if __name__ == "__main__":
    main()
