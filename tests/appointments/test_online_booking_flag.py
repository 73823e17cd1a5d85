"""Issue 26, defect 3 (2026-12-04): the location's "Online-Terminbuchung" flag works everywhere –
booking services, availability, the booking API and the directory pages; "online buchbar" is only
shown where a schedule of an online service exists."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from buergerkontakt.appointments import services
from buergerkontakt.appointments.exceptions import BookingError
from buergerkontakt.appointments.models import Quota
from buergerkontakt.core.models import Location
from buergerkontakt.directory import queries

from .builders import at, build_office

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 5, 10)
TUESDAY = date(2026, 6, 9)


@pytest.fixture
def office():
    office = build_office()
    Location.objects.filter(pk=office.location.pk).update(offers_online_booking=True)
    office.location.refresh_from_db()
    return office


def _untick(office) -> None:
    Location.objects.filter(pk=office.location.pk).update(offers_online_booking=False)
    office.location.refresh_from_db()


@time_machine.travel(NOW, tick=False)
def test_unticked_location_takes_no_online_bookings_but_internal_ones(office):
    assert services.free_starts([office.short], office.location, TUESDAY, now=NOW)
    assert office.location in services.locations_for([office.short])
    assert office.short in services.bookable_services()
    _untick(office)
    assert office.location not in services.locations_for([office.short])
    assert office.short not in services.bookable_services()
    with pytest.raises(BookingError, match="nicht online"):
        services.free_starts([office.short], office.location, TUESDAY, now=NOW)
    with pytest.raises(BookingError, match="nicht online"):
        office.hold(at(2026, 6, 9, 8), now=NOW)
    with pytest.raises(BookingError, match="nicht online"):
        services.availability([office.short], TUESDAY, 7, now=NOW)
    # the phone centre still books on the internal quota
    assert services.free_starts([office.short], office.location, TUESDAY, quota=Quota.INTERNAL, now=NOW)
    held = office.hold(at(2026, 6, 9, 8), now=NOW, quota=Quota.INTERNAL, booked_by=office.agent)
    assert held.pk


@time_machine.travel(NOW, tick=False)
def test_booking_api_lists_no_unticked_location(client, office):
    body = client.get("/api/appointments/services").json()
    assert any(office.location.slug in str(item) for item in body)
    _untick(office)
    body = client.get("/api/appointments/services").json()
    assert not any(office.location.slug in str(item) for item in body)


@time_machine.travel(NOW, tick=False)
def test_directory_says_online_bookable_only_with_a_schedule(office):
    assert ("online_booking" in {c[0] for c in queries.channels(office.location)})
    here = {p.location.pk: p for p in queries.service_locations(office.short)}
    assert here[office.location.pk].online_booking
    # the flag alone (no schedule, no service) promises nothing
    other = office.org.location2 if hasattr(office.org, "location2") else None
    bare = other or Location.objects.exclude(pk=office.location.pk).filter(
        authority=office.org.authority).first()
    Location.objects.filter(pk=bare.pk).update(offers_online_booking=True)
    bare.refresh_from_db()
    assert "online_booking" not in {c[0] for c in queries.channels(bare)}
    office.short.locations.add(bare)
    here = {p.location.pk: p for p in queries.service_locations(office.short)}
    assert not here[bare.pk].online_booking
    _untick(office)
    here = {p.location.pk: p for p in queries.service_locations(office.short)}
    assert not here[office.location.pk].online_booking
    assert "online_booking" not in {c[0] for c in queries.channels(office.location)}
