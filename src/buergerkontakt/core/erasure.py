"""Shared pieces of the apps' retention and Art. 15/17 functions (called by the privacy app,
docs/privacy/loeschkonzept.md): changing many rows in small transactions, and finding a person's
records by contact details (never by name – a namesake's records stay out)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import Q, QuerySet


def in_batches(due: QuerySet, change: Callable[[list[int]], int], *, batch_size: int) -> int:
    """Call ``change`` with the primary keys of ``due``, ``batch_size`` at a time and each batch in
    its own transaction, until ``due`` is empty; the sum of what ``change`` returned. ``change`` must
    take its rows out of ``due`` (blank what ``due`` filters on), or this never ends."""
    done = 0
    while True:
        batch = list(due.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not batch:
            return done
        with transaction.atomic():
            done += change(batch)


def contact_q(emails: Iterable[str], phones: Iterable[str]) -> Q:
    """Rows whose ``email`` (any case) or ``phone`` is one of these; nothing for no contacts."""
    query = Q(pk__in=[])
    for email in (e.strip() for e in emails):
        if email:
            query |= Q(email__iexact=email)
    numbers = [p.strip() for p in phones if p.strip()]
    if numbers:
        query |= Q(phone__in=numbers)
    return query
