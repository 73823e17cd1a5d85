"""core/commit.py: the after-commit helper and its collecting variant."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from buergerkontakt.core.commit import after_commit, after_commit_collected


class Boom(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_runs_at_once():
    calls = []
    after_commit(calls.append, "now")
    after_commit_collected(calls.append, {1, 2})
    assert calls == ["now", {1, 2}]


@pytest.mark.django_db(transaction=True)
def test_runs_after_the_commit_and_never_after_a_rollback():
    calls = []
    with transaction.atomic():
        after_commit(calls.append, "committed")
        assert calls == []
    assert calls == ["committed"]
    with pytest.raises(Boom), transaction.atomic():
        after_commit(calls.append, "rolled back")
        raise Boom
    assert calls == ["committed"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_drops_only_its_own_calls():
    calls = []
    with transaction.atomic():
        after_commit(calls.append, "outer")
        with pytest.raises(Boom), transaction.atomic():
            after_commit(calls.append, "inner")
            raise Boom
        with transaction.atomic():
            after_commit(calls.append, "kept inner")
    assert calls == ["outer", "kept inner"]


@pytest.mark.django_db(transaction=True)
def test_collected_calls_run_once_with_the_union():
    runs = []
    with transaction.atomic():
        after_commit_collected(runs.append, {1})
        after_commit_collected(runs.append, [2, 3])
        after_commit_collected(runs.append, {3})
        assert runs == []
    assert runs == [{1, 2, 3}]
    with transaction.atomic():  # the next transaction is a batch of its own
        after_commit_collected(runs.append, {4})
    assert runs == [{1, 2, 3}, {4}]


@pytest.mark.django_db(transaction=True)
def test_collected_items_of_a_rolled_back_savepoint_are_left_out():
    runs = []
    with transaction.atomic():
        after_commit_collected(runs.append, {1})
        with pytest.raises(Boom), transaction.atomic():
            after_commit_collected(runs.append, {2})
            raise Boom
        with transaction.atomic():
            after_commit_collected(runs.append, {3})
            with pytest.raises(Boom), transaction.atomic():
                after_commit_collected(runs.append, {4})
                raise Boom
    assert runs == [{1, 3}]
    # only calls inside a rolled-back savepoint: no run at all
    with transaction.atomic(), pytest.raises(Boom), transaction.atomic():
        after_commit_collected(runs.append, {5})
        raise Boom
    assert runs == [{1, 3}]
    with pytest.raises(Boom), transaction.atomic():
        after_commit_collected(runs.append, {6})
        raise Boom
    assert runs == [{1, 3}]


def test_collected_calls_in_a_test_transaction(db, django_capture_on_commit_callbacks):
    runs = []
    with django_capture_on_commit_callbacks(execute=True):
        after_commit_collected(runs.append, {1})
        after_commit_collected(runs.append, {2})
    with django_capture_on_commit_callbacks(execute=True):
        after_commit_collected(runs.append, {3})
    assert runs == [{1, 2}, {3}]


@pytest.mark.django_db(transaction=True)
def test_robust_failure_is_logged_without_arguments_and_the_others_run(caplog):
    calls = []

    def send(address: str) -> None:
        raise Boom(f"rejected {address}")

    with caplog.at_level(logging.ERROR, logger="buergerkontakt.core.commit"), transaction.atomic():
        after_commit(send, "erika@example.org", robust=True)
        after_commit_collected(send, {"+4915112345678"}, robust=True)
        after_commit(calls.append, "next")
    assert calls == ["next"]
    assert len(caplog.records) == 2
    text = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert "send" in text and "Boom" in text
    assert "erika" not in text and "4915112345678" not in text
    assert all(record.exc_info is None for record in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_without_robust_a_failure_reaches_the_caller():
    def fail() -> None:
        raise Boom

    with pytest.raises(Boom), transaction.atomic():
        after_commit(fail)
