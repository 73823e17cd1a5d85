"""Two uvicorn workers on the test database behind a real nginx (Debian's package), as in
production (docs/operations.md), on free ports with an own temporary nginx configuration."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.liveserver import ROOT, LiveServer, _free_port

NGINX = Path("/usr/sbin/nginx")


class Worker(LiveServer):
    """A uvicorn worker with the switches the scale-out tests need (no proof of work, no 2FA)."""

    extra_env: dict[str, str] = {"ALTCHA_ENABLED": "false", "REQUIRE_2FA": "false"}

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.extra_env}


def collectstatic(target: Path) -> Path:
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                   cwd=ROOT, env={**Worker(target).env(), "STATIC_ROOT": str(target)}, check=True)
    return target


class Nginx:
    def __init__(self, run_dir: Path, upstreams: list[str], static_root: Path):
        self.run_dir = run_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        run_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, str(ROOT / "deploy" / "render_nginx.py"), "--listen", f"127.0.0.1:{self.port}",
             "--static-root", str(static_root), "--expose-upstream", "--run-dir", str(run_dir),
             *[arg for upstream in upstreams for arg in ("--upstream", upstream)]],
            check=True, capture_output=True)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if not NGINX.exists():
            raise RuntimeError("nginx missing: `make test` installs it (apt-get install nginx)")
        log = (self.run_dir / "nginx.out").open("ab")
        self.process = subprocess.Popen(
            [str(NGINX), "-p", str(self.run_dir), "-e", str(self.run_dir / "error.log"),
             "-c", str(self.run_dir / "nginx.conf")], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.run_dir / 'error.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start within 20 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: fast shutdown
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
