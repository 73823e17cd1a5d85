"""SPEC R3: schemathesis over the whole OpenAPI document – whatever it sends, never a 5xx.

The requests go through Django's WSGI handler (full middleware stack) against the test database,
with a small office whose slugs the generator may or may not hit. Proof of work and the per-IP
limit are off here so that generated holds reach the booking services instead of stopping at 403/429.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from buergerkontakt.appointments import availability_cache

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _office(settings):
    from tests.appointments.builders import build_office

    settings.ALTCHA_ENABLED = False
    settings.RATE_LIMITS = {name: (0, period) for name, (_limit, period) in settings.RATE_LIMITS.items()}
    cache.clear()
    availability_cache.clear_local()
    build_office()
    # As Django's test client does: keep the test transaction's connection open between requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        cache.clear()
    availability_cache.clear_local()


@schema.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_server_errors(case):
    response = case.call()
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code,
                                        response.text[:500])
    content_type = (response.headers.get("content-type") or [""])[0]
    if response.status_code >= 400 and content_type.startswith("application/json"):
        body = response.json()
        if isinstance(body, dict) and "detail" in body:
            assert isinstance(body["detail"], str) and body["detail"]
