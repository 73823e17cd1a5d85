"""The queue's services against the database: numbering, check-in rules, calling, records, errors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from buergerkontakt.appointments.models import Appointment
from buergerkontakt.core.models import Role
from buergerkontakt.walkin import queries, services
from buergerkontakt.walkin.models import CallEvent, Ticket
from buergerkontakt.walkin.services import QueueError
from tests.appointments.builders import at, build_office
from tests.factories import make_user

from .builders import make_counter, make_queue

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 8, 9, 0)  # Monday 09:00 in Berlin
Status = Ticket.Status


def minutes(n: float):
    return NOW + timedelta(minutes=n)


@pytest.fixture
def desk(org):
    """Queues A and B at the first location; the case worker calls A and B from room 1.10."""
    a, b = make_queue(org.location, "A", "Ausweise"), make_queue(org.location, "B", "Meldewesen")
    worker = org.users["caseworker"]
    services.set_desk(worker, org.location, org.room, [a, b])
    return a, b, worker


def second_desk(org, queues, username="kollegin"):
    user = make_user(username, org.authority, Role.CASEWORKER, scope=org.team)
    services.set_desk(user, org.location, make_counter(org.location, f"S-{username}"), list(queues))
    return user


# --- issuing -----------------------------------------------------------------------------------------
def test_numbers_count_per_queue_and_restart_every_day(desk):
    a, b, _ = desk
    labels = [services.issue_ticket(q, now=NOW).label for q in (a, a, b, a)]
    assert labels == ["A-001", "A-002", "B-001", "A-003"]
    assert services.issue_ticket(a, now=NOW + timedelta(days=1)).label == "A-001"
    assert list(CallEvent.objects.filter(kind="issued").values_list("kind", flat=True)) == ["issued"] * 5


def test_emergency_needs_a_reason_and_is_recorded(desk):
    a, _, _ = desk
    with pytest.raises(QueueError, match="Grund"):
        services.issue_ticket(a, emergency=True, emergency_reason="   ", now=NOW)
    with pytest.raises(QueueError, match="zu lang"):
        services.issue_ticket(a, emergency=True, emergency_reason="x" * 201, now=NOW)
    ticket = services.issue_ticket(a, emergency=True, emergency_reason=" Räumung  morgen ", now=NOW)
    assert (ticket.kind, ticket.emergency_reason) == ("emergency", "Räumung morgen")
    assert Ticket.objects.count() == 1  # the refused attempts left nothing behind


def test_closed_queue_and_appointment_only_queue_refuse_walk_ins(org):
    closed = make_queue(org.location, "Z", is_active=False)
    appointments_only = make_queue(org.location, "T", walk_in=False)
    with pytest.raises(QueueError, match="geschlossen"):
        services.issue_ticket(closed, now=NOW)
    with pytest.raises(QueueError, match="keine Wartenummern ohne Termin"):
        services.issue_ticket(appointments_only, now=NOW)
    # An emergency is always taken.
    assert services.issue_ticket(appointments_only, emergency=True, emergency_reason="Sperre", now=NOW)


# --- calling -----------------------------------------------------------------------------------------
def test_call_next_serves_the_emergency_first_then_in_order(desk):
    a, b, worker = desk
    first = services.issue_ticket(a, now=minutes(-30))
    services.issue_ticket(b, now=minutes(-20))
    urgent = services.issue_ticket(b, emergency=True, emergency_reason="kein Geld", now=minutes(-1))
    called = services.call_next(worker, a.location, now=NOW)
    assert called.pk == urgent.pk and called.status == Status.CALLED
    assert called.room == worker.workstation_room and called.call_count == 1
    services.finish(called, worker, now=minutes(5))
    assert services.call_next(worker, a.location, now=minutes(6)).pk == first.pk


def test_call_next_without_desk_or_while_busy_is_refused(desk, org):
    a, _, worker = desk
    services.issue_ticket(a, now=NOW)
    services.issue_ticket(a, now=NOW)
    with pytest.raises(QueueError, match="Raum und Ihre Warteschlangen"):
        services.call_next(org.users["teamlead"], org.location, now=NOW)
    current = services.call_next(worker, org.location, now=NOW)
    with pytest.raises(QueueError, match=f"noch die Nummer {current.label}") as exc:
        services.call_next(worker, org.location, now=minutes(1))
    assert exc.value.status_code == 409
    assert Ticket.objects.filter(status=Status.CALLED).count() == 1


def test_nobody_waiting_gives_none(desk, org):
    assert services.call_next(desk[2], org.location, now=NOW) is None


def test_two_desks_never_get_the_same_ticket_and_double_calls_are_refused(desk, org):
    a, _b, worker = desk
    colleague = second_desk(org, [a])
    t1, t2 = services.issue_ticket(a, now=minutes(-2)), services.issue_ticket(a, now=minutes(-1))
    got = {services.call_next(worker, org.location, now=NOW).pk,
           services.call_next(colleague, org.location, now=NOW).pk}
    assert got == {t1.pk, t2.pk}
    third = second_desk(org, [a], "dritte")
    with pytest.raises(QueueError, match="bereits aufgerufen"):
        services.call_ticket(t1, third, org.location, now=NOW)


def test_call_a_particular_ticket_respects_reservations_and_location(desk, org):
    a, _, worker = desk
    reserved = services.issue_ticket(a, now=NOW)
    Ticket.objects.filter(pk=reserved.pk).update(reserved_for=org.users["teamlead"])
    with pytest.raises(QueueError, match="Kollegin oder einen Kollegen"):
        services.call_ticket(reserved, worker, org.location, now=NOW)
    elsewhere = make_queue(org.second_location, "N")
    far = services.issue_ticket(elsewhere, now=NOW)
    with pytest.raises(QueueError, match="anderen Standort") as exc:
        services.call_ticket(far, worker, org.location, now=NOW)
    assert exc.value.status_code == 404
    with pytest.raises(QueueError, match="gibt es nicht"):
        services.call_ticket(999999, worker, org.location, now=NOW)


def test_recall_missed_only_after_n_calls_and_the_reception_can_requeue(desk, org):
    a, _, worker = desk
    ticket = services.issue_ticket(a, now=NOW)
    services.call_next(worker, org.location, now=minutes(1))
    with pytest.raises(QueueError, match="erst nach 3 Aufrufen"):
        services.mark_missed(ticket, worker, now=minutes(2))
    services.recall(ticket, worker, now=minutes(2))
    services.recall(ticket, worker, now=minutes(3))
    missed = services.mark_missed(ticket, worker, now=minutes(4))
    assert (missed.status, missed.call_count) == (Status.MISSED, 3)
    assert services.active_ticket(worker) is None  # the desk is free again
    with pytest.raises(QueueError, match="nicht von Ihnen bearbeitet"):
        services.recall(ticket, worker, now=minutes(5))
    back = services.requeue(ticket, by=org.users["agent"], now=minutes(10))
    assert (back.status, back.call_count, back.queued_at) == (Status.WAITING, 0, minutes(10))
    kinds = list(CallEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["issued", "called", "recalled", "recalled", "missed", "requeued"]


def test_only_the_caller_acts_on_a_called_ticket(desk, org):
    a, _, worker = desk
    ticket = services.issue_ticket(a, now=NOW)
    services.call_next(worker, org.location, now=NOW)
    other = second_desk(org, [a])
    for action in (services.recall, services.start, services.finish, services.mark_missed):
        with pytest.raises(QueueError, match="nicht von Ihnen bearbeitet"):
            action(ticket, other, now=NOW)
    services.start(ticket, worker, now=minutes(1))
    with pytest.raises(QueueError, match="bereits in Bearbeitung"):
        services.recall(ticket, worker, now=minutes(2))


def test_wait_and_service_times_are_recorded(desk, org):
    a, _, worker = desk
    ticket = services.issue_ticket(a, now=NOW)
    services.call_next(worker, org.location, now=minutes(12))
    services.start(ticket, worker, now=minutes(13))
    done = services.finish(ticket, worker, now=minutes(20))
    assert (done.status, done.wait_seconds, done.service_seconds) == (Status.DONE, 12 * 60, 7 * 60)
    assert done.finished_at == minutes(20)


def test_finishing_a_called_ticket_counts_service_from_the_call(desk, org):
    a, _, worker = desk
    ticket = services.issue_ticket(a, now=NOW)
    services.call_next(worker, org.location, now=minutes(1))
    assert services.finish(ticket, worker, now=minutes(4)).service_seconds == 180


def test_hand_over_to_another_queue_and_room(desk, org):
    a, b, worker = desk
    colleague = second_desk(org, [b])
    walk_in = services.issue_ticket(b, now=minutes(-30))
    ticket = services.issue_ticket(a, now=NOW)
    services.call_ticket(ticket, worker, org.location, now=minutes(1))
    services.start(ticket, worker, now=minutes(2))
    moved = services.hand_over(ticket, worker, queue=b, note="Ummeldung noch offen", now=minutes(6))
    assert (moved.status, moved.queue, moved.handovers, moved.service_seconds) == (Status.WAITING, b, 1, 240)
    assert services.active_ticket(worker) is None
    # Handed over: before the walk-in who has waited longer in B.
    assert services.call_next(colleague, org.location, now=minutes(7)).pk == ticket.pk
    services.finish(ticket, colleague, now=minutes(10))
    assert Ticket.objects.get(pk=ticket.pk).service_seconds == 240 + 180
    assert Ticket.objects.get(pk=walk_in.pk).status == Status.WAITING


def test_hand_over_to_one_room_only_reaches_that_room(desk, org):
    a, b, worker = desk
    colleague = second_desk(org, [b])
    target_room = make_counter(org.location, "S-9")
    ticket = services.issue_ticket(a, now=NOW)
    services.call_next(worker, org.location, now=NOW)
    services.hand_over(ticket, worker, queue=b, room=target_room, now=minutes(1))
    assert services.call_next(colleague, org.location, now=minutes(2)) is None
    other_location_queue = make_queue(org.second_location, "X")
    services.call_next(worker, org.location, now=minutes(3))  # worker serves B too and is not in S-9
    assert services.active_ticket(worker) is None
    with pytest.raises(QueueError, match="nicht von Ihnen bearbeitet"):
        services.hand_over(ticket, worker, queue=other_location_queue, now=minutes(4))


def test_reception_cancels_waiting_tickets_only(desk, org):
    a, _, worker = desk
    agent = org.users["agent"]
    ticket = services.issue_ticket(a, now=NOW)
    services.call_next(worker, org.location, now=NOW)
    with pytest.raises(QueueError, match="bereits aufgerufen"):
        services.cancel(ticket, by=agent, now=NOW)
    with pytest.raises(QueueError, match="nicht erschienen"):
        services.requeue(ticket, by=agent, now=NOW)
    with pytest.raises(QueueError, match="bereits aufgerufen"):
        services.mark_emergency(ticket, "Räumung", by=agent, now=NOW)
    waiting = services.issue_ticket(a, now=NOW)
    assert services.cancel(waiting, by=agent, now=NOW).status == Status.CANCELLED
    with pytest.raises(QueueError, match="wartet nicht mehr"):
        services.cancel(waiting, by=agent, now=NOW)


def test_marking_an_emergency_moves_it_to_the_front(desk, org):
    a, _, worker = desk
    services.issue_ticket(a, now=minutes(-30))
    later = services.issue_ticket(a, now=NOW)
    services.mark_emergency(later, "Gassperre heute", by=org.users["agent"], now=NOW)
    assert services.call_next(worker, org.location, now=minutes(1)).pk == later.pk


def test_tickets_of_earlier_days_are_closed_at_night(desk, org):
    a, _, worker = desk
    serving = services.issue_ticket(a, now=NOW)
    waiting = services.issue_ticket(a, now=NOW)
    services.call_next(worker, org.location, now=NOW)
    services.start(serving, worker, now=NOW)
    assert services.close_past_days(now=NOW + timedelta(hours=2)) == 0
    assert services.close_past_days(now=NOW + timedelta(days=1)) == 2
    assert Ticket.objects.get(pk=serving.pk).status == Status.DONE
    assert Ticket.objects.get(pk=waiting.pk).status == Status.CANCELLED
    assert services.active_ticket(worker) is None


def test_set_desk_validates_location(desk, org):
    a, _, worker = desk
    far_room = make_counter(org.second_location, "N-1")
    with pytest.raises(QueueError, match="Raum gehört nicht"):
        services.set_desk(worker, org.location, far_room, [a])
    with pytest.raises(QueueError, match="mindestens eine"):
        services.set_desk(worker, org.location, org.room, [])
    with pytest.raises(QueueError, match="Warteschlange gehört nicht"):
        services.set_desk(worker, org.location, org.room, [make_queue(org.second_location, "Q")])


# --- check-in ----------------------------------------------------------------------------------------
@pytest.fixture
def booked():
    """A confirmed appointment on Monday 09:00 and a queue for its service."""
    office = build_office()
    appointment = office.book(at(2026, 6, 8, 9, 0), now=at(2026, 6, 5, 12, 0))
    assert appointment.status == Appointment.Status.CONFIRMED
    queue = make_queue(office.location, "T", "Termine", services=[office.short], checkin_early_minutes=30,
                       checkin_late_minutes=10)
    return office, appointment, queue


@pytest.mark.parametrize("typed", ["{code}", " {lower} ", "{first4}-{last4}", "https://x.example/termine/{code}/?t=abc"])
def test_check_in_by_code_typed_or_scanned(booked, typed):
    office, appointment, queue = booked
    code = appointment.code
    text = typed.format(code=code, lower=code.lower(), first4=code[:4], last4=code[4:])
    ticket = services.check_in(text, office.location, now=at(2026, 6, 8, 8, 40))
    assert (ticket.kind, ticket.queue, ticket.appointment_start) == ("appointment", queue, appointment.start)
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.CHECKED_IN
    # Scanning again prints the same ticket.
    assert services.check_in(code, office.location, now=at(2026, 6, 8, 8, 45)).pk == ticket.pk


@pytest.mark.parametrize(("text", "message"), [
    ("", "kein gültiger Buchungscode"),
    ("K7QX4MZ", "kein gültiger Buchungscode"),
    ("K7QX4MZP1", "kein gültiger Buchungscode"),
    ("'; DROP TABLE", "kein gültiger Buchungscode"),
    ("ZZZZZZZZ", "keinen Termin"),
])
def test_check_in_bad_codes(booked, text, message):
    office, _, _ = booked
    with pytest.raises(QueueError, match=message):
        services.check_in(text, office.location, now=at(2026, 6, 8, 8, 40))
    assert not Ticket.objects.exists()


def test_check_in_time_window_and_late_arrivals(booked):
    office, appointment, _queue = booked
    with pytest.raises(QueueError, match="Check-in ist ab 08:30 Uhr möglich"):
        services.check_in(appointment.code, office.location, now=at(2026, 6, 8, 8, 29))
    with pytest.raises(QueueError, match="nur am Tag des Termins"):
        services.check_in(appointment.code, office.location, now=at(2026, 6, 5, 8, 40))
    with pytest.raises(QueueError, match="bis 09:10 Uhr möglich"):
        services.check_in(appointment.code, office.location, now=at(2026, 6, 8, 9, 11))
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.CONFIRMED
    # The reception lets them in anyway: queued like a walk-in.
    late = services.check_in(appointment.code, office.location, late_as_walk_in=True,
                             now=at(2026, 6, 8, 9, 11))
    assert late.appointment_start is None and late.reserved_for is None


def test_check_in_at_the_wrong_place_or_cancelled(booked):
    office, appointment, _ = booked
    with pytest.raises(QueueError, match="anderen Standort: Jobcenter Mitte"):
        services.check_in(appointment.code, office.org.second_location, now=at(2026, 6, 8, 8, 40))
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CANCELLED)
    with pytest.raises(QueueError, match="storniert"):
        services.check_in(appointment.code, office.location, now=at(2026, 6, 8, 8, 40))


def test_check_in_without_matching_queue_is_a_configuration_error(booked):
    office, appointment, queue = booked
    queue.services.clear()
    with pytest.raises(QueueError, match="keine Warteschlange eingerichtet") as exc:
        services.check_in(appointment.code, office.location, now=at(2026, 6, 8, 8, 40))
    assert exc.value.status_code == 409


def test_appointment_is_called_at_its_time_and_completed_with_the_ticket(booked):
    office, appointment, queue = booked
    worker = office.org.users["caseworker"]
    services.set_desk(worker, office.location, office.org.room, [queue])
    services.check_in(appointment.code, office.location, now=at(2026, 6, 8, 8, 40))
    walk_in = services.issue_ticket(queue, now=at(2026, 6, 8, 8, 41))
    assert services.call_next(worker, office.location, now=at(2026, 6, 8, 8, 45)).pk == walk_in.pk
    services.finish(walk_in, worker, now=at(2026, 6, 8, 8, 54))
    ticket = services.call_next(worker, office.location, now=at(2026, 6, 8, 8, 56))
    assert ticket.appointment_id == appointment.pk
    services.finish(ticket, worker, now=at(2026, 6, 8, 9, 10))
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.COMPLETED


# --- what the citizen and the display see ------------------------------------------------------------
def test_ticket_state_position_and_estimate(desk, org):
    a, _, worker = desk
    tickets = [services.issue_ticket(a, now=minutes(i - 60)) for i in range(4)]
    # One served in 8 minutes: the estimate uses it.
    services.call_next(worker, org.location, now=minutes(-50))
    services.finish(tickets[0], worker, now=minutes(-42))
    state = queries.ticket_state(Ticket.objects.get(pk=tickets[3].pk), now=NOW)
    assert (state.ahead, state.minutes, state.soon) == (2, 20, False)  # 2 × 8 min → 16 → 20
    assert queries.ticket_state(Ticket.objects.get(pk=tickets[1].pk), now=NOW).soon
    assert queries.ticket_state(Ticket.objects.get(pk=tickets[1].pk), now=NOW + timedelta(days=1)).expired


def test_display_state_lists_each_ticket_once_newest_first(desk, org):
    a, _, worker = desk
    first, second = services.issue_ticket(a, now=NOW), services.issue_ticket(a, now=NOW)
    services.call_next(worker, org.location, now=minutes(1))
    services.recall(first, worker, now=minutes(2))
    services.finish(first, worker, now=minutes(3))
    services.call_next(worker, org.location, now=minutes(4))
    state = queries.display_state(org.location.pk, now=minutes(5))
    assert [(c["ticket"], c["room"], c["waiting"]) for c in state["calls"]] == [
        (second.label, "Raum 1.10", True), (first.label, "Raum 1.10", False)]
