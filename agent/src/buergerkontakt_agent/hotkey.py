"""Global hotkey and mapped USB-button/foot-pedal keys (pynput: Windows hooks, X11 RECORD on Linux,
so they work whatever application has the focus). Each trigger has its own guard (guard.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .guard import Guard


class Trigger:
    def __init__(self, name: str, keys: list, guard: Guard, on_fire: Callable[[str], None]):
        self.name, self.keys, self.guard, self.on_fire = name, set(keys), guard, on_fire
        self.down = False

    def update(self, pressed: set, now: float) -> None:
        down = self.keys <= pressed
        if down and self.guard.pressed(now):
            self.on_fire(self.name)
        if not down and self.down:
            self.guard.released(now)
        self.down = down

    def poll(self, now: float) -> None:
        if self.down and self.guard.held(now):
            self.on_fire(self.name)


class Keys:
    """Listens to the whole keyboard; ``on_fire(source)`` is called with "hotkey" or "button"."""

    def __init__(self, settings, on_fire: Callable[[str], None]):
        from pynput import keyboard

        self.keyboard = keyboard
        self.triggers = [Trigger("hotkey", keyboard.HotKey.parse(settings.hotkey),
                                 Guard(settings.hotkey_guard, settings.guard_seconds), on_fire)]
        for key in settings.button_keys:
            self.triggers.append(Trigger("button", keyboard.HotKey.parse(key),
                                         Guard(settings.button_guard, settings.guard_seconds), on_fire))
        self.pressed: set = set()
        self.lock = threading.Lock()
        self.listener = keyboard.Listener(on_press=self._press, on_release=self._release)
        self.stopped = threading.Event()

    def _canonical(self, key):
        return self.listener.canonical(key)

    def _press(self, key) -> None:
        with self.lock:
            self.pressed.add(self._canonical(key))
            now = time.monotonic()
            for trigger in self.triggers:
                trigger.update(self.pressed, now)

    def _release(self, key) -> None:
        with self.lock:
            self.pressed.discard(self._canonical(key))
            now = time.monotonic()
            for trigger in self.triggers:
                trigger.update(self.pressed, now)

    def _hold_loop(self) -> None:
        while not self.stopped.wait(0.05):
            with self.lock:
                now = time.monotonic()
                for trigger in self.triggers:
                    trigger.poll(now)

    def start(self) -> None:
        self.listener.start()
        self.listener.wait()
        threading.Thread(target=self._hold_loop, name="hotkey-hold", daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()
        self.listener.stop()
