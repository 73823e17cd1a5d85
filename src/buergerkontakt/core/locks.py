"""Row locks that lock only what the code means to lock.

``select_for_update()`` on a queryset with ``select_related()`` locks the joined rows too on
PostgreSQL (authority, team, queue, location …) unless ``of`` names the own table: every other desk
of that team or queue would then wait for one case worker's transaction. :func:`for_update` locks
the queryset's own rows only, with ``FOR NO KEY UPDATE`` (rows referencing the locked one – a call
attempt, a timeline event – can still be inserted meanwhile), in primary-key order so that two
transactions locking several rows never deadlock. SQLite ignores row locks (writers are serialised
by ``BEGIN IMMEDIATE``). Proven by ``tests/core/test_lock_scope.py`` on PostgreSQL.
"""

from __future__ import annotations

from django.db.models import QuerySet


def for_update(queryset: QuerySet) -> QuerySet:
    return queryset.select_for_update(of=("self",), no_key=True).order_by("pk")
