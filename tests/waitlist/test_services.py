"""Waitlist services against the real database: order, offers, hand-on, expiry, no double offers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail

from buergerkontakt.appointments import services as booking
from buergerkontakt.appointments.exceptions import BookingError
from buergerkontakt.appointments.models import Appointment
from buergerkontakt.waitlist import services
from buergerkontakt.waitlist.models import Entry, Offer
from buergerkontakt.waitlist.services import OfferClosed, WaitlistError
from tests.appointments.builders import at, slot_at

from .builders import AFTERNOON_SLOT, DAY, NOW, SLOT, fill, need, office_with_units

pytestmark = pytest.mark.django_db
Status = Appointment.Status


def open_offer(entry: Entry) -> Offer | None:
    return entry.offers.filter(status=Offer.Status.OPEN).first()


def test_free_unit_is_offered_and_held_for_the_offer_time():
    office = office_with_units(waitlist_offer_minutes=120)
    entry = need(office, "anna@example.org")
    assert services.match(now=NOW) == 1
    offer = open_offer(entry)
    assert offer.appointment.status == Status.HELD
    assert offer.appointment.start == SLOT
    assert offer.expires_at == NOW + timedelta(minutes=120)
    assert offer.appointment.hold_expires_at >= offer.expires_at
    assert slot_at(office.group, office.location, SLOT).online_used == 1
    # Nobody else can book it meanwhile, and the same entry never gets a second offer at once.
    assert booking.free_starts([office.short], office.location, DAY, now=NOW) == []
    assert services.match(now=NOW) == 0
    assert entry.offers.count() == 1


def test_order_is_deadline_first_then_registration_time():
    office = office_with_units()
    fill(office)
    first = need(office, "erste@example.org")
    late = need(office, "spaet@example.org", deadline=DAY + timedelta(days=4))
    urgent = need(office, "dringend@example.org", deadline=DAY + timedelta(days=1))
    assert services.match(now=NOW) == 0  # nothing free

    booked = Appointment.objects.get(email="voll@example.org")
    booking.cancel_appointment(booked, now=NOW)
    offers = services.offer_freed(booked, now=NOW, release_now=False)
    assert [offer.entry for offer in offers] == [urgent]

    # Declined → the next in order gets the same time at once.
    services.decline_offer(open_offer(urgent), now=NOW + timedelta(minutes=5))
    assert open_offer(urgent) is None
    second = open_offer(late)
    assert second is not None and second.appointment.start == SLOT

    # Not answered in time → expired → the next one.
    later = second.expires_at + timedelta(seconds=1)
    assert services.expire_offers(now=later) == 1
    second.refresh_from_db()
    assert second.status == Offer.Status.EXPIRED
    third = open_offer(first)
    assert third is not None and third.appointment.start == SLOT
    # Never over capacity along the way.
    assert slot_at(office.group, office.location, SLOT).online_used == 1


def test_cancellation_goes_to_the_waitlist_but_the_public_still_waits():
    office = office_with_units()
    booked = fill(office)
    booking.cancel_appointment(booked, now=NOW)
    # No entry wants it: the anti-bot delay stays for the public.
    assert services.offer_freed(booked, now=NOW, release_now=False) == []
    booked.refresh_from_db()
    assert booked.capacity_released is False
    assert booked.capacity_release_at > NOW
    assert booking.free_starts([office.short], office.location, DAY, now=NOW) == []


def test_accept_books_with_the_entry_details_and_sends_the_confirmation(django_capture_on_commit_callbacks):
    office = office_with_units(require_email_confirmation=True)
    entry = need(office, "bert@example.org", phone="0151 23456789", case_number="AZ-1", wheelchair=True)
    services.match(now=NOW)
    offer = open_offer(entry)
    with django_capture_on_commit_callbacks(execute=True):
        booked = services.accept_offer(offer, now=NOW + timedelta(minutes=3))
    assert booked.status == Status.CONFIRMED  # the signed link proved the address
    assert (booked.name, booked.email, booked.phone, booked.case_number, booked.wheelchair) == (
        "Bert", "bert@example.org", "+4915123456789", "AZ-1", True)
    entry.refresh_from_db()
    assert entry.status == Entry.Status.BOOKED and entry.appointment == booked
    assert [m.subject for m in mail.outbox] == ["Ihr Termin ist gebucht"]
    # A second click changes nothing.
    assert services.accept_offer(offer, now=NOW + timedelta(minutes=4)) == booked
    assert services.match(now=NOW + timedelta(minutes=5)) == 0


def test_expired_offer_cannot_be_accepted():
    office = office_with_units(waitlist_offer_minutes=30)
    entry = need(office, "carla@example.org")
    services.match(now=NOW)
    offer = open_offer(entry)
    with pytest.raises(OfferClosed):
        services.accept_offer(offer, now=NOW + timedelta(minutes=31))
    assert Appointment.objects.get(pk=offer.appointment_id).status == Status.HELD


def test_wishes_are_respected():
    office = office_with_units(("09:00", "09:15"), ("14:00", "14:15"))
    afternoon = need(office, "nachmittag@example.org", mornings=False)
    too_late = need(office, "spaeter@example.org", date_from=DAY + timedelta(days=1))
    deadline_before = need(office, "frist@example.org", deadline=DAY - timedelta(days=1))
    services.match(now=NOW)
    assert open_offer(afternoon).appointment.start == AFTERNOON_SLOT
    assert open_offer(too_late) is None
    assert open_offer(deadline_before) is None


def test_a_declined_time_is_not_offered_to_the_same_entry_again():
    office = office_with_units()
    entry = need(office, "dora@example.org")
    services.match(now=NOW)
    services.decline_offer(open_offer(entry), now=NOW + timedelta(minutes=1))
    # The capacity is free again at once (no anti-bot delay), but not for Dora.
    assert booking.free_starts([office.short], office.location, DAY, now=NOW + timedelta(minutes=2))
    assert services.match(now=NOW + timedelta(minutes=2)) == 0
    entry.refresh_from_db()
    assert entry.status == Entry.Status.ACTIVE


def test_withdraw_hands_an_open_offer_on():
    office = office_with_units()
    first = need(office, "erich@example.org")
    second = need(office, "frida@example.org")
    services.match(now=NOW)
    assert open_offer(first) and not open_offer(second)
    services.withdraw_entry(first, now=NOW + timedelta(minutes=1))
    first.refresh_from_db()
    assert first.status == Entry.Status.WITHDRAWN
    assert first.offers.get().status == Offer.Status.WITHDRAWN
    assert open_offer(second).appointment.start == SLOT
    services.withdraw_entry(first, now=NOW + timedelta(minutes=2))  # idempotent


def test_entries_expire_after_their_range_and_are_told(django_capture_on_commit_callbacks):
    office = office_with_units()
    fill(office)
    entry = need(office, "gustav@example.org", date_until=DAY)
    assert services.expire_entries(now=at(2026, 6, 13, 23)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.expire_entries(now=at(2026, 6, 14, 0, 5)) == 1
    entry.refresh_from_db()
    assert entry.status == Entry.Status.EXPIRED
    assert [m.subject for m in mail.outbox] == ["Ihre Bedarfsmeldung ist abgelaufen"]


def test_registration_sends_receipt_and_offer_mails(django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://termine.example"
    office = office_with_units()
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        entry = need(office, "hanna@example.org")
    subjects = [m.subject for m in mail.outbox]
    assert subjects[0] == "Ihre Bedarfsmeldung ist eingegangen"
    assert "/termine/warteliste/" in mail.outbox[0].body and "zurueckziehen" in mail.outbox[0].body
    # The matcher ran after the commit and the offer arrived with its link and deadline.
    offer = open_offer(entry)
    assert offer is not None
    body = mail.outbox[1].body
    assert f"https://termine.example/termine/warteliste/angebot/{offer.code}/?t=" in body
    assert "13. Juni 2026" in body and "Bitte nehmen Sie den Termin bis" in body


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"email": ""}, "E-Mail-Adresse"),
    ({"email": "kein-at"}, "gültige E-Mail"),
    ({"date_from": date(2026, 6, 1)}, "Vergangenheit"),
    ({"date_until": date(2026, 6, 11), "date_from": date(2026, 6, 12)}, "vor seinem Beginn"),
    ({"date_until": date(2027, 6, 1)}, "höchstens"),
    ({"mornings": False, "afternoons": False}, "vormittags"),
    ({"phone": "12"}, "Mobilnummer"),
    ({"name": " "}, "Namen"),
])
def test_bad_registrations_are_refused_with_german_messages(kwargs, message):
    office = office_with_units()
    with pytest.raises(WaitlistError, match=message):
        need(office, kwargs.pop("email", "ida@example.org"), **kwargs)
    assert not Entry.objects.exists()


def test_service_and_location_must_be_bookable():
    office = office_with_units()
    with pytest.raises(BookingError, match=r"nicht angeboten|keine Termine"):
        need(office, "jan@example.org", locations=[office.org.second_location])
    with pytest.raises(BookingError, match="Leistung"):
        need(office, "jan@example.org", service=999999)
    need(office, "jan@example.org")
    with pytest.raises(WaitlistError, match="bereits vorgemerkt"):
        need(office, "JAN@example.org")
    assert Entry.objects.count() == 1


def test_registration_is_rate_limited_per_email(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "booking_person": (2, 3600)}
    office = office_with_units()
    need(office, "kai@example.org")
    need(office, "kai@example.org", service=office.long)
    with pytest.raises(services.TooManyRequests):
        need(office, "kai@example.org", date_until=DAY + timedelta(days=1))
