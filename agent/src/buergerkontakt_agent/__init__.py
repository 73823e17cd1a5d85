"""Bürgerkontakt desktop agent: raises the silent alarm from anywhere on a staff PC (global hotkey,
USB panic button or foot pedal mapped to a key) and shows incoming alarms in a topmost window with
the answers "Ich komme" / "Vor Ort" / "Kann nicht". See docs/alarm-agent.md."""

__version__ = "1.0.0"
