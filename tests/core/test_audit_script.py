"""`make audit` (scripts/audit.py): fails on a finding, says "not checked" – and does not fail – when
the advisory services give no answer. The reports are shaped like pip-audit's and npm's JSON."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit.py"
SPEC = importlib.util.spec_from_file_location("audit", SCRIPT)
audit = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(audit)


def test_python_finding_fails_and_names_the_package():
    report = {"dependencies": [
        {"name": "django", "version": "6.1.0", "vulns": [{"id": "PYSEC-2026-1", "fix_versions": ["6.1.1"]}]},
        {"name": "altcha", "version": "2.3.0", "vulns": []}]}
    state, message = audit.judge_python(report)
    assert state == "vulnerable" and "django 6.1.0: PYSEC-2026-1 (fixed in 6.1.1)" in message


def test_python_without_any_answer_is_not_checked_rather_than_clean():
    report = {"dependencies": [{"name": "django", "version": "6.1.0",
                                "skip_reason": "Dependency not found on PyPI and could not be audited"}]}
    assert audit.judge_python(report)[0] == "not checked"
    clean = {"dependencies": [{"name": "altcha", "version": "2.3.0", "vulns": []}]}
    assert audit.judge_python(clean)[0] == "ok"


def test_npm_unreachable_or_without_endpoint_is_not_checked():
    no_endpoint = {"message": "405 Method Not Allowed - POST …/advisories/bulk", "statusCode": 405,
                   "error": {}}
    assert audit.judge_npm(no_endpoint)[0] == "not checked"
    assert audit.judge_npm({}, "npm error code ENOTFOUND")[0] == "not checked"


def test_npm_high_fails_low_is_listed():
    high = {"metadata": {"vulnerabilities": {"high": 1, "low": 2}},
            "vulnerabilities": {"htmx.org": {"severity": "high"}, "x": {"severity": "low"}}}
    state, message = audit.judge_npm(high)
    assert state == "vulnerable" and message.endswith(": htmx.org")
    assert audit.judge_npm({"metadata": {"vulnerabilities": {"low": 2}}})[0] == "ok"


def test_an_unexpected_npm_answer_is_an_error_not_a_pass():
    with pytest.raises(SystemExit):
        audit.judge_npm({"something": "else"}, "")
