"""HTTP to the server (enrolment, raise, heartbeat) and the offline queue of raises.

Every raise gets a press id when the key is pressed and goes into ``queue.json`` first; it leaves
the queue only when the server has confirmed it – over the open socket (the fast way, app.py) or
over HTTP (201 new alarm, 200 the same press again). A raise
made while the server cannot be reached is therefore sent as soon as a connection exists, and
because the press id travels with it, sending it twice never raises twice.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from . import __version__

TIMEOUT = 5.0


class Refused(Exception):
    """The server answered with a 4xx (e.g. 401: the device was revoked); message in German."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _request(url: str, payload: dict | None, token: str | None = None, timeout: float = TIMEOUT) -> tuple:
    data = json.dumps(payload or {}).encode()
    request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310 – our own server's URL
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", f"buergerkontakt-agent/{__version__}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read() or b"{}").get("detail", "")
        except ValueError:
            detail = ""
        if 400 <= exc.code < 500:
            raise Refused(exc.code, str(detail) or f"HTTP {exc.code}") from None
        raise ConnectionError(f"HTTP {exc.code}") from None


def enrol(server: str, code: str, hostname: str = "") -> dict:
    _status, body = _request(server.rstrip("/") + "/api/alarms/enrol",
                             {"code": code, "version": __version__, "hostname": hostname[:120]})
    return body


@dataclass
class Press:
    press_id: str
    level: int
    at: float
    source: str = "hotkey"


class Client:
    def __init__(self, server: str, token: str, folder: Path):
        self.server, self.token, self.folder = server.rstrip("/"), token, folder
        self.lock = threading.Lock()
        self.queue_path = folder / "queue.json"

    # --- raising through the queue ------------------------------------------------------------------
    def pending(self) -> list[Press]:
        if not self.queue_path.exists():
            return []
        try:
            return [Press(**item) for item in json.loads(self.queue_path.read_text(encoding="utf-8"))]
        except (ValueError, TypeError):
            return []

    def _write(self, presses: list[Press]) -> None:
        self.queue_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.queue_path.with_suffix(".tmp")
        temporary.write_text(json.dumps([p.__dict__ for p in presses]), encoding="utf-8")
        temporary.replace(self.queue_path)

    def enqueue(self, level: int, source: str = "hotkey") -> Press:
        press = Press(press_id=uuid.uuid4().hex, level=level, at=time.time(), source=source)
        with self.lock:
            self._write([*self.pending(), press])
        return press

    def remove(self, press_id: str) -> bool:
        """The server confirmed this press over the socket: it leaves the queue."""
        with self.lock:
            queue = self.pending()
            kept = [p for p in queue if p.press_id != press_id]
            self._write(kept)
        return len(kept) != len(queue)

    def flush(self) -> list[tuple[Press, dict]]:
        """Send every queued raise; returns those the server confirmed (with its answer). Stops at
        the first connection error (the rest stays queued)."""
        done: list[tuple[Press, dict]] = []
        with self.lock:
            queue = self.pending()
            for press in list(queue):
                try:
                    _status, body = _request(self.server + "/api/alarms",
                                             {"level": press.level, "press_id": press.press_id}, self.token)
                except Refused as exc:
                    if exc.status == 429:
                        break
                    body = {"error": exc.message, "status": exc.status}
                except (OSError, ConnectionError, TimeoutError):
                    break
                queue.remove(press)
                done.append((press, body))
            self._write(queue)
        return done

    def heartbeat(self) -> dict:
        _status, body = _request(self.server + "/api/alarms/heartbeat", {"version": __version__}, self.token)
        return body

    def websocket_url(self) -> str:
        base = self.server.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        return base + "/ws/alarm/agent/"
