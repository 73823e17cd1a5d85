"""Tray icon on Windows (pystray; the offices' platform). Menu: raise the alarm, show the status,
quit. Best effort: without pystray (Linux here) or on any error the agent runs without an icon.
Not tested on this project's Linux CI (docs/alarm-agent.md)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

log = logging.getLogger("buergerkontakt_agent")


def start(on_raise: Callable[[str], None], on_status: Callable[[], None], on_quit: Callable[[], None]):
    """Show the icon in its own thread; returns it (or None)."""
    if sys.platform != "win32":
        return None
    try:
        import pystray
        from PIL import Image, ImageDraw

        image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
        ImageDraw.Draw(image).ellipse((4, 4, 60, 60), fill=(176, 0, 32, 255))
        menu = pystray.Menu(
            pystray.MenuItem("Stillen Alarm auslösen", lambda _icon, _item: on_raise("tray")),
            pystray.MenuItem("Status anzeigen", lambda _icon, _item: on_status()),
            pystray.MenuItem("Agent beenden", lambda _icon, _item: on_quit()),
        )
        icon = pystray.Icon("buergerkontakt-agent", image, "Bürgerkontakt – stiller Alarm", menu)
        icon.run_detached()
        return icon
    except Exception:  # no icon is no reason to stop the alarm
        log.warning("tray icon not available", exc_info=True)
        return None
