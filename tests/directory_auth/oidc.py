"""The test OpenID Connect provider as a real process, and a minimal 'browser' for its login page."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "buergerkontakt"
CLIENT_SECRET = "client-secret-" + "x" * 20
PROVIDER_PASSWORD = "Anbieter-2026"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OIDCProvider:
    def __init__(self, folder: Path):
        self.folder = folder
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.url}/o"
        self.discovery_url = f"{self.issuer}/.well-known/openid-configuration"
        self.token = secrets.token_hex(16)
        self.process: subprocess.Popen | None = None

    def start(self) -> OIDCProvider:
        self.folder.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
        env.update(OIDC_PROVIDER_DB=str(self.folder / "provider.sqlite3"),
                   OIDC_PROVIDER_CONTROL_TOKEN=self.token, PYTHONPATH=f"{ROOT}:{ROOT / 'src'}")
        log = (self.folder / "provider.log").open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "tests.oidc_provider.serve", str(self.port)],
                                        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("provider exited: " + (self.folder / "provider.log").read_text()[-3000:])
            try:
                if requests.get(self.discovery_url, timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError("provider did not start within 60 s")

    def setup(self, *, redirect_uris: list[str] | None = None, post_logout: list[str] | None = None,
              people: list[dict] | None = None) -> None:
        data: dict = {"people": [{"password": PROVIDER_PASSWORD, **p} for p in people or []]}
        if redirect_uris is not None:
            data["client"] = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                              "redirect_uris": redirect_uris, "post_logout_redirect_uris": post_logout or []}
        response = requests.post(f"{self.url}/test/setup", json=data, timeout=10,
                                 headers={"X-Control-Token": self.token})
        response.raise_for_status()

    def env(self) -> dict[str, str]:
        return {"OIDC_DISCOVERY_URL": self.discovery_url, "OIDC_CLIENT_ID": CLIENT_ID,
                "OIDC_CLIENT_SECRET": CLIENT_SECRET}

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def sign_in_at_provider(authorize_url: str, username: str, password: str = PROVIDER_PASSWORD) -> str:
    """Follow the provider's redirects and login form like a browser; return the URL it sends back to."""
    session = requests.Session()
    response = session.get(authorize_url, allow_redirects=True, timeout=10)
    assert "/login/" in response.url, response.url
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text).group(1)
    next_url = re.search(r'name="next" value="([^"]*)"', response.text).group(1).replace("&amp;", "&")
    response = session.post(response.url, data={"csrfmiddlewaretoken": csrf, "username": username,
                                                "password": password, "next": next_url},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:500]
    location = urljoin(response.url, response.headers["Location"])
    response = session.get(location, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]
