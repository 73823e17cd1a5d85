"""The agent's token file is readable by its user only; settings round-trip; never a password."""

from __future__ import annotations

import stat

from buergerkontakt_agent.config import Settings, load_token, save_token


def test_the_token_is_written_with_mode_0600(tmp_path):
    path = save_token("bkd_secret", tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_token(tmp_path) == "bkd_secret"
    save_token("bkd_new", tmp_path)  # re-enrolment replaces it, still 0600
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and load_token(tmp_path) == "bkd_new"


def test_settings_round_trip_without_secrets(tmp_path):
    settings = Settings(server="https://bk.example", button_keys=["<f13>"], hotkey_guard="hold")
    path = settings.save(tmp_path)
    assert "bkd_" not in path.read_text() and "password" not in path.read_text().lower()
    loaded = Settings.load(tmp_path)
    assert loaded == settings
