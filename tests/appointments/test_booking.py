"""Booking services against the database: hold, confirm, cancel, release, caps and bad input."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from buergerkontakt.appointments import services
from buergerkontakt.appointments.models import CODE_ALPHABET, Appointment, AppointmentSlot, Quota, Slot
from buergerkontakt.appointments.services import BookingError, HoldExpired, SlotUnavailable
from buergerkontakt.appointments.tasks import release_due_capacity_task

from .builders import MONDAY, at, build_office, slot_at, used_snapshot

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 5, 10)  # Friday before the reference week
EIGHT = at(2026, 6, 8, 8)
Status = Appointment.Status


def minutes(n: int):
    return NOW + timedelta(minutes=n)


def online_used(office, moment) -> int:
    return slot_at(office.group, office.location, moment).online_used


def offered(office, moment, now, services_=None) -> bool:
    day = moment.astimezone(EIGHT.tzinfo).date()
    return moment in services.free_starts(services_ or [office.short], office.location, day, now=now)


# --- the happy path and the release delay ---------------------------------------------------------
def test_hold_confirm_cancel_and_release_after_the_delay():
    office = build_office(counters=1, online_quota=1, cancel_release_delay_minutes=30)
    held = office.hold(EIGHT, now=NOW)
    assert held.status == Status.HELD
    assert held.hold_expires_at == minutes(10)
    assert re.fullmatch(f"[{CODE_ALPHABET}]{{8}}", held.code)
    assert not set(held.code) & set("0O1IL")
    assert online_used(office, EIGHT) == 1
    assert not offered(office, EIGHT, minutes(1))

    booked = services.confirm_booking(held, name="  Erika   Mustermann ", email="Erika@Example.org",
                                      phone="0171 2345678", interpreter_language="Arabisch",
                                      wheelchair=True, now=minutes(2))
    assert booked.status == Status.CONFIRMED
    assert (booked.name, booked.email, booked.phone) == ("Erika Mustermann", "erika@example.org",
                                                         "+491712345678")
    assert booked.person_key == "erika@example.org"
    assert booked.hold_expires_at is None and booked.confirmed_at == minutes(2)
    assert [s.pk for s in booked.service_list] == [office.short.pk]
    # Confirmed bookings do not expire.
    assert services.release_due_capacity(now=minutes(60)) == 0
    assert online_used(office, EIGHT) == 1

    cancelled = services.cancel_appointment(booked, now=minutes(5))
    assert cancelled.status == Status.CANCELLED
    assert cancelled.capacity_release_at == minutes(35)
    assert online_used(office, EIGHT) == 1  # still occupied during the delay …
    assert not offered(office, EIGHT, minutes(34))
    assert services.release_due_capacity(now=minutes(34)) == 0
    with pytest.raises(SlotUnavailable):
        office.hold(EIGHT, now=minutes(34))
    assert offered(office, EIGHT, minutes(35))  # … and counts as free once the delay is over
    assert services.release_due_capacity(now=minutes(35)) == 1
    assert online_used(office, EIGHT) == 0
    assert services.release_due_capacity(now=minutes(90)) == 0  # exactly once
    assert online_used(office, EIGHT) == 0
    cancelled.refresh_from_db()
    assert cancelled.capacity_released and cancelled.status == Status.CANCELLED
    assert services.cancel_appointment(cancelled, now=minutes(40)).status == Status.CANCELLED


def test_hold_slot_releases_a_due_cancellation_itself():
    office = build_office(counters=1, online_quota=1, cancel_release_delay_minutes=30)
    services.cancel_appointment(office.book(EIGHT, now=NOW), now=minutes(1))
    second = office.hold(EIGHT, now=minutes(31))  # no periodic task has run
    assert second.status == Status.HELD
    assert online_used(office, EIGHT) == 1
    assert Appointment.objects.get(status=Status.CANCELLED).capacity_released


def test_cancelled_hold_is_released_when_it_would_have_expired():
    office = build_office(counters=1, online_quota=1, hold_minutes=10, cancel_release_delay_minutes=30)
    cancelled = services.cancel_appointment(office.hold(EIGHT, now=NOW), now=minutes(2))
    assert cancelled.capacity_release_at == minutes(10)


def test_expired_hold_frees_capacity_and_cannot_be_confirmed():
    office = build_office(counters=1, online_quota=1, hold_minutes=10)
    first = office.hold(EIGHT, now=NOW)
    with pytest.raises(SlotUnavailable):
        office.hold(EIGHT, now=minutes(9))
    assert offered(office, EIGHT, minutes(10))  # an expired hold counts as free …
    second = office.hold(EIGHT, now=minutes(10))  # … and never blocks a booking
    assert online_used(office, EIGHT) == 1
    first.refresh_from_db()
    assert (first.status, first.capacity_released) == (Status.EXPIRED, True)
    with pytest.raises(HoldExpired) as error:
        services.confirm_booking(first, name="Erika Mustermann", email="erika@example.org", now=minutes(11))
    assert str(error.value) == "Die Reservierung ist abgelaufen. Bitte wählen Sie den Termin erneut."
    assert services.confirm_booking(second, name="Max Muster", email="max@example.org",
                                    now=minutes(11)).status == Status.CONFIRMED
    assert online_used(office, EIGHT) == 1


def test_expired_hold_is_released_by_the_task_exactly_once():
    office = build_office(hold_minutes=10)
    held = office.hold(EIGHT, now=NOW, services_=[office.long])
    with pytest.raises(HoldExpired):  # expired, but not yet released: nothing changes
        services.confirm_booking(held, name="Erika Mustermann", email="e@example.org", now=minutes(10))
    assert online_used(office, EIGHT) == 1
    with time_machine.travel(minutes(10), tick=False):
        assert release_due_capacity_task.enqueue().return_value == 1
        assert release_due_capacity_task.enqueue().return_value == 0
    assert online_used(office, EIGHT) == 0
    assert online_used(office, EIGHT + timedelta(minutes=15)) == 0
    held.refresh_from_db()
    assert held.status == Status.EXPIRED


# --- idempotency and double submission --------------------------------------------------------------
def test_same_idempotency_key_books_once():
    office = build_office(counters=3, online_quota=3)
    first = office.hold(EIGHT, now=NOW, idempotency_key="form-4711")
    again = office.hold(EIGHT, now=minutes(1), idempotency_key="form-4711")
    assert again.pk == first.pk
    assert Appointment.objects.count() == 1
    assert online_used(office, EIGHT) == 1
    with pytest.raises(BookingError, match="bereits mit anderen Angaben"):
        office.hold(EIGHT + timedelta(hours=1), now=minutes(1), idempotency_key="form-4711")
    assert office.hold(EIGHT, now=minutes(1), idempotency_key="form-4712").pk != first.pk


def test_double_submitted_confirmation_books_once():
    office = build_office()
    held = office.hold(EIGHT, now=NOW)
    first = services.confirm_booking(held, name="Erika Mustermann", email="erika@example.org", now=minutes(1))
    second = services.confirm_booking(held, name="Erika Mustermann", email="erika@example.org",
                                      now=minutes(2))
    assert first.pk == second.pk and second.status == Status.CONFIRMED
    assert second.confirmed_at == minutes(1)


# --- per-person cap ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("first_contact", "second_contact"),
    [
        ({"email": "erika@example.org"}, {"email": "ERIKA@example.org "}),
        ({"phone": "0171 2345678"}, {"phone": "+49 171 2345678"}),
        ({"email": "erika@example.org", "phone": "0171 2345678"}, {"phone": "01712345678"}),
    ],
)
def test_one_active_booking_per_person_and_group(first_contact, second_contact):
    office = build_office(counters=2, online_quota=2)
    first = services.confirm_booking(office.hold(EIGHT, now=NOW), name="Erika Mustermann", now=NOW,
                                     **first_contact)
    second = office.hold(EIGHT + timedelta(hours=1), now=NOW)
    with pytest.raises(BookingError, match="bereits einen Termin gebucht"):
        services.confirm_booking(second, name="Erika Mustermann", now=minutes(1), **second_contact)
    second.refresh_from_db()
    assert second.status == Status.HELD  # nothing changed; the hold simply runs out
    # Another person is not affected.
    services.confirm_booking(office.hold(EIGHT, now=NOW), name="Max Muster", email="max@example.org",
                             now=minutes(1))
    # After cancelling the first booking the person may book again.
    services.cancel_appointment(first, now=minutes(2))
    assert services.confirm_booking(second, name="Erika Mustermann", now=minutes(3),
                                    **second_contact).status == Status.CONFIRMED


def test_cap_is_configurable_and_past_bookings_do_not_count():
    office = build_office(counters=2, online_quota=2, max_active_per_person=2)
    for hour in (8, 9):
        office.book(at(2026, 6, 8, hour), now=NOW)
    with pytest.raises(BookingError, match="bereits einen Termin"):
        office.book(at(2026, 6, 8, 10), now=NOW)
    # A week later the Monday appointments are over: the person may book again.
    later = at(2026, 6, 9, 10)
    assert office.book(at(2026, 6, 16, 8), now=later).status == Status.CONFIRMED
    office.group.max_active_per_person = 1
    office.group.save()
    with pytest.raises(BookingError, match="bereits einen Termin"):
        office.book(at(2026, 6, 16, 9), now=later)
    office.group.max_active_per_person = 0  # 0 = no cap
    office.group.save()
    assert office.book(at(2026, 6, 16, 10), now=later).status == Status.CONFIRMED


# --- full slots and atomicity ------------------------------------------------------------------------
def test_full_slot_raises_slot_unavailable_with_the_german_message():
    office = build_office(counters=2, online_quota=2)
    office.hold(EIGHT, now=NOW)
    office.hold(EIGHT, now=NOW)
    with pytest.raises(SlotUnavailable) as error:
        office.hold(EIGHT, now=NOW)
    assert str(error.value) == "Dieser Termin ist leider vergeben. Bitte wählen Sie einen anderen."
    assert online_used(office, EIGHT) == 2


def test_nothing_is_half_booked_when_a_later_unit_is_full():
    office = build_office(counters=1, online_quota=1)
    office.hold(EIGHT + timedelta(minutes=30), now=NOW)  # the third unit of a 45-minute booking
    before = used_snapshot()
    appointments = Appointment.objects.count()
    with pytest.raises(SlotUnavailable):
        office.hold(EIGHT, now=NOW, services_=[office.short, office.long])
    assert used_snapshot() == before
    assert Appointment.objects.count() == appointments
    assert AppointmentSlot.objects.count() == 1


def test_a_multi_unit_booking_occupies_each_unit_once_in_order():
    office = build_office(counters=1, online_quota=1)
    held = office.hold(EIGHT, now=NOW, services_=[office.long, office.short])
    units = list(held.slots.order_by("start"))
    assert [u.start for u in units] == [EIGHT + timedelta(minutes=15 * i) for i in range(3)]
    assert held.end == EIGHT + timedelta(minutes=45)
    assert [s.pk for s in held.service_list] == [office.long.pk, office.short.pk]
    assert {u.online_used for u in Slot.objects.filter(pk__in=[u.pk for u in units])} == {1}


def test_the_database_refuses_more_than_capacity():
    office = build_office(counters=1, online_quota=1)
    slot = slot_at(office.group, office.location, EIGHT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(online_used=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(internal_used=-1)


# --- bad input ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown_service", "Unbekannte Leistung."),
        ("garbage_service", "Unbekannte Leistung."),
        ("no_service", "Bitte wählen Sie mindestens eine Leistung."),
        ("too_many", "höchstens 5 Leistungen"),
        ("mixed_groups", "nicht gemeinsam in einem Termin"),
        ("other_location", "an diesem Standort nicht angeboten"),
        ("not_online", "nicht online gebucht"),
        ("past", "Termine in der Vergangenheit können nicht gebucht werden."),
        ("today", r"Dieser Tag ist \(noch\) nicht buchbar."),
        ("beyond_window", r"Dieser Tag ist \(noch\) nicht buchbar."),
        ("naive", "Ungültige Uhrzeit."),
        ("internal_without_staff", "nur Mitarbeitende"),
        ("bad_quota", "Unbekanntes Kontingent."),
        ("off_grid", "leider vergeben"),
        ("lunch_break", "leider vergeben"),
    ],
)
def test_bad_hold_requests_get_german_errors_and_change_nothing(case, message):
    office = build_office()
    offline = office.short.__class__.objects.create(authority=office.org.authority, name="Intern",
                                                    slug="intern", duration_minutes=15)
    office.group.services.add(offline)
    args = {"services": [office.short], "location": office.location, "start": EIGHT, "now": NOW}
    match case:
        case "unknown_service":
            args["services"] = [office.short.pk, 999_999]
        case "garbage_service":
            args["services"] = ["abc"]
        case "no_service":
            args["services"] = []
        case "too_many":
            args["services"] = [office.short] * 6
        case "mixed_groups":
            args["services"] = [office.short, office.other]
        case "other_location":
            args["location"] = office.org.second_location
        case "not_online":
            args["services"] = [offline]
        case "past":
            args["now"] = EIGHT + timedelta(minutes=1)
        case "today":
            args["now"] = EIGHT - timedelta(hours=1)
        case "beyond_window":
            args["start"] = at(2026, 7, 20, 8)
        case "naive":
            args["start"] = EIGHT.replace(tzinfo=None)
        case "internal_without_staff":
            args["quota"] = Quota.INTERNAL
        case "bad_quota":
            args["quota"] = "vip"
        case "off_grid":
            args["start"] = EIGHT + timedelta(minutes=5)
        case "lunch_break":
            args["start"] = at(2026, 6, 8, 12)
    before = used_snapshot()
    with pytest.raises(BookingError, match=message):
        services.hold_slot(args.pop("services"), args.pop("location"), args.pop("start"), **args)
    assert used_snapshot() == before
    assert not Appointment.objects.exists()


def test_internal_bookings_by_staff_ignore_the_online_window():
    office = build_office(counters=2, online_quota=1)
    held = services.hold_slot([office.short], office.location, EIGHT, quota=Quota.INTERNAL,
                              booked_by=office.agent, now=EIGHT - timedelta(hours=1))
    booked = services.confirm_booking(held, name="Frau Yilmaz", now=EIGHT - timedelta(hours=1))
    assert (booked.status, booked.booked_by, booked.quota) == (Status.CONFIRMED, office.agent, Quota.INTERNAL)
    assert slot_at(office.group, office.location, EIGHT).internal_used == 1


@pytest.mark.parametrize(
    ("details", "message"),
    [
        ({"name": "  "}, "Bitte geben Sie Ihren Namen an."),
        ({"name": "Erika"}, "eine E-Mail-Adresse oder eine Mobilnummer"),
        ({"name": "Erika", "email": "erika@"}, "gültige E-Mail-Adresse"),
        ({"name": "Erika", "phone": "12"}, "gültige Telefonnummer"),
        ({"name": "Erika", "phone": "kein Telefon"}, "gültige Telefonnummer"),
        ({"name": "E" * 201, "email": "e@example.org"}, "„Name“ ist zu lang"),
        ({"name": "Erika", "email": "e@example.org", "note": "x" * 1001}, "„Hinweis“ ist zu lang"),
    ],
)
def test_bad_citizen_details_get_german_errors(details, message):
    office = build_office()
    held = office.hold(EIGHT, now=NOW)
    with pytest.raises(BookingError, match=message):
        services.confirm_booking(held, now=minutes(1), **details)
    held.refresh_from_db()
    assert held.status == Status.HELD and held.name == ""


# --- e-mail confirmation -----------------------------------------------------------------------------
def test_email_confirmation_link_within_the_deadline():
    office = build_office(counters=1, online_quota=1, require_email_confirmation=True, confirm_minutes=30)
    held = office.hold(EIGHT, now=NOW)
    with pytest.raises(BookingError, match="E-Mail-Adresse an"):
        services.confirm_booking(held, name="Erika Mustermann", phone="0171 2345678", now=minutes(1))
    pending = services.confirm_booking(held, name="Erika Mustermann", email="e@example.org", now=minutes(1))
    assert pending.status == Status.PENDING_CONFIRMATION
    assert pending.hold_expires_at == minutes(31)
    assert services.release_due_capacity(now=minutes(30)) == 0
    confirmed = services.confirm_pending(pending, now=minutes(30))
    assert confirmed.status == Status.CONFIRMED and confirmed.hold_expires_at is None
    assert services.confirm_pending(pending, now=minutes(40)).status == Status.CONFIRMED
    assert services.release_due_capacity(now=minutes(60)) == 0
    assert online_used(office, EIGHT) == 1


def test_unconfirmed_email_link_expires_and_frees_capacity():
    office = build_office(counters=1, online_quota=1, require_email_confirmation=True, confirm_minutes=30)
    pending = services.confirm_booking(office.hold(EIGHT, now=NOW), name="Erika Mustermann",
                                       email="e@example.org", now=minutes(1))
    assert offered(office, EIGHT, minutes(31))
    assert services.release_due_capacity(now=minutes(31)) == 1
    assert online_used(office, EIGHT) == 0
    with pytest.raises(HoldExpired, match="Bestätigungslink ist abgelaufen"):
        services.confirm_pending(pending, now=minutes(32))
    pending.refresh_from_db()
    assert pending.status == Status.EXPIRED


# --- the day of the appointment ------------------------------------------------------------------------
def test_check_in_complete_and_no_show():
    office = build_office(counters=2, online_quota=2)
    first = office.book(EIGHT, now=NOW)
    second = office.book(EIGHT, now=NOW, email="max@example.org")
    with pytest.raises(BookingError, match="nur am Tag des Termins"):
        services.check_in(first, now=NOW)
    with pytest.raises(BookingError, match="erst ab seinem Beginn"):
        services.mark_no_show(second, now=EIGHT - timedelta(minutes=1))
    arrived = services.check_in(first, now=EIGHT - timedelta(minutes=20))
    assert arrived.status == Status.CHECKED_IN and arrived.checked_in_at == EIGHT - timedelta(minutes=20)
    assert services.complete_appointment(arrived).status == Status.COMPLETED
    assert services.mark_no_show(second, now=EIGHT + timedelta(minutes=10)).status == Status.NO_SHOW
    with pytest.raises(BookingError, match="Nur gebuchte Termine"):
        services.check_in(second, now=EIGHT)
    with pytest.raises(BookingError, match="bereits begonnen"):
        services.cancel_appointment(office.book(EIGHT + timedelta(hours=1), now=NOW,
                                                email="third@example.org"), now=EIGHT + timedelta(hours=1))
    # Past appointments keep their capacity (nothing to re-release).
    assert services.release_due_capacity(now=EIGHT + timedelta(days=1)) == 0
    assert online_used(office, EIGHT) == 2


def test_materialize_horizon_covers_every_group_and_location():
    office = build_office(materialize=None, max_days_ahead=14)
    result = services.materialize_horizon(now=NOW)
    days = {s.start.astimezone(EIGHT.tzinfo).date() for s in Slot.objects.filter(group=office.group)}
    assert min(days) == date(2026, 6, 5) and max(days) == date(2026, 6, 19)
    assert result.created == Slot.objects.count()
    assert services.materialize_horizon(now=NOW).created == 0
    assert MONDAY in days


def test_a_taken_time_is_refused_before_any_row_lock():
    """The crowd at release time: a full unit with nothing due on it is refused from a plain read
    (no ``SELECT … FOR UPDATE``, no counter update); the authoritative check stays under the lock."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    office = build_office(counters=1, online_quota=1)
    office.book(EIGHT, now=NOW)
    before = used_snapshot(office.group)
    with CaptureQueriesContext(connection) as queries, pytest.raises(SlotUnavailable):
        services.hold_slot([office.short], office.location, EIGHT, now=NOW)
    sql = [q["sql"].upper() for q in queries.captured_queries]
    assert not any("FOR UPDATE" in q or q.startswith("UPDATE") for q in sql), sql
    assert len([q for q in sql if q.startswith("SELECT")]) <= 6, sql
    assert used_snapshot(office.group) == before
    # An expired hold on a full unit is still released and re-booked under the locks.
    quarter = EIGHT + timedelta(minutes=15)
    held = office.hold(quarter, now=NOW)
    later = held.hold_expires_at + timedelta(minutes=1)
    again = services.hold_slot([office.short], office.location, quarter, now=later)
    assert again.pk != held.pk and online_used(office, quarter) == 1
    held.refresh_from_db()
    assert held.status == Status.EXPIRED and held.capacity_released
