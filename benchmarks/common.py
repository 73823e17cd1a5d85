"""Shared benchmark plumbing: an own database per benchmark, the real server, an async HTTP load.

Every benchmark
* configures Django for its *own* database before importing anything from the project
  (``var/bench/`` for SQLite, the PostgreSQL database ``bk_bench`` – never the demo or test DB),
* migrates it and generates its data,
* starts the production-like server: ``uvicorn buergerkontakt.asgi:application --workers N`` with
  ``DEBUG=false``; only for the benchmark ``ALTCHA_ENABLED=false`` and ``RATE_BOOKING_PER_IP=0`` /
  ``RATE_BOOKING_PER_PERSON=0`` (the load comes from one address and a script cannot solve proofs
  of work at this rate),
* measures over HTTP with a minimal asyncio HTTP/1.1 client (one keep-alive connection per
  simulated client, see :class:`Connection`) and prints p50/p99 and throughput.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
BENCH_DIR = ROOT / "var" / "bench"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bk_bench")
REDIS_BENCH_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")

SERVER_ENV = {
    "DEBUG": "false",
    "ALTCHA_ENABLED": "false",  # benchmark only: proof of work switched off
    "RATE_BOOKING_PER_IP": "0",  # benchmark only: all load comes from 127.0.0.1
    "RATE_BOOKING_PER_PERSON": "0",
    "HOLD_MAX_PER_CLIENT": "0",  # benchmark only: every hold comes from one address
    "RATE_LOOKUP_PER_IP": "0",
    "RATE_PUBLIC_WRITE_PER_IP": "0",
    "SECRET_KEY": "benchmark-only-secret-key-not-for-production-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LOG_LEVEL": "ERROR",  # 4xx answers are logged as warnings by django.request; 5xx still show
    # The production knob (settings.py, docs/configuration.md): one PostgreSQL connection pool of
    # 8 per worker process, as deploy/env.example and scripts/run-scaled.sh set it; SQLite ignores it.
    "DJANGO_SETTINGS_MODULE": "buergerkontakt.settings",
    "DB_POOL_MAX_SIZE": "8",
}


def bench_env(database_url: str, *, redis_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(SERVER_ENV)
    env["BK_DATA_DIR"] = str(BENCH_DIR)
    env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
        env["REDIS_PREFIX"] = f"bkbench{os.getpid()}"
    env.update(extra)
    return env


def sqlite_url(name: str) -> str:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"{name}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_postgres() -> str:
    """Drop and create the benchmark database ``bk_bench``."""
    import psycopg

    name = PG_BENCH_URL.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_BENCH_URL


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def run_manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(VENV_BIN / "python"), "manage.py", *args], cwd=ROOT,
                   env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", **env}, check=True)


def run_script(env: dict[str, str], module: str, *args: str) -> None:
    """Run a data generator in its own process (Django configured by ``env``)."""
    subprocess.run([str(VENV_BIN / "python"), "-m", module, *args], cwd=ROOT, env=env, check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(env: dict[str, str], *, workers: int) -> Iterator[str]:
    """uvicorn with ``workers`` processes; yields the base URL once /api/health answers."""
    port = free_port()
    cmd = [str(VENV_BIN / "uvicorn"), "buergerkontakt.asgi:application", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning",
           "--lifespan", "off", "--timeout-keep-alive", "30"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", **env},
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    global _server_pid
    _server_pid = proc.pid
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError("uvicorn exited during start-up")
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not answer within 60 s")
            time.sleep(0.2)
        wait_until_settled(proc.pid, workers)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


_server_pid: int | None = None


def server_cpu_seconds() -> float:
    """CPU time (user + system) the running benchmark server has used so far, all its processes
    together (Linux /proc; 0.0 elsewhere). The difference around a run, divided by its requests, is
    the server's CPU per request – a figure that moves much less with the machine's load than
    latencies do."""
    if _server_pid is None or not Path("/proc").is_dir():
        return 0.0
    return _cpu_ticks(_process_tree(_server_pid)) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                # the comm field may contain spaces; the fields after its closing ")" are fixed
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry.name))
    return found


def _process_tree(pid: int) -> list[int]:
    """The server process and its worker processes (uvicorn ``--workers`` spawns children)."""
    return [pid, *_children(pid)]


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def wait_until_settled(pid: int, workers: int, *, timeout: float = 60.0) -> None:
    """Wait until all ``workers`` processes of the server exist and have gone quiet.

    /api/health answers as soon as the *first* worker is up; the others may still be importing
    Django. A measurement that starts then measures start-up, not the server. Quiet means less than
    5 % of one core in the last half second (Linux /proc; elsewhere this only waits for nothing)."""
    if not Path("/proc").is_dir():
        return
    hz = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + timeout
    previous = None
    while time.monotonic() < deadline:
        tree = _process_tree(pid)
        ticks = _cpu_ticks(tree)
        all_there = workers == 1 or len(tree) - 1 >= workers
        if all_there and previous is not None and (ticks - previous) / hz < 0.05 * 0.5:
            return
        previous = ticks
        time.sleep(0.5)
    print(f"[bench] warning: server processes still busy after {timeout:.0f} s", flush=True)


# --- a minimal HTTP/1.1 client ------------------------------------------------------------------
class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: one simulated client.

    Why not httpx: with 200 connections in one pool httpx itself became the bottleneck on these
    2 cores (GET /api/health: httpx 167 req/s, p99 5.9 s; this client 615 req/s, p99 1.1 s against
    the same server), which would have measured the client, not the server.
    """

    def __init__(self, base: str) -> None:
        host_port = base.split("://", 1)[1]
        self.host, port = host_port.rsplit(":", 1)
        self.port = int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        for attempt in range(2):  # once more on a keep-alive connection the server just closed
            if self.writer is None:
                await self._open()
            try:
                return await self._exchange(method, path, body)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + (body or b""))
        await self.writer.drain()
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _sep, v in (line.partition(":") for line in lines[1:])
                   if k}
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            content = b"".join(chunks)
        else:
            content = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, content


# --- measuring ------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


@dataclass
class Run:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    client_cpu_seconds: float = 0.0  # CPU the load generator itself used (same 2 cores as the server)
    server_cpu_seconds: float = 0.0  # CPU the server's processes used during the run (server_cpu_seconds)

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def throughput(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)

    @property
    def client_cpu_share(self) -> float:
        """Share of one core the client used during the run."""
        return self.client_cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu_seconds / self.count if self.count else 0.0

    @property
    def mean(self) -> float:
        return statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan")

    def line(self) -> str:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return (f"{self.name:<40} n={self.count:>6}  {self.throughput:8.1f} req/s  p50 {self.p50:6.2f} ms"
                f"  p99 {self.p99:6.2f} ms  client CPU {self.client_cpu_share:4.0%} of a core  [{codes}]")


async def closed_loop(base: str, path: str, *, concurrency: int, seconds: float, warmup: float = 1.0,
                      name: str | None = None) -> Run:
    """``concurrency`` clients, each on its own keep-alive connection, sending GET ``path`` back to
    back for ``seconds`` (after ``warmup`` seconds that are not counted)."""
    run = Run(name or path)
    connections = [Connection(base) for _ in range(concurrency)]
    stop_warmup = time.perf_counter() + warmup

    async def warm(conn: Connection) -> None:
        while time.perf_counter() < stop_warmup:
            await conn.request("GET", path)

    await asyncio.gather(*(warm(conn) for conn in connections))
    start = time.perf_counter()
    cpu_start = time.process_time()
    stop = start + seconds

    async def worker(conn: Connection) -> None:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            status, _body = await conn.request("GET", path)
            run.latencies_ms.append((time.perf_counter() - t0) * 1000)
            run.statuses[status] = run.statuses.get(status, 0) + 1

    await asyncio.gather(*(worker(conn) for conn in connections))
    run.seconds = time.perf_counter() - start
    run.client_cpu_seconds = time.process_time() - cpu_start
    for conn in connections:
        await conn.close()
    return run


def machine() -> str:
    load = os.getloadavg()
    cpu = os.cpu_count()
    return (f"{cpu} cores, load before run {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}, "
            f"Python {sys.version.split()[0]}")


def have_postgres_tools() -> bool:
    return shutil.which("psql") is not None
