"""The journeys share one server process while every test starts on a flushed database whose ids
begin at 1 again; the server's cache must be emptied between tests, or a page cached for an
earlier test's "location 1" is served for the next one (seen in CI: the public reachability page
said "keine Rückrufwünsche" for an office with 21 callbacks)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from django.utils import timezone

from tests.factories import build_org
from tests.reports import builders as b


def _reachability(url: str, slug: str) -> str:
    response = httpx.get(f"{url}/standorte/{slug}/erreichbarkeit/", timeout=10)
    response.raise_for_status()
    return response.text


def test_the_server_cache_is_emptied_for_the_next_test(live_url, live_server_proc):
    org = build_org()
    assert "keine Rückrufwünsche" in _reachability(live_url, org.location.slug)

    created = timezone.now() - timedelta(days=1, hours=2)
    b.callback(org.team, created, created + timedelta(hours=4), [created + timedelta(hours=1)])
    # the server caches the public document: the new callback is not shown yet …
    assert "keine Rückrufwünsche" in _reachability(live_url, org.location.slug)

    # … until the cache is emptied, as ``live_url`` does before every journey
    live_server_proc.clear_cache()
    page = _reachability(live_url, org.location.slug)
    assert "keine Rückrufwünsche" not in page
    assert "zu wenige Fälle" in page  # one callback: published only from the minimum count on
