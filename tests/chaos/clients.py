"""Live-page clients for fault tests: ``LiveClients`` runs N copies of the project's reconnecting
WebSocket (static/js/queue-socket.js) in one Node process and records what each one saw."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from pathlib import Path

from .harness import wait_for

SCRIPT = Path(__file__).with_name("ws_clients.mjs")


class LiveClients:
    def __init__(self, base_url: str, path: str, count: int, resync_event: str):
        self.count = count
        self.resync_event = resync_event
        self.events: list[tuple[float, int, str, str]] = []  # (monotonic, client, kind, event)
        self._lock = threading.Lock()
        node = shutil.which("node")
        if not node:
            raise RuntimeError("node missing (make assets installs it)")
        self.process = subprocess.Popen([node, "--experimental-websocket", str(SCRIPT), base_url, path,
                                         str(count)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            item = json.loads(line)
            with self._lock:
                self.events.append((time.monotonic(), item["c"], item["e"], item.get("event", "")))

    def synced(self, since: float = 0.0) -> set[int]:
        """Clients whose latest state is: connected, with a fresh snapshot received after ``since``."""
        state: dict[int, bool] = {}
        with self._lock:
            for when, client, kind, event in self.events:
                if kind == "offline":
                    state[client] = False
                elif kind == "message" and event == self.resync_event and when >= since:
                    state[client] = True
        return {client for client, ok in state.items() if ok}

    def dropped_since(self, since: float) -> set[int]:
        with self._lock:
            return {client for when, client, kind, _ in self.events if kind == "offline" and when >= since}

    def offline_gaps(self, since: float) -> list[float]:
        """Per drop after ``since``: seconds from losing the connection to the next fresh snapshot."""
        gaps, down = [], {}
        with self._lock:
            for when, client, kind, event in self.events:
                if when < since:
                    continue
                if kind == "offline" and client not in down:
                    down[client] = when
                elif kind == "message" and event == self.resync_event and client in down:
                    gaps.append(when - down.pop(client))
        return sorted(gaps)

    def resynced_at(self, client: int, since: float) -> float | None:
        with self._lock:
            times = [when for when, c, kind, event in self.events
                     if c == client and kind == "message" and event == self.resync_event and when >= since]
        return max(times) if times else None

    def wait_all_synced(self, timeout: float, since: float = 0.0) -> None:
        wait_for(lambda: len(self.synced(since)) == self.count, timeout,
                 what=f"all {self.count} clients connected and re-synced")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
