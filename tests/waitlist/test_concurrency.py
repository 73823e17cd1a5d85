"""Matchers racing: never two open offers for one entry, never over capacity.

The PostgreSQL variant (many threads) runs when ``DATABASE_URL`` points at PostgreSQL; the small
one runs on whatever database the suite uses (SQLite serialises writers).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from buergerkontakt.waitlist import services
from buergerkontakt.waitlist.models import Offer
from tests.appointments.test_concurrency import ON_POSTGRES, assert_capacity_invariant, race

from .builders import NOW, need, office_with_units

pytestmark = pytest.mark.django_db(transaction=True)


def _matchers_race(threads: int, entries: int, units: int) -> None:
    office = office_with_units(("09:00", f"09:{15 * units:02d}" if units < 4 else "10:00"))
    waiting = [need(office, f"person{i}@example.org") for i in range(entries)]
    results = race([lambda: services.match(now=NOW) for _ in range(threads)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == min(entries, units)
    open_offers = list(Offer.objects.filter(status=Offer.Status.OPEN).values_list("entry_id", flat=True))
    assert len(open_offers) == len(set(open_offers)) == min(entries, units)
    # The earliest registered entries got the units, in order.
    assert set(open_offers) == {entry.pk for entry in waiting[:units]}
    assert_capacity_invariant()
    # Declines racing with matchers hand on without double offers either.
    offers = list(Offer.objects.filter(status=Offer.Status.OPEN))
    later = NOW + timedelta(minutes=1)
    race([*(lambda o=o: services.decline_offer(o, now=later) for o in offers),
          *(lambda: services.match(now=later) for _ in range(threads))])
    open_offers = list(Offer.objects.filter(status=Offer.Status.OPEN).values_list("entry_id", flat=True))
    assert len(open_offers) == len(set(open_offers))
    assert_capacity_invariant()


def test_two_matchers_small():
    _matchers_race(threads=2, entries=3, units=2)


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgres://…")
def test_many_matchers_postgres():
    _matchers_race(threads=16, entries=12, units=4)
