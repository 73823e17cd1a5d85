"""The agent's windows (Tk, part of Python on Windows and Linux): the alarm window – topmost, full
screen, red, with sound – with the three answers, and a small topmost status window for the
person who raised the alarm (sent / queued offline / delivered / who is coming)."""

from __future__ import annotations

import sys
import tkinter as tk
from collections.abc import Callable

RED, DARK, WHITE = "#b00020", "#3a0009", "#ffffff"
ANSWERS = (("coming", "Ich komme"), ("on_site", "Vor Ort"), ("cannot", "Kann nicht"))
# Keyboard: Alt + the underlined letter (I, V, K), as well as Tab/space.
ACCELERATORS = {"coming": "i", "on_site": "v", "cannot": "k"}


def beep(root: tk.Tk) -> None:
    """Best effort: the Windows alarm sound, else the display's bell."""
    try:
        if sys.platform == "win32":
            import winsound

            winsound.MessageBeep(winsound.MB_ICONHAND)
            return
        root.bell()
    except Exception:  # noqa: S110 – no sound device is no reason to fail the alarm window
        pass


class AlarmWindow:
    def __init__(self, root: tk.Tk, alarm: dict, instruction: str, *, fullscreen: bool, sound: bool,
                 on_answer: Callable[[int, str], None], on_shown: Callable[[int], None]):
        self.root, self.alarm, self.sound = root, alarm, sound
        self.alarm_id = int(alarm["id"])
        self.on_answer, self.on_shown = on_answer, on_shown
        self.shown_reported = False
        self.answered = ""
        self.top = top = tk.Toplevel(root, background=RED)
        top.title(f"ALARM – Raum {alarm.get('room') or '?'}")
        top.attributes("-topmost", True)
        if fullscreen:
            top.attributes("-fullscreen", True)
        else:
            top.geometry("900x600+40+40")
        top.protocol("WM_DELETE_WINDOW", lambda: None)  # closed only by an answer or the all-clear
        drill = "PROBEALARM – " if alarm.get("drill") else ""
        tk.Label(top, text=f"{drill}STILLER ALARM", font=("Helvetica", 48, "bold"), fg=WHITE,
                 bg=RED).pack(pady=(60, 10))
        tk.Label(top, text=alarm.get("place") or alarm.get("room") or "", font=("Helvetica", 30, "bold"),
                 fg=WHITE, bg=RED, wraplength=1100).pack(pady=10)
        tk.Label(top, text=f"{alarm.get('level_label', '')} · {alarm.get('time', '')}",
                 font=("Helvetica", 18), fg=WHITE, bg=RED).pack(pady=4)
        tk.Label(top, text=instruction, font=("Helvetica", 20), fg=WHITE, bg=RED,
                 wraplength=1100).pack(pady=20)
        self.buttons = tk.Frame(top, bg=RED)
        self.buttons.pack(pady=30)
        for code, label in ANSWERS:
            letter = ACCELERATORS[code]
            tk.Button(self.buttons, text=label, font=("Helvetica", 24, "bold"), width=12,
                      underline=label.lower().index(letter),
                      command=lambda c=code: self.answer(c)).pack(side=tk.LEFT, padx=20)
            for variant in (letter, letter.upper()):
                top.bind(f"<Alt-{variant}>", lambda _e, c=code: self.answer(c))
        self.note = tk.Label(top, text="", font=("Helvetica", 18), fg=WHITE, bg=RED)
        self.note.pack(pady=10)
        top.bind("<Map>", self._mapped)
        top.lift()
        top.focus_force()
        self._ring(6)

    def _ring(self, times: int) -> None:
        if self.sound and times > 0 and self.top.winfo_exists():
            beep(self.root)
            self.root.after(700, self._ring, times - 1)

    def _mapped(self, _event=None) -> None:
        if not self.shown_reported and self.top.winfo_viewable():
            self.shown_reported = True
            self.on_shown(self.alarm_id)

    def answer(self, code: str) -> None:
        if self.answered == code:
            return
        self.answered = code
        self.on_answer(self.alarm_id, code)
        label = dict(ANSWERS)[code]
        self.note.configure(text=f"Ihre Rückmeldung „{label}“ wurde gesendet.")
        if code != "coming":
            return
        self.top.attributes("-fullscreen", False)

    def close(self) -> None:
        if self.top.winfo_exists():
            self.top.destroy()


class StatusWindow:
    """The trigger's discreet confirmation (topmost, small, bottom right)."""

    def __init__(self, root: tk.Tk):
        self.root = root
        self.top = tk.Toplevel(root, background=DARK)
        self.top.title("Alarm – Status")
        self.top.attributes("-topmost", True)
        self.top.geometry("520x180-20-60")
        self.text = tk.Label(self.top, text="", font=("Helvetica", 14), fg=WHITE, bg=DARK, justify=tk.LEFT,
                             wraplength=500)
        self.text.pack(fill=tk.BOTH, expand=True, padx=12, pady=12)
        tk.Button(self.top, text="Ausblenden", command=self.hide).pack(pady=(0, 8))

    def show(self, text: str) -> None:
        self.text.configure(text=text)
        self.top.deiconify()
        self.top.lift()

    def hide(self) -> None:
        self.top.withdraw()
