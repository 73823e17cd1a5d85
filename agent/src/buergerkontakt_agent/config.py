"""The agent's settings and its device token.

Everything lives in one folder per user/PC (``BK_AGENT_HOME``, else ``%APPDATA%\\Buergerkontakt``
on Windows, ``~/.config/buergerkontakt-agent`` elsewhere): ``agent.json`` (settings, no secret),
``token`` (the device token, file mode 0600 – never a user password), ``queue.json`` (raises not
yet confirmed by the server) and ``state.json`` (what the agent shows now; no names).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

DEFAULT_HOTKEY = "<ctrl>+<alt>+a"


def home() -> Path:
    configured = os.environ.get("BK_AGENT_HOME")
    if configured:
        return Path(configured)
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "Buergerkontakt"
    return Path.home() / ".config" / "buergerkontakt-agent"


@dataclass
class Settings:
    server: str = ""
    # The global hotkey (pynput syntax) and its guard against accidental use: "twice" = press the
    # combination twice within ``guard_seconds``, "hold" = keep it pressed ``guard_seconds``,
    # "none" = at once.
    hotkey: str = DEFAULT_HOTKEY
    hotkey_guard: str = "twice"
    guard_seconds: float = 1.5
    # Keys sent by a USB panic button or foot pedal (they present themselves as a keyboard), e.g.
    # "<f13>", "<pause>", "<scroll_lock>"; each raises like the hotkey, with its own guard.
    button_keys: list[str] = field(default_factory=list)
    button_guard: str = "none"
    level: int = 2
    fullscreen: bool = True
    sound: bool = True
    heartbeat_seconds: float = 10.0

    @classmethod
    def load(cls, folder: Path | None = None) -> Settings:
        path = (folder or home()) / "agent.json"
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, folder: Path | None = None) -> Path:
        folder = folder or home()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "agent.json"
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False), encoding="utf-8")
        return path


def token_path(folder: Path | None = None) -> Path:
    return (folder or home()) / "token"


def save_token(token: str, folder: Path | None = None) -> Path:
    """Write the device token readable by this user only (0600; on Windows the folder is the user's
    profile, whose ACL already excludes other users)."""
    path = token_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token)
    os.chmod(path, 0o600)
    return path


def load_token(folder: Path | None = None) -> str | None:
    path = token_path(folder)
    if not path.exists():
        return None
    return path.read_text(encoding="utf-8").strip() or None
