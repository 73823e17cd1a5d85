"""Fixtures of the fault tests (tests/chaos/harness.py): the scaled platform as real processes.

Tests marked ``chaos`` need PostgreSQL (``DATABASE_URL``) and Redis (``REDIS_URL``) – CI's second
lane – and are skipped otherwise. ``stack``/``task_stack`` share one running platform per test
module (starting one costs seconds); after each test every fault is undone (``Stack.heal``). A test
that must change the platform's configuration builds its own ``Stack(tmp_path, static_root=static)``.
"""

from __future__ import annotations

import os

import pytest

from .harness import Stack, collectstatic, project_env

POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
LANE = POSTGRES and bool(os.environ.get("REDIS_URL"))


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="chaos: needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)")
    for item in items:
        if item.get_closest_marker("chaos") and not LANE:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def static(tmp_path_factory):
    """collectstatic once per run (nginx serves it in every stack)."""
    target = tmp_path_factory.mktemp("chaos-static")
    return collectstatic(project_env("sqlite://", "", target / "data"), target / "static")


def _module_stack(tmp_path_factory, static, **options):
    with Stack(tmp_path_factory.mktemp("stack"), static_root=static, **options) as running:
        yield running


@pytest.fixture(scope="module")
def _shared_stack(tmp_path_factory, static, django_db_setup):
    yield from _module_stack(tmp_path_factory, static)


@pytest.fixture(scope="module")
def _shared_task_stack(tmp_path_factory, static, django_db_setup):
    yield from _module_stack(tmp_path_factory, static, tasks=True)


@pytest.fixture
def stack(_shared_stack, transactional_db):
    """Two web workers behind nginx, a private Redis, the database behind a proxy (no task worker)."""
    yield _shared_stack
    _shared_stack.heal()


@pytest.fixture
def task_stack(_shared_task_stack, transactional_db):
    """As ``stack``, plus the task worker and the scheduler."""
    yield _shared_task_stack
    _shared_task_stack.heal()
