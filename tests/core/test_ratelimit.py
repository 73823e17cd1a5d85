"""Rate limits in the cache: fixed windows, hashed keys, client IP behind trusted proxies."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.core.cache import cache
from django.test import RequestFactory

from buergerkontakt.core import ratelimit


@pytest.fixture(autouse=True)
def _clear():
    cache.clear()


def test_limit_per_subject_and_window():
    with time_machine.travel("2026-06-08 10:00:00+00:00", tick=False):
        assert [ratelimit.hit("t", "1.2.3.4", limit=2, period_seconds=60) for _ in range(3)] == [
            True, True, False]
        assert ratelimit.hit("t", "5.6.7.8", limit=2, period_seconds=60)  # another subject
        assert ratelimit.hit("other", "1.2.3.4", limit=2, period_seconds=60)  # another scope
    with time_machine.travel("2026-06-08 10:01:00+00:00", tick=False):
        assert ratelimit.hit("t", "1.2.3.4", limit=2, period_seconds=60)  # the next window


def test_zero_switches_a_rule_off_and_keys_hold_no_personal_data():
    assert all(ratelimit.hit("t", "erika@example.org", limit=0, period_seconds=60) for _ in range(50))
    with time_machine.travel("2026-06-08 10:00:00+00:00", tick=False):
        ratelimit.hit("t", "erika@example.org", limit=5, period_seconds=60)
        key = ratelimit._key("t", "erika@example.org", int(time.time() // 60))
        assert cache.get(key) == 1  # the counter lives under this key …
    assert "erika" not in key and "example" not in key  # … which does not contain the address


def test_client_ip_ignores_forged_forwarded_headers(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.AXES_IPWARE_PROXY_COUNT = 0
    assert ratelimit.client_ip(request) == "10.0.0.1"  # no proxy configured: the header is ignored
    settings.AXES_IPWARE_PROXY_COUNT = 1
    assert ratelimit.client_ip(request) == "203.0.113.9"  # what our proxy saw, not the forged left part
