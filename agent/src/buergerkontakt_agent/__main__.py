"""``buergerkontakt-agent``: enrol once, then run (started at sign-in, e.g. by the MSI's shortcut in
the Startup folder or a GPO; docs/alarm-agent.md).

    buergerkontakt-agent enrol --server https://buergerkontakt.example --code ABCD-EFGH
    buergerkontakt-agent run
    buergerkontakt-agent config --hotkey "<ctrl>+<alt>+a" --guard twice --button-key "<f13>"
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys

from . import __version__
from .client import Refused, enrol
from .config import Settings, home, load_token, save_token
from .guard import MODES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="buergerkontakt-agent", description="Bürgerkontakt Desktop-Agent")
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_enrol = sub.add_parser("enrol", help="einmalig mit dem Einrichtungscode aus der Administration")
    p_enrol.add_argument("--server", required=True)
    p_enrol.add_argument("--code", required=True)
    p_run = sub.add_parser("run", help="Agent starten")
    p_run.add_argument("--windowed", action="store_true", help="Alarmfenster nicht im Vollbild")
    p_run.add_argument("--no-keys", action="store_true", help="ohne Tastatur-Auslöser")
    p_config = sub.add_parser("config", help="Tastenkombination, Schutz und Taster einstellen")
    p_config.add_argument("--hotkey")
    p_config.add_argument("--guard", choices=MODES)
    p_config.add_argument("--guard-seconds", type=float)
    p_config.add_argument("--button-key", action="append", default=None,
                          help="Taste eines USB-Alarmknopfs/Fußtasters, z. B. <f13> (mehrfach möglich)")
    p_config.add_argument("--button-guard", choices=MODES)
    p_config.add_argument("--level", type=int, choices=(1, 2, 3))
    p_config.add_argument("--no-sound", action="store_true")
    args = parser.parse_args(argv)
    folder = home()
    folder.mkdir(parents=True, exist_ok=True)
    # The packaged agent has no console: it logs into its folder (no names, no token – only what
    # happened: connected, raised locally, errors).
    handlers: list[logging.Handler] = [logging.FileHandler(folder / "agent.log", encoding="utf-8")]
    if sys.stderr is not None:
        handlers.append(logging.StreamHandler())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", handlers=handlers)
    settings = Settings.load(folder)

    if args.command == "enrol":
        try:
            answer = enrol(args.server, args.code, hostname=socket.gethostname())
        except Refused as exc:
            print(f"Einrichtung abgelehnt: {exc.message}", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"Server nicht erreichbar: {exc}", file=sys.stderr)
            return 3
        settings.server = args.server.rstrip("/")
        settings.heartbeat_seconds = float(answer.get("heartbeat_seconds", settings.heartbeat_seconds))
        settings.save(folder)
        save_token(answer["token"], folder)
        print(f"Eingerichtet: {answer.get('device')} – {answer.get('workstation')}, {answer.get('room')}")
        return 0
    if args.command == "config":
        for name, value in (("hotkey", args.hotkey), ("hotkey_guard", args.guard),
                            ("guard_seconds", args.guard_seconds), ("button_keys", args.button_key),
                            ("button_guard", args.button_guard), ("level", args.level)):
            if value is not None:
                setattr(settings, name, value)
        if args.no_sound:
            settings.sound = False
        print(settings.save(folder))
        return 0
    token = load_token(folder)
    if not token or not settings.server:
        print("Noch nicht eingerichtet: buergerkontakt-agent enrol --server … --code …", file=sys.stderr)
        return 2
    if args.windowed:
        settings.fullscreen = False
    from .app import Agent

    Agent(settings, token, folder, keys=not args.no_keys).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
