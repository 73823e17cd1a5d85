"""Fault harness: the scaled platform as real processes that a test can kill, freeze and restart.

Every process runs in a temporary directory on a free loopback port; nothing touches the machine's
shared PostgreSQL or Redis servers. The database is the test database of the lane (``DATABASE_URL``,
PostgreSQL only), reached through a TCP proxy the harness owns, so "the database is down" is a
fault of the proxy, never of the shared server.

Pieces (each has ``start()``, ``stop()`` and is a context manager)::

    RedisServer(dir)        private redis-server; .url(db), .kill() (SIGKILL), .pause()/.resume()
                            (SIGSTOP/SIGCONT), .restart() on the same port
    TcpProxy(dir, host, port)
                            a TCP forwarder in its own process; .kill() = connection refused,
                            .pause() = connections hang (a frozen or unreachable server),
                            .resume(), .restart() on the same port
    Web(dir, env)           one uvicorn worker of the project
    Manage(dir, env, *args) any long-running ``manage.py`` command (run_worker, run_scheduler, …)
    Nginx(dir, upstreams, static_root)
                            nginx with the project's own configuration (deploy/render_nginx.py)

``Stack(base_dir, static_root=None, tasks=False, **env)`` builds the whole ``make run-scaled``
shape – redis, database proxy, two web workers, nginx, task worker, scheduler – and stops
everything, in reverse order, when the ``with`` block ends (also after a failure)::

    with Stack(tmp_path) as stack:          # or the ``stack`` fixture of tests/chaos/conftest.py
        stack.nginx.url                     # http://127.0.0.1:PORT
        stack.web[0].kill(); stack.web[0].start()
        stack.db.pause(); ...; stack.db.resume()
        stack.redis.kill(); stack.redis.restart()
        stack.worker / stack.scheduler      # Manage processes (None unless Stack(..., tasks=True))
        stack.env                           # the environment of every project process
        stack.heal()                        # resume/start again whatever a test broke
        stack.rolling_restart()             # as scripts/rolling-restart.sh, one worker at a time

Every wait is bounded (``wait_for(predicate, timeout)``) and every process is killed on ``stop()``
at the latest after a few seconds. Logs stay in the process's directory (``.log``) for a failed
test's report. Tests using the harness carry ``@pytest.mark.chaos``; they are skipped without
PostgreSQL (``DATABASE_URL``) and Redis (``REDIS_URL``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.liveserver import ROOT, _database_url

NGINX = Path("/usr/sbin/nginx")
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(predicate: Callable[[], object], timeout: float, interval: float = 0.05,
             what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; raise TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        time.sleep(interval)


class Process:
    """A child process with its own log file; started in its own process group."""

    name = "process"
    start_timeout = 30.0

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log = self.run_dir / f"{self.name}.log"
        self.process: subprocess.Popen | None = None

    # subclasses: command(), env(), ready()
    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str] | None:
        return None

    def ready(self) -> bool:
        return True

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> Process:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.command(), cwd=ROOT, env=self.env(), stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while not self.ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"{self.name} not ready within {self.start_timeout} s: {self.tail()}")
            time.sleep(0.05)
        return self

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def signal(self, signum: int) -> None:
        if self.alive():
            os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL, no clean-up – a crash."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.signal(signal.SIGCONT)
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def pause(self) -> None:
        self.signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.signal(signal.SIGCONT)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM (a clean stop), SIGKILL after ``timeout`` seconds."""
        if not self.alive():
            return
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def restart(self) -> Process:
        self.stop()
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill() if exc[0] else self.stop()


class RedisServer(Process):
    name = "redis"

    def __init__(self, run_dir: Path):
        super().__init__(run_dir)
        self.port = free_port()

    def command(self) -> list[str]:
        return [shutil.which("redis-server") or "redis-server", "--bind", "127.0.0.1", "--port",
                str(self.port), "--save", "", "--appendonly", "no", "--dir", str(self.run_dir)]

    def ready(self) -> bool:
        return port_open(self.port)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class TcpProxy(Process):
    """Forwards 127.0.0.1:port to ``target``; the database's stand-in for outages."""

    name = "proxy"

    def __init__(self, run_dir: Path, target_host: str, target_port: int):
        super().__init__(run_dir)
        self.port = free_port()
        self.target = (target_host, int(target_port))

    def command(self) -> list[str]:
        return [PYTHON, str(Path(__file__).with_name("tcpproxy.py")), str(self.port), self.target[0],
                str(self.target[1])]

    def ready(self) -> bool:
        return port_open(self.port)


class Web(Process):
    """One uvicorn worker, as in deploy/systemd/buergerkontakt-web@.service."""

    name = "web"

    def __init__(self, run_dir: Path, env: dict[str, str]):
        super().__init__(run_dir)
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.address}"
        self._env = env

    def command(self) -> list[str]:
        return [PYTHON, "-m", "uvicorn", "buergerkontakt.asgi:application", "--host", "127.0.0.1",
                "--port", str(self.port), "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1",
                "--lifespan", "off", "--log-level", "warning", "--no-access-log", "--ws", "websockets-sansio"]

    def env(self) -> dict[str, str]:
        return self._env

    def ready(self) -> bool:
        return port_open(self.port)


class Manage(Process):
    """A long-running ``manage.py`` command (``run_worker``, ``run_scheduler`` …)."""

    def __init__(self, run_dir: Path, env: dict[str, str], *args: str):
        self.name = args[0]
        super().__init__(run_dir)
        self.args = args
        self._env = env

    def command(self) -> list[str]:
        return [PYTHON, "manage.py", *self.args]

    def env(self) -> dict[str, str]:
        return self._env


class Nginx(Process):
    """nginx with the configuration deploy/render_nginx.py renders for production."""

    name = "nginx"

    def __init__(self, run_dir: Path, upstreams: list[str], static_root: Path, *extra_args: str):
        super().__init__(run_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        subprocess.run(
            [PYTHON, str(ROOT / "deploy" / "render_nginx.py"), "--listen", f"127.0.0.1:{self.port}",
             "--static-root", str(static_root), "--expose-upstream", "--run-dir", str(self.run_dir),
             *extra_args, *[arg for upstream in upstreams for arg in ("--upstream", upstream)]],
            check=True, capture_output=True)

    def command(self) -> list[str]:
        if not NGINX.exists():
            raise RuntimeError("nginx missing: `make nginx` installs Debian's package")
        return [str(NGINX), "-p", str(self.run_dir), "-e", str(self.run_dir / "error.log"),
                "-c", str(self.run_dir / "nginx.conf")]

    def ready(self) -> bool:
        return port_open(self.port)

    def reload(self) -> None:
        self.signal(signal.SIGHUP)


def project_env(database_url: str, redis_url: str, data_dir: Path, site_url: str = "",
                **extra: str) -> dict[str, str]:
    """The environment of every project process of a stack (production-like switches)."""
    from django.conf import settings

    env = {key: value for key, value in os.environ.items()
           if key not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "TASKS_BACKEND")}
    # The test process's key: sessions and signed values a test creates are valid in the stack.
    env["SECRET_KEY"] = settings.SECRET_KEY
    mail_dir = data_dir / "mail"
    mail_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        DATABASE_URL=database_url, REDIS_URL=redis_url, REDIS_PREFIX="chaos",
        DEBUG="false", SECURE_COOKIES="false", ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=site_url or "http://127.0.0.1", BK_DATA_DIR=str(data_dir),
        BK_MAIL_DIR=str(mail_dir), EMAIL_FILE_PATH=str(mail_dir),
        TASKS_BACKEND="django_tasks_db.DatabaseBackend", DB_POOL_MAX_SIZE="4",
        AXES_ENABLED="false", ALTCHA_ENABLED="false", REQUIRE_2FA="false",
        RATE_PUBLIC_WRITE_PER_IP="5000",
        PASSWORD_HASHERS="django.contrib.auth.hashers.MD5PasswordHasher",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def collectstatic(env: dict[str, str], target: Path) -> Path:
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                   cwd=ROOT, env={**env, "STATIC_ROOT": str(target)}, check=True, timeout=120)
    return target


class Stack:
    """The ``make run-scaled`` shape on the lane's test database (see the module docstring)."""

    def __init__(self, base_dir: Path, *, workers: int = 2, tasks: bool = False,
                 static_root: Path | None = None, **extra_env: str):
        self.base = Path(base_dir)
        self.static_root = static_root
        self.redis = RedisServer(self.base / "redis")
        db_url = _database_url()
        host_port = db_url.rsplit("@", 1)[1].split("/", 1)[0]
        host, _, port = host_port.partition(":")
        self.db = TcpProxy(self.base / "dbproxy", host, int(port or 5432))
        self.database_url = db_url.replace(f"@{host_port}/", f"@127.0.0.1:{self.db.port}/")
        self.env = project_env(self.database_url, self.redis.url(), self.base / "data", **extra_env)
        self.web = [Web(self.base / f"web{i + 1}", self.env) for i in range(workers)]
        self.tasks = tasks
        self.worker: Manage | None = None
        self.scheduler: Manage | None = None
        self.nginx: Nginx | None = None
        self._started: list[Process] = []

    def _run(self, process: Process) -> Process:
        self._started.append(process)
        return process.start()

    def start(self) -> Stack:
        try:
            self._run(self.redis)
            self._run(self.db)
            static = self.static_root or collectstatic(self.env, self.base / "static")
            self.nginx = Nginx(self.base / "nginx", [w.address for w in self.web], static)
            self.env["SITE_URL"] = self.nginx.url
            for web in self.web:
                self._run(web)
            self._run(self.nginx)
            if self.tasks:
                self.worker = self._run(Manage(self.base / "worker", self.env, "run_worker"))
                self.scheduler = self._run(Manage(self.base / "scheduler", self.env, "run_scheduler"))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """SIGTERM to every process at once, SIGKILL to whatever still runs after 5 s."""
        for process in reversed(self._started):
            with contextlib.suppress(Exception):
                process.signal(signal.SIGCONT)
                process.signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for process in self._started:
            with contextlib.suppress(Exception):
                process.process.wait(max(0.1, deadline - time.monotonic()))
        for process in self._started:
            with contextlib.suppress(Exception):
                if process.alive():
                    process.kill()
        self._started.clear()

    def healthy(self, web: Web) -> bool:
        """``GET /healthz`` on one worker directly (not through nginx) answers 200."""
        import httpx

        try:
            return httpx.get(f"{web.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def rolling_restart(self, timeout: float = 60) -> None:
        """What scripts/rolling-restart.sh does: one worker at a time – stop (SIGTERM), start, wait
        until its /healthz answers – then the next one."""
        for web in self.web:
            web.stop()
            web.start()
            wait_for(lambda web=web: self.healthy(web), timeout, what=f"{web.address} healthy")

    def processes(self) -> list[Process]:
        return list(self._started)

    def heal(self) -> None:
        """Undo every fault: resume paused processes, start dead ones again (after each test)."""
        for process in self._started:
            if process.alive():
                process.resume()
            else:
                process.start()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.tail(1500)}" for p in self._started)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
