"""The periodic scheduler: registry, due times, no pile-up, errors survived, --once."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command
from django.tasks import task

from buergerkontakt.core import scheduler

CALLS: list[str] = []


@task
def sample_task() -> int:
    CALLS.append("run")
    return len(CALLS)


class Broken:
    module_path = "tests.core.broken"

    def enqueue(self):
        raise RuntimeError("SELECT … WHERE email = 'geheim@example.org'")


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(scheduler, "_registry", {})
    CALLS.clear()
    return scheduler


def test_due_tasks_are_enqueued_by_interval(registry):
    registry.register(sample_task, 60)
    clock = iter([0.0, 30.0, 60.0, 61.0]).__next__
    assert registry.tick(clock) == [scheduler.task_name(sample_task)]
    assert registry.tick(clock) == []
    assert registry.tick(clock) == [scheduler.task_name(sample_task)]
    assert registry.tick(clock) == []
    assert CALLS == ["run", "run"]  # ImmediateBackend in tests


def test_a_failing_task_is_logged_without_details_and_retried(registry, caplog):
    registry.register(Broken(), 600)
    registry.register(sample_task, 600)
    with caplog.at_level(logging.WARNING):
        assert registry.tick(lambda: 0.0) == [scheduler.task_name(sample_task)]
    assert "RuntimeError" in caplog.text and "geheim" not in caplog.text
    assert registry.tick(lambda: 31.0) == []  # retried after at most 30 s …
    assert registry.tick(lambda: 29.0) == []


def test_still_pending_runs_are_not_enqueued_again(registry):
    class Pending:
        status = "READY"

        def refresh(self):
            pass

    registry.register(sample_task, 1)
    entry = registry.registered()[scheduler.task_name(sample_task)]
    entry.last_result = Pending()
    entry.last_result.status = scheduler.PENDING[0]
    assert registry.tick(lambda: 5.0) == []


def test_a_run_caught_by_a_killed_worker_does_not_stop_the_schedule(registry):
    """A run that stays "running" (its worker was killed) must not block the next ones (issue 18)."""

    class Running:
        status = "RUNNING"

        def refresh(self):
            pass

    registry.register(sample_task, 1)
    entry = registry.registered()[scheduler.task_name(sample_task)]
    entry.last_result = Running()
    assert registry.tick(lambda: 5.0) == [scheduler.task_name(sample_task)]


def test_interval_must_be_positive(registry):
    with pytest.raises(ValueError):
        registry.register(sample_task, 0)


@pytest.mark.django_db
def test_run_scheduler_once_enqueues_every_registered_task(capsys):
    call_command("run_scheduler", "--once")
    names = set(scheduler.registered())
    assert {
        "buergerkontakt.appointments.tasks.release_due_capacity_task",
        "buergerkontakt.appointments.tasks.materialize_horizon_task",
        "buergerkontakt.appointments.reminders.send_reminders_task",
        "buergerkontakt.appointments.reminders.expire_unreconfirmed_task",
        "buergerkontakt.waitlist.tasks.match_task",
        "buergerkontakt.waitlist.tasks.expire_offers_task",
        "buergerkontakt.waitlist.tasks.expire_entries_task",
    } <= names
    assert "Aufgaben eingereiht" in capsys.readouterr().out
