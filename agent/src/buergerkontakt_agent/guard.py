"""The guard against accidental alarms: "twice" (the trigger pressed twice within the window),
"hold" (kept pressed for the window) or "none". Pure logic with an explicit clock (tested without
a keyboard)."""

from __future__ import annotations

MODES = ("twice", "hold", "none")


class Guard:
    def __init__(self, mode: str = "twice", seconds: float = 1.5):
        if mode not in MODES:
            raise ValueError(f"unknown guard {mode!r}; one of {', '.join(MODES)}")
        self.mode, self.seconds = mode, seconds
        self.last_press: float | None = None
        self.down_since: float | None = None
        self.fired_this_hold = False

    def pressed(self, now: float) -> bool:
        """The trigger went down (auto-repeat sends this again while held). True: raise now."""
        if self.mode == "none":
            if self.down_since is None:
                self.down_since = now
                return True
            return False
        if self.mode == "twice":
            if self.down_since is not None:  # auto-repeat of a held key is not a second press
                return False
            self.down_since = now
            if self.last_press is not None and now - self.last_press <= self.seconds:
                self.last_press = None
                return True
            self.last_press = now
            return False
        # hold
        if self.down_since is None:
            self.down_since, self.fired_this_hold = now, False
            return False
        return self.held(now)

    def held(self, now: float) -> bool:
        """Polled while the trigger is down (mode "hold")."""
        if self.mode != "hold" or self.down_since is None or self.fired_this_hold:
            return False
        if now - self.down_since >= self.seconds:
            self.fired_this_hold = True
            return True
        return False

    def released(self, now: float) -> None:
        self.down_since = None
        self.fired_this_hold = False
