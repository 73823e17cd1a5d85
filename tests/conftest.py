"""Shared fixtures: a small organisation with staff in every role."""

from __future__ import annotations

import os
import uuid

import pytest

# Tests never use the database task worker: tasks run immediately, in the test transaction.
os.environ.setdefault("TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend")


FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
    settings.SECURE_SSL_REDIRECT = False
    settings.PASSWORD_HASHERS = [FAST_HASHER]
    # Rate-limit counters of one test never count for the next (all tests come from 127.0.0.1).
    settings.RATE_LIMIT_NAMESPACE = f"{uuid.uuid4().hex[:12]}:"
    # Escalation is driven with a controllable clock; the tests of the raising process's own timer
    # switch it on.
    settings.ALARM_ESCALATION_TIMER = False
    # Tests travel in time with signed-in clients; tests/core/test_idle.py switches the idle sign-out on.
    settings.SESSION_IDLE_TIMEOUT = 0
    yield
    # A request in English must not leave English switched on for the next test.
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def org(db, _test_settings):
    """Two authorities; the first with two locations, teams, rooms and one user per role."""
    from tests.factories import build_org

    return build_org()
