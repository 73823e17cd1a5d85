"""A virtual X desktop for the desktop agent's real tests: Debian's Xvfb (with the RECORD extension
that pynput listens through, as on a staff PC's X server), agents as real processes, another X
application holding the focus, xdotool for the keyboard and ImageMagick's ``import`` for
screenshots (``make xvfb`` installs them)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.liveserver import ROOT

TOOLS = ("Xvfb", "xdotool", "import")
RESULTS = ROOT / "test-results"


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def wait_for(check, timeout: float = 15.0, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Display:
    """One staff PC's screen and keyboard. Xvfb picks a free display number itself (``-displayfd``),
    so parallel runs never collide."""

    def __init__(self):
        self.number = -1
        self.name = ""
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        read, write = os.pipe()
        try:
            self.process = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp",
                 "+extension", "RECORD"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write,))
            os.close(write)
            with os.fdopen(read) as answer:
                self.number = int(answer.readline().strip())
        except ValueError:
            raise RuntimeError("Xvfb did not start") from None
        self.name = f":{self.number}"

    def env(self, **extra) -> dict:
        return {**os.environ, "DISPLAY": self.name, **extra}

    def run(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(list(args), env=self.env(), capture_output=True, text=True, timeout=20,
                                check=check)
        return result.stdout.strip()

    def key(self, *keys: str) -> None:
        """Keys as a person presses them, to whatever window has the focus (XTEST)."""
        self.run("xdotool", "key", "--delay", "60", *keys)

    def focused(self) -> str:
        return self.run("xdotool", "getwindowfocus")

    def window(self, name: str, timeout: float = 15.0) -> str:
        def find():
            out = self.run("xdotool", "search", "--onlyvisible", "--name", name, check=False)
            return out.splitlines()[-1] if out else ""
        return wait_for(find, timeout, what=f"window {name!r}")

    def screenshot(self, name: str) -> Path:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / name
        self.run("import", "-window", "root", str(path))
        return path

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(5)


class Agent:
    """One agent process with its own folder (token, queue, state)."""

    def __init__(self, display: Display, home: Path, log: Path):
        self.display, self.home, self.log = display, home, log
        self.process: subprocess.Popen | None = None

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "buergerkontakt_agent", *args], env=self.env(),
                              capture_output=True, text=True, timeout=30)

    def env(self) -> dict:
        return self.display.env(BK_AGENT_HOME=str(self.home))

    def start(self, *args: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "buergerkontakt_agent", "run", *args],
                                        env=self.env(), stdout=self.log.open("ab"), stderr=subprocess.STDOUT)

    def state(self) -> dict:
        path = self.home / "state.json"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return {}

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


FOCUS_APP = """
import tkinter as tk
root = tk.Tk(className="Fachverfahren")
root.title("Fachverfahren – Akte 4711")
root.geometry("700x300+300+200")
entry = tk.Entry(root, font=("Helvetica", 20))
entry.pack(padx=20, pady=40, fill="x")
entry.insert(0, "Sachbearbeitung läuft")
root.after(200, lambda: (root.focus_force(), entry.focus_set()))
root.mainloop()
"""


def other_application(display: Display) -> subprocess.Popen:
    """Another X application (the case-management software) that has the keyboard focus."""
    return subprocess.Popen([sys.executable, "-c", FOCUS_APP], env=display.env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
