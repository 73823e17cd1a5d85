"""The running agent: Tk windows in the main thread, the network (WebSocket + HTTP) in an asyncio
thread, the keyboard listener in pynput's thread. They talk through thread-safe queues only.

Network: one WebSocket to ``/ws/alarm/agent/`` (device token), reconnecting with growing pauses
(1 s … 30 s); a ping every ``heartbeat_seconds`` (the workstation's heartbeat, with the agent's
version) and a re-read of the active alarms every few seconds (a push lost on the way shows up
there). While the socket is down the agent heartbeats over HTTP and keeps trying to send queued
raises (client.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import threading
import time
from pathlib import Path

from . import __version__
from .client import Client, Refused

log = logging.getLogger("buergerkontakt_agent")
SYNC_SECONDS = 5.0
SOCKET_ACK_SECONDS = 2.0
# The Tk thread picks up what the network thread received this often (Tk is not thread-safe).
PUMP_MS = 10
RESPONSE_LABELS = {"coming": "Ich komme", "on_site": "Vor Ort", "cannot": "Kann nicht"}


class Agent:
    def __init__(self, settings, token: str, folder: Path, *, keys: bool = True):
        self.settings, self.folder, self.use_keys = settings, folder, keys
        self.client = Client(settings.server, token, folder)
        self.token = token
        self.inbox: queue.Queue = queue.Queue()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.ws = None
        self.wake: asyncio.Event | None = None
        self.unsent: list[dict] = []  # answers/sightings made while the socket was down
        self.windows: dict[int, object] = {}
        self.own: dict[int, dict] = {}
        self.connected = False
        self.problem = ""
        self.stop_event = threading.Event()
        self.tasks: set = set()
        self.tray = None
        self.shown_at: dict[int, float] = {}
        self.confirmed: set[str] = set()  # press ids the server confirmed over the socket
        # Moments on the system's monotonic clock, for the latency benchmark P6 (no names).
        self.fired_at: list[float] = []
        self.arrived_at: dict[int, float] = {}

    # --- keyboard thread ----------------------------------------------------------------------------
    def fire(self, source: str) -> None:
        """The hotkey or a mapped button: queue the raise (with its press id) and wake the sender."""
        fired = time.monotonic()
        press = self.client.enqueue(self.settings.level, source)
        self.fired_at.append(fired)
        log.info("alarm raised locally (%s)", source)
        self.inbox.put(("queued", press.press_id))
        if self.loop is not None and self.wake is not None:
            self.loop.call_soon_threadsafe(self.wake.set)

    # --- network thread -----------------------------------------------------------------------------
    def send(self, message: dict) -> None:
        """From any thread: send over the socket, or keep it until the socket is back."""
        if self.loop is None:
            self.unsent.append(message)
            return
        self.loop.call_soon_threadsafe(self._send_soon, message)

    def _send_soon(self, message: dict) -> None:
        self._spawn(self._send(message))

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _send(self, message: dict) -> None:
        ws = self.ws
        if ws is None:
            self.unsent.append(message)
            return
        try:
            await ws.send(json.dumps(message))
        except Exception:
            self.unsent.append(message)

    async def network(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.wake = asyncio.Event()
        self.wake.set()
        await asyncio.gather(self._socket_loop(), self._sender_loop(), self._heartbeat_loop())

    async def _sender_loop(self) -> None:
        while not self.stop_event.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=3.0)
            self.wake.clear()
            pending = self.client.pending()
            if not pending:
                continue
            if self.ws is not None and await self._raise_over_socket(pending):
                continue
            done = await asyncio.to_thread(self.client.flush)
            for press, body in done:
                self.inbox.put(("raised", press.press_id, body))
            if self.client.pending():
                self.inbox.put(("offline", len(self.client.pending())))

    async def _raise_over_socket(self, pending) -> bool:
        """Send queued raises over the open socket (no new connection, no HTTP stack) and wait up
        to SOCKET_ACK_SECONDS for the server's "raised"; True if all were confirmed. Anything not
        confirmed goes over HTTP next – the press id makes a second send harmless."""
        for press in pending:
            await self._send({"type": "raise", "level": press.level, "press_id": press.press_id})
        deadline = asyncio.get_running_loop().time() + SOCKET_ACK_SECONDS
        wanted = {press.press_id for press in pending}
        while asyncio.get_running_loop().time() < deadline:
            if wanted <= self.confirmed:
                return True
            await asyncio.sleep(0.01)
        return False

    async def _heartbeat_loop(self) -> None:
        while not self.stop_event.is_set():
            if not self.connected:
                try:
                    body = await asyncio.to_thread(self.client.heartbeat)
                    self.problem = "" if body.get("person") else (
                        "Für diesen Arbeitsplatz ist keine Person eingetragen: Alarme an Sie kommen hier "
                        "nicht an. Bitte wenden Sie sich an die Administration.")
                except Refused as exc:
                    self.problem = exc.message
                except OSError:
                    self.problem = "Keine Verbindung zum Server."
                self.inbox.put(("state",))
            await asyncio.sleep(self.settings.heartbeat_seconds)

    async def _socket_loop(self) -> None:
        import websockets

        pause = 1.0
        while not self.stop_event.is_set():
            try:
                async with websockets.connect(
                    self.client.websocket_url(), origin=self.settings.server.rstrip("/"),
                    additional_headers={"Authorization": f"Bearer {self.token}"},
                    open_timeout=10, ping_interval=20, ping_timeout=20,
                ) as ws:
                    self.ws, self.connected, pause = ws, True, 1.0
                    self.problem = ""
                    self.inbox.put(("state",))
                    self.wake.set()
                    while self.unsent:
                        await ws.send(json.dumps(self.unsent.pop(0)))
                    ticker = asyncio.ensure_future(self._ticker(ws))
                    try:
                        async for raw in ws:
                            self._handle(json.loads(raw))
                    finally:
                        ticker.cancel()
            except Exception as exc:  # refused, reset, server down: try again, growing pauses
                log.info("alarm socket: %s", type(exc).__name__)
            self.ws, self.connected = None, False
            self.inbox.put(("state",))
            await asyncio.sleep(pause)
            pause = min(pause * 2, 30.0)

    async def _ticker(self, ws) -> None:
        since_ping = 0.0
        while True:
            await asyncio.sleep(SYNC_SECONDS)
            since_ping += SYNC_SECONDS
            await ws.send(json.dumps({"type": "sync", "showing": sorted(self.windows)[:20]}))
            if since_ping >= self.settings.heartbeat_seconds:
                since_ping = 0.0
                await ws.send(json.dumps({"type": "ping", "version": __version__}))

    def _handle(self, message: dict) -> None:
        event = message.get("event")
        if event in ("hello", "sync"):
            if event == "hello":
                self._spawn(self._send({"type": "ping", "version": __version__}))
            for item in message.get("alarms", ()):
                if not item.get("response"):
                    self._incoming(item)
            for item in message.get("own", ()):
                alarm_id = int(item["alarm"]["id"])
                self.inbox.put(("responses", alarm_id, item.get("responders", [])))
                self.inbox.put(("status", alarm_id, item.get("status") or {}))
        elif event == "alarm":
            self._incoming(message)
        elif event == "ended":
            self.inbox.put(("ended", int(message["alarm"]), message.get("status", "")))
        elif event == "responses":
            self.inbox.put(("responses", int(message["alarm"]), message.get("responders", [])))
        elif event == "status":
            self.inbox.put(("status", int(message["alarm"]), message.get("status") or {}))
        elif event == "raised" and message.get("press_id"):
            press_id = str(message["press_id"])
            self.confirmed.add(press_id)
            self._spawn(asyncio.to_thread(self.client.remove, press_id))
            alarm = message.get("alarm") or {}
            self.inbox.put(("raised", press_id, {"alarm": alarm.get("id"), "room": alarm.get("place", ""),
                                                 "replayed": message.get("replayed", False)}))
            self.inbox.put(("status", int(alarm.get("id", 0)), message.get("status") or {}))
        elif event == "error":
            self.problem = str(message.get("message", ""))
            self.inbox.put(("state",))

    def _incoming(self, item: dict) -> None:
        alarm = item["alarm"]
        self.arrived_at.setdefault(int(alarm["id"]), time.monotonic())
        self._spawn(self._send({"type": "received", "alarm": alarm["id"]}))
        self.inbox.put(("alarm", alarm, item.get("instruction", "")))

    # --- Tk thread ----------------------------------------------------------------------------------
    def run(self) -> None:
        import tkinter as tk

        from .window import AlarmWindow, StatusWindow

        self.tk, self.AlarmWindow = tk, AlarmWindow
        self.root = tk.Tk(className="BuergerkontaktAgent")
        self.root.withdraw()
        self.status = StatusWindow(self.root)
        self.status.hide()
        threading.Thread(target=lambda: asyncio.run(self.network()), name="network", daemon=True).start()
        if self.use_keys:
            from .hotkey import Keys

            self.keys = Keys(self.settings, self.fire)
            self.keys.start()
        from . import tray

        self.tray = tray.start(self.fire, lambda: self.inbox.put(("show_status",)),
                               lambda: self.inbox.put(("quit",)))
        if self.client.pending():
            self.inbox.put(("offline", len(self.client.pending())))
        self.root.after(PUMP_MS, self._pump)
        self._write_state()
        self.root.mainloop()

    def _pump(self) -> None:
        changed = False
        while True:
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                break
            changed = True
            self._apply(*item)
        if changed:
            self._write_state()
        if self.stop_event.is_set():
            self.root.destroy()
            return
        self.root.after(PUMP_MS, self._pump)

    def _apply(self, kind: str, *args) -> None:
        if kind == "show_status":
            state = "verbunden" if self.connected else "keine Verbindung"
            self.status.show(f"Bürgerkontakt-Agent {__version__}: {state}. {self.problem}".strip())
        elif kind == "quit":
            self.stop_event.set()
            if self.tray is not None:
                self.tray.stop()
        elif kind == "alarm":
            alarm, instruction = args
            alarm_id = int(alarm["id"])
            if alarm_id not in self.windows:
                self.windows[alarm_id] = self.AlarmWindow(
                    self.root, alarm, instruction, fullscreen=self.settings.fullscreen,
                    sound=self.settings.sound, on_answer=self._answer, on_shown=self._shown)
        elif kind == "ended":
            alarm_id, status = args
            window = self.windows.pop(alarm_id, None)
            if window is not None:
                window.close()
            if alarm_id in self.own:
                self.own[alarm_id]["ended"] = status
                ended = "Der Alarm ist beendet." if status == "resolved" else "Alarm zurückgenommen."
                self.status.show(ended)
        elif kind == "queued":
            text = "Alarm ausgelöst – wird gesendet …"
            if not self.connected:
                text = "Alarm ausgelöst. Keine Verbindung: wird gesendet, sobald Verbindung besteht."
            self.status.show(text)
        elif kind == "offline":
            count = args[0]
            what = "Ihr Alarm wird" if count == 1 else f"Ihre {count} Alarme werden"
            self.status.show(f"Keine Verbindung zum Server. {what} gesendet, sobald Verbindung besteht.")
        elif kind == "raised":
            _press_id, body = args
            if "alarm" in body:
                self.own.setdefault(int(body["alarm"]), {"responses": [], "delivered": 0})
                self.status.show(f"Alarm ist angekommen: {body.get('room', '')}. Hilfe wird verständigt.")
            else:
                self.status.show(f"Alarm nicht angenommen: {body.get('error', '')}")
        elif kind == "responses":
            alarm_id, responders = args
            own = self.own.setdefault(alarm_id, {"responses": [], "delivered": 0})
            own["responses"] = [r.get("response", "") for r in responders]
            if responders:
                lines = [f"{r.get('name', '')}: {RESPONSE_LABELS.get(r.get('response'), '')}"
                         for r in responders]
                self.status.show("Rückmeldungen zu Ihrem Alarm:\n" + "\n".join(lines))
        elif kind == "status":
            alarm_id, status = args
            own = self.own.setdefault(alarm_id, {"responses": [], "delivered": 0})
            delivered = status.get("delivered") or {}
            own["delivered"] = int(delivered.get("count", 0)) if isinstance(delivered, dict) else 0
            seen = status.get("seen") or {}
            own["seen"] = int(seen.get("count", 0)) if isinstance(seen, dict) else 0

    def _answer(self, alarm_id: int, response: str) -> None:
        self.send({"type": "respond", "alarm": alarm_id, "response": response})
        window = self.windows.get(alarm_id)
        if window is not None and response in ("on_site", "cannot"):
            self.root.after(1500, self._close_answered, alarm_id)

    def _close_answered(self, alarm_id: int) -> None:
        window = self.windows.pop(alarm_id, None)
        if window is not None:
            window.close()
        self._write_state()

    def _shown(self, alarm_id: int) -> None:
        self.shown_at[alarm_id] = time.monotonic()  # the system's monotonic clock (latency benchmark P6)
        self.send({"type": "seen", "alarm": alarm_id})
        self._write_state()

    def _write_state(self) -> None:
        """What the agent shows now (for supervision on the PC and the tests); no names."""
        state = {
            "version": __version__,
            "connected": self.connected,
            "problem": self.problem,
            "queued": len(self.client.pending()),
            "windows": sorted(self.windows),
            "shown": sorted(pk for pk, w in self.windows.items() if getattr(w, "shown_reported", False)),
            "own": {str(pk): value for pk, value in self.own.items()},
            "shown_at": {str(pk): at for pk, at in self.shown_at.items()},
            "arrived_at": {str(pk): at for pk, at in self.arrived_at.items()},
            "fired_at": self.fired_at[-50:],
        }
        path = self.folder / "state.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        temporary.replace(path)
