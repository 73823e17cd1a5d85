"""staff_services against the database: visibility, calendars, assignment, booking for a caller and
rescheduling in one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from buergerkontakt.appointments import services, staff_services
from buergerkontakt.appointments.exceptions import BookingError, SlotUnavailable
from buergerkontakt.appointments.models import Appointment, Quota
from buergerkontakt.appointments.staff_services import Filters
from buergerkontakt.core.models import Role
from tests.factories import make_user

from .builders import at, build_office, slot_at, used_snapshot

pytestmark = pytest.mark.django_db

Status = Appointment.Status
NOW = at(2026, 6, 5, 10)  # Friday before the reference week
NINE = at(2026, 6, 8, 9)


@pytest.fixture
def office():
    office = build_office(counters=2, online_quota=1, max_active_per_person=1)
    office.short.teams.add(office.org.team)
    return office


def internal(office, start, *, name="Erika Mustermann", **details):
    held = services.hold_slot([office.short], office.location, start, quota=Quota.INTERNAL,
                              booked_by=office.agent, now=NOW)
    return services.confirm_booking(held, name=name, now=NOW, **details)


# --- visibility ------------------------------------------------------------------------------------
def test_visibility_by_role_and_scope(office):
    org = office.org
    team_appointment = internal(office, NINE)
    other_service = services.confirm_booking(
        services.hold_slot([office.long], office.location, NINE + timedelta(hours=1), quota=Quota.INTERNAL,
                           booked_by=office.agent, now=NOW), name="B", now=NOW)
    location_agent = make_user("location_agent", org.authority, Role.AGENT, scope=org.second_location)

    def seen(user):
        return set(staff_services.visible_appointments(user).values_list("pk", flat=True))

    both = {team_appointment.pk, other_service.pk}
    assert seen(org.users["admin"]) == both
    assert seen(org.users["agent"]) == both
    assert seen(org.users["teamlead"]) == {team_appointment.pk}
    assert seen(org.users["caseworker"]) == {team_appointment.pk}
    assert seen(location_agent) == set()  # scoped to the other location
    for role in ("security", "register_keeper", "dpo", "professional", "other_admin", "other_teamlead"):
        assert seen(org.users[role]) == set(), role

    other_service.staff = org.users["caseworker"]
    other_service.save()
    assert seen(org.users["caseworker"]) == both  # own calendar
    assert seen(org.users["teamlead"]) == both  # a member of the team serves it


def test_filter_choices_stay_in_scope(office):
    org = office.org
    assert set(staff_services.visible_locations(org.users["admin"])) == {org.location, org.second_location}
    assert org.other_location not in staff_services.visible_locations(org.users["agent"])
    assert list(staff_services.visible_teams(org.users["teamlead"])) == [org.team]
    assert set(staff_services.visible_people(org.users["teamlead"])) == {org.users["caseworker"],
                                                                          org.users["teamlead"]}
    assert staff_services.visible_locations(org.users["security"]).count() == 0
    assert list(staff_services.bookable_locations(org.users["agent"])) == [org.location]
    assert set(staff_services.bookable_services(org.users["agent"])) == {office.short, office.long}
    assert not staff_services.bookable_services(org.users["caseworker"]).exists()


# --- calendars ---------------------------------------------------------------------------------------
def test_day_calendar_rows_capacity_and_expired_holds(office):
    booked = internal(office, NINE)
    services.hold_slot([office.long], office.location, NINE + timedelta(hours=1), now=NOW)  # expires
    data = staff_services.day_calendar(office.org.users["admin"], NINE.date(),
                                       Filters(location=office.location), now=NOW + timedelta(hours=1))
    assert [a.pk for a in data["appointments"]] == [booked.pk]
    rows = {row.start: row for row in data["rows"]}
    assert len(rows) == 24  # 08–12 and 13–15 in 15-minute units
    nine = rows[NINE]
    assert nine.appointments == [booked]
    (cap,) = nine.capacity_list
    assert (cap.online_free, cap.online_total, cap.internal_free, cap.internal_total) == (1, 1, 0, 1)
    # The expired hold counts as free already (as in services.free_starts).
    (ten,) = rows[NINE + timedelta(hours=1)].capacity_list
    assert slot_at(office.group, office.location, NINE + timedelta(hours=1)).online_used == 1
    assert ten.online_free == 1


def test_day_calendar_without_location_has_no_capacity(office):
    booked = internal(office, NINE)
    data = staff_services.day_calendar(office.org.users["agent"], NINE.date(), Filters(), now=NOW)
    assert [row.appointments for row in data["rows"]] == [[booked]]
    assert data["groups"] == []


def test_week_calendar_by_person(office):
    org = office.org
    mine = internal(office, NINE)
    internal(office, NINE + timedelta(days=1))
    mine.staff = org.users["caseworker"]
    mine.save()
    data = staff_services.week_calendar(org.users["teamlead"], NINE.date(),
                                        Filters(person=org.users["caseworker"]), now=NOW)
    assert [a.pk for a in data["appointments"]] == [mine.pk]
    assert [entry["day"].weekday() for entry in data["days"]] == [0, 1, 2, 3, 4]  # no weekend
    assert [entry["count"] for entry in data["days"]] == [1, 0, 0, 0, 0]


# --- assignment ----------------------------------------------------------------------------------------
def test_assignment_rules(office):
    org = office.org
    booked = internal(office, NINE)
    caseworker, teamlead = org.users["caseworker"], org.users["teamlead"]
    assert staff_services.assign_staff(booked, caseworker, by=teamlead).staff == caseworker
    assert staff_services.assign_staff(booked, None, by=teamlead).staff is None
    assert staff_services.assign_staff(booked, caseworker, by=caseworker).staff == caseworker
    with pytest.raises(BookingError):
        staff_services.assign_staff(booked, teamlead, by=caseworker)  # caseworkers: only themselves
    with pytest.raises(BookingError):
        staff_services.assign_staff(booked, org.users["other_teamlead"], by=org.users["admin"])
    with pytest.raises(BookingError):
        staff_services.assign_staff(booked, caseworker, by=org.users["agent"])
    with pytest.raises(BookingError):
        staff_services.assign_staff(booked, caseworker, by=org.users["other_admin"])
    booked.refresh_from_db()
    assert booked.staff == caseworker


# --- booking for a caller ----------------------------------------------------------------------------
def test_book_for_caller_without_contact_and_with_email(office, django_capture_on_commit_callbacks):
    held = services.hold_slot([office.short], office.location, NINE, quota=Quota.INTERNAL,
                              booked_by=office.agent, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        booked = staff_services.book_for_caller(held, by=office.agent, name="Ohne Kontakt", now=NOW)
    assert booked.status == Status.CONFIRMED and not mail.outbox

    held = services.hold_slot([office.short], office.location, NINE + timedelta(hours=1),
                              quota=Quota.INTERNAL, booked_by=office.agent, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        booked = staff_services.book_for_caller(held, by=office.agent, name="Mit Mail", email="m@example.org",
                                                language="en", now=NOW)
        again = staff_services.book_for_caller(booked, by=office.agent, name="Mit Mail",
                                               email="m@example.org", now=NOW)
    assert again.pk == booked.pk
    assert [m.to for m in mail.outbox] == [["m@example.org"]]  # once
    booked.refresh_from_db()
    assert booked.language == "en"


def test_book_for_caller_confirms_at_once_where_an_email_link_is_required(office):
    office.group.require_email_confirmation = True
    office.group.save()
    held = services.hold_slot([office.short], office.location, NINE, quota=Quota.INTERNAL,
                              booked_by=office.agent, now=NOW)
    booked = staff_services.book_for_caller(held, by=office.agent, name="A", email="a@example.org", now=NOW)
    assert booked.status == Status.CONFIRMED


def test_only_the_holding_agent_completes_the_hold(office):
    held = services.hold_slot([office.short], office.location, NINE, quota=Quota.INTERNAL,
                              booked_by=office.agent, now=NOW)
    with pytest.raises(BookingError):
        staff_services.book_for_caller(held, by=office.org.users["admin"], name="A", now=NOW)


# --- rescheduling --------------------------------------------------------------------------------------
def test_reschedule_moves_details_and_respects_the_per_person_cap(office, django_capture_on_commit_callbacks):
    org = office.org
    old = office.book(NINE, now=NOW)  # online, erika@example.org, cap of one booking per person
    Appointment.objects.filter(pk=old.pk).update(interpreter_language="Farsi", wheelchair=True, note="Rampe",
                                                 staff=org.users["caseworker"], language="en")
    with django_capture_on_commit_callbacks(execute=True):
        new = staff_services.reschedule(old, NINE + timedelta(hours=2), by=office.agent, idempotency_key="r1",
                                        now=NOW)
    old.refresh_from_db()
    assert old.status == Status.CANCELLED
    assert new.status == Status.CONFIRMED and new.quota == Quota.INTERNAL and new.booked_by == office.agent
    assert (new.name, new.email, new.interpreter_language, new.wheelchair, new.note) == (
        "Erika Mustermann", "erika@example.org", "Farsi", True, "Rampe")
    assert new.staff == org.users["caseworker"] and new.language == "en"
    assert [s.pk for s in new.service_list] == [office.short.pk]
    assert slot_at(office.group, office.location, NINE + timedelta(hours=2)).internal_used == 1
    # One message: the appointment moved (issue 23: no separate cancellation of the old time).
    assert [m.to for m in mail.outbox] == [["erika@example.org"]]  # in English: language="en"
    assert new.code in mail.outbox[0].attachments[0][0]
    # The same form submitted again changes nothing.
    assert staff_services.reschedule(old, NINE + timedelta(hours=2), by=office.agent, idempotency_key="r1",
                                     now=NOW).pk == new.pk
    assert Appointment.objects.filter(status=Status.CONFIRMED).count() == 1


def test_failed_reschedule_rolls_everything_back(office):
    old = internal(office, NINE)
    target = NINE + timedelta(hours=1)
    internal(office, target, name="Belegt")  # the only internal counter at the target time
    before = used_snapshot(office.group)
    with pytest.raises(SlotUnavailable):
        staff_services.reschedule(old, target, by=office.agent, now=NOW)
    old.refresh_from_db()
    assert old.status == Status.CONFIRMED and old.cancelled_at is None
    assert used_snapshot(office.group) == before
    assert Appointment.objects.count() == 2


@pytest.mark.parametrize("state", ["cancelled", "checked_in"])
def test_only_bookings_can_be_rescheduled(office, state):
    old = internal(office, NINE)
    if state == "cancelled":
        services.cancel_appointment(old, now=NOW)
    else:
        services.check_in(old, now=NINE - timedelta(minutes=5))
    with pytest.raises(BookingError):
        staff_services.reschedule(old, NINE + timedelta(hours=1), by=office.agent, now=NOW)


def test_reschedule_to_the_same_time_is_refused(office):
    old = internal(office, NINE)
    with pytest.raises(BookingError):
        staff_services.reschedule(old, NINE, by=office.agent, now=NOW)
