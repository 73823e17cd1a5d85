"""ALTCHA proof of work: real challenges solved with the reference solver, no mocks."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import altcha
import pytest

from buergerkontakt.core.altcha import new_challenge, verify_payload


@pytest.fixture(autouse=True)
def _cheap(settings):
    settings.ALTCHA_COST = 50  # keep the solver fast in tests; the protocol is the same
    from django.core.cache import cache

    cache.clear()


def solve(challenge: dict) -> str:
    parsed = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(parsed)
    assert solution is not None
    return altcha.Payload(parsed, solution).to_base64()


def test_solved_challenge_verifies_once():
    payload = solve(new_challenge())
    assert verify_payload(payload) is True
    assert verify_payload(payload) is False  # replay of the same solution


def test_expired_challenge_is_rejected():
    payload = solve(new_challenge(now=datetime.now(UTC) - timedelta(hours=1)))
    assert verify_payload(payload) is False


def test_tampered_or_foreign_challenge_is_rejected(settings):
    challenge = new_challenge()
    challenge["parameters"]["cost"] = 1  # cheaper than signed → signature no longer matches
    assert verify_payload(solve(challenge)) is False
    settings.SECRET_KEY = "another-installation-" * 3
    foreign = solve(new_challenge())
    settings.SECRET_KEY = "yet-another-installation-" * 3
    assert verify_payload(foreign) is False


def test_wrong_solution_is_rejected():
    payload = json.loads(base64.b64decode(solve(new_challenge())))
    payload["solution"]["counter"] += 1
    assert verify_payload(base64.b64encode(json.dumps(payload).encode()).decode()) is False


@pytest.mark.parametrize("junk", [None, "", "not-base64!", base64.b64encode(b"{}").decode(),
                                  base64.b64encode(b"[1,2]").decode(), "A" * 5000])
def test_malformed_payloads_are_rejected_not_crashing(junk):
    assert verify_payload(junk) is False
