"""Structured logs without personal data: the access line, request ids, Django's redacted "Not Found"
lines, the JSON renderer, and the check that ``make test`` runs over the log of the whole suite."""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path

import pytest
import structlog

from buergerkontakt.core import logs
from buergerkontakt.demo.people import DEMO_PERSONS

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("check_logs", ROOT / "scripts" / "check_logs.py")
check_logs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_logs)


def access_records(caplog):
    return [r.msg for r in caplog.records if r.name == "buergerkontakt.access"]


@pytest.mark.django_db
def test_access_line_has_the_route_pattern_not_the_code(client, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/termine/ABCD2345/?email=erika@example.de")
    assert response.status_code == 404
    (line,) = access_records(caplog)
    assert line["route"] == "/termine/<code:code>/"
    assert line["status"] == 404 and line["method"] == "GET"
    assert line["request_id"] == response["X-Request-ID"]
    text = caplog.text + json.dumps(line)
    assert "ABCD2345" not in text and "erika@example.de" not in text
    not_found = [r for r in caplog.records if r.name == "django.request"]
    assert not_found and all("ABCD2345" not in r.getMessage() for r in not_found)
    assert "/termine/<code:code>/" in not_found[0].getMessage()


@pytest.mark.django_db
def test_unknown_paths_are_cut_after_the_first_segment(client, caplog):
    caplog.set_level(logging.INFO)
    client.get("/wartenummer/12/geheimes-token-123/zusatz")
    routes = [line["route"] for line in access_records(caplog)]
    assert routes and all("geheimes" not in route for route in routes)


@pytest.mark.django_db
def test_request_id_from_the_proxy_is_kept_and_a_forged_one_replaced(client, caplog):
    caplog.set_level(logging.INFO)
    ok = client.get("/standorte/", headers={"X-Request-ID": "0123456789abcdef"})
    assert ok["X-Request-ID"] == "0123456789abcdef"
    forged = client.get("/standorte/", headers={"X-Request-ID": "x\n{\"level\": \"critical\"}"})
    assert forged["X-Request-ID"] != "x\n{\"level\": \"critical\"}" and len(forged["X-Request-ID"]) == 32
    assert [line["request_id"] for line in access_records(caplog)] == ["0123456789abcdef",
                                                                       forged["X-Request-ID"]]


def test_json_format_writes_one_object_per_line_with_context():
    config = dict(logs.logging_config(fmt="json")["formatters"]["json"])
    formatter = config.pop("()")(**config)
    structlog.contextvars.bind_contextvars(request_id="r-1")
    try:
        record = logging.LogRecord("buergerkontakt.x", logging.WARNING, __file__, 1,
                                   "Standort %s ohne Sicherheitsdienst", (7,), None)
        parsed = json.loads(formatter.format(record))
    finally:
        structlog.contextvars.clear_contextvars()
    assert parsed["event"] == "Standort 7 ohne Sicherheitsdienst"
    assert parsed["level"] == "warning" and parsed["logger"] == "buergerkontakt.x"
    assert parsed["request_id"] == "r-1" and parsed["timestamp"].endswith("Z")


def test_log_file_handler_only_when_configured(tmp_path):
    assert "file" not in logs.logging_config()["handlers"]
    with_file = logs.logging_config(file=str(tmp_path / "x.log"))
    assert with_file["handlers"]["file"]["formatter"] == "json"
    assert set(with_file["root"]["handlers"]) == {"console", "file"}


@pytest.mark.parametrize("line", [
    '{"event": "Termin für Erika Mustermann gebucht"}',
    '{"event": "SMS an Nina Nowak"}',
    '{"event": "Buchung Fatma Y\\u0131lmaz"}',  # ASCII-escaped JSON
    '{"event": "Mail an aylin.demir@example.de"}',
    '{"event": "SMS an 0151 20000013"}',
])
def test_check_finds_names_and_contact_details(tmp_path, line):
    log = tmp_path / "run.log"
    log.write_text('{"event": "request", "route": "/termine/"}\n' + line + "\n", encoding="utf-8")
    assert check_logs.main([str(log)]) == 1


def test_check_passes_clean_logs_and_refuses_empty_ones(tmp_path):
    log = tmp_path / "run.log"
    log.write_text('{"event": "SMS an 0151****13 (42 Zeichen) abgelegt"}\n'
                   '{"event": "request", "route": "/termine/<code:code>/"}\n', encoding="utf-8")
    assert check_logs.main([str(log)]) == 0
    assert check_logs.main(["--min-lines=1000", str(log)]) == 1
    assert check_logs.main([str(tmp_path / "missing.log")]) == 2


def test_every_demo_person_is_searched_for():
    needles = check_logs.needles()
    assert all(person.lower() in needles for person in DEMO_PERSONS)


def test_log_level_applies_to_djangos_loggers_too():
    config = logs.logging_config(level="ERROR")
    assert config["loggers"]["django"]["level"] == "ERROR"
    assert config["root"]["level"] == "ERROR"
