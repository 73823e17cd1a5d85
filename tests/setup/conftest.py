from __future__ import annotations

import pytest
import time_machine

from tests.appointments.builders import at, build_office

NOW = at(2026, 6, 5, 10)  # a Friday, 10:00 in Berlin


@pytest.fixture
def office(django_capture_on_commit_callbacks):
    """build_office() with its slots materialised on commit, at a fixed time."""
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            built = build_office(materialize=None)
        yield built


@pytest.fixture
def admin_client(client, settings, office):
    """The authority's administrator (role admin), signed in (2FA is tested in tests/core)."""
    settings.REQUIRE_2FA = False
    client.force_login(office.org.users["admin"])
    return client
