"""The walk-in queue's public write API: issue, check in, call, recall, miss, start, finish, hand over.

Every function runs in one transaction and publishes to the display and the ticket pages only after
commit (``live.py``). Two desks can never call the same ticket: a call is a conditional UPDATE
(``status = waiting`` → ``called``) that only one transaction can win, on SQLite and PostgreSQL
alike; a partial unique index keeps one staff member at one active ticket (double clicks).
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from buergerkontakt.alarms.workplace import Workplace, set_current_workplace, workplace_room_at
from buergerkontakt.appointments import services as appointment_services
from buergerkontakt.appointments.exceptions import BookingError
from buergerkontakt.appointments.models import CODE_ALPHABET, CODE_LENGTH, Appointment
from buergerkontakt.core.calendar import local_zone
from buergerkontakt.core.erasure import in_batches
from buergerkontakt.core.errors import ServiceError
from buergerkontakt.core.locks import for_update
from buergerkontakt.core.models import Location, Room, User

from . import live, ordering
from .hours import walk_in_hours
from .models import CallEvent, DailyNumber, Desk, Queue, Screen, Ticket

Status = Ticket.Status
Kind = Ticket.Kind
Event = CallEvent.Kind
REASON_MAX = 200


class QueueError(ServiceError):
    """A request that cannot be done, with a message for the person at the screen."""


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def local_day(moment: datetime) -> date:
    return moment.astimezone(local_zone()).date()


def _clock(moment: datetime) -> str:
    return time_format(moment.astimezone(local_zone()), "H:i")


def _event(ticket: Ticket, kind: str, now: datetime, *, user: User | None = None, room: Room | None = None,
           note: str = "") -> None:
    CallEvent.objects.create(ticket=ticket, kind=kind, at=now, user=user, room=room, note=note[:200])


def _locked(ticket: Ticket | int) -> Ticket:
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    try:
        return for_update(Ticket.objects.select_related("queue")).get(pk=pk)
    except Ticket.DoesNotExist:
        raise QueueError(_("Diese Wartenummer gibt es nicht."), 404) from None


def _clean_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise QueueError(_("Bitte geben Sie den Grund für den Notfall an."))
    if len(reason) > REASON_MAX:
        raise QueueError(_("Der Grund ist zu lang (höchstens %(max)s Zeichen).") % {"max": REASON_MAX})
    return reason


# --- issuing ------------------------------------------------------------------------------------------
def _next_number(queue: Queue, day: date) -> int:
    """The next number of the day; the counter row is locked, so numbers never repeat."""
    row, _created = DailyNumber.objects.select_for_update().get_or_create(queue=queue, day=day)
    DailyNumber.objects.filter(pk=row.pk).update(last=F("last") + 1)
    return DailyNumber.objects.values_list("last", flat=True).get(pk=row.pk)


def _create(queue: Queue, kind: str, now: datetime, *, by: User | None, event: str, reason: str = "",
            appointment: Appointment | None = None, note: str = "") -> Ticket:
    day = local_day(now)
    ticket = Ticket.objects.create(
        queue=queue, origin=queue, prefix=queue.prefix, day=day, number=_next_number(queue, day),
        kind=kind, emergency_reason=reason,
        appointment=appointment, appointment_start=appointment.start if appointment else None,
        reserved_for=appointment.staff if appointment else None,
        queued_at=now, issued_at=now, issued_by=by,
    )
    _event(ticket, event, now, user=by, note=note or reason)
    live.queue_changed(queue.pk)
    return ticket


class OutsideWalkInHours(QueueError):
    """No walk-in numbers now; the message names the next walk-in time."""


def issue_ticket(queue: Queue, *, emergency_reason: str = "", emergency: bool = False,
                 by: User | None = None, override_reason: str = "", now: datetime | None = None) -> Ticket:
    """A numbered ticket for a walk-in (or an emergency, which needs a reason and is served first).

    Walk-in numbers are given out only within the walk-in hours (``hours.py``); outside them a staff
    member (``by``) may still issue one with a stated ``override_reason``, which is recorded.
    """
    now = _now(now)
    if not queue.is_active:
        raise QueueError(_("Diese Warteschlange ist geschlossen."))
    note = ""
    if emergency:
        reason = _clean_reason(emergency_reason)
    elif not queue.walk_in:
        raise QueueError(_("Für „%(queue)s“ werden keine Wartenummern ohne Termin ausgegeben.")
                         % {"queue": queue.name})
    else:
        reason = ""
        hours = walk_in_hours(queue, now)
        if not hours.open:
            override = " ".join((override_reason or "").split())
            if by is None or not override:
                raise OutsideWalkInHours(hours.closed_text, 409)
            if len(override) > REASON_MAX:
                raise QueueError(_("Der Grund ist zu lang (höchstens %(max)s Zeichen).")
                                 % {"max": REASON_MAX})
            note = _("außerhalb der Vorsprachezeit: %(reason)s") % {"reason": override}
    with transaction.atomic():
        return _create(queue, Kind.EMERGENCY if emergency else Kind.WALK_IN, now, by=by,
                       event=Event.ISSUED, reason=reason, note=note)


CODE_RE = re.compile(rf"(?<![{CODE_ALPHABET}])([{CODE_ALPHABET}]{{{CODE_LENGTH}}})(?![{CODE_ALPHABET}])")


def parse_booking_code(text: str) -> str:
    """The booking code typed in, or read by a scanner from the QR code (a link with the code)."""
    text = (text or "").strip().upper()
    path = re.search(r"/TERMINE/([^/?#]+)", text)
    candidate = path.group(1) if path else text.replace(" ", "").replace("-", "")
    match = CODE_RE.fullmatch(candidate)
    if not match:
        raise QueueError(_("Das ist kein gültiger Buchungscode. Er hat acht Zeichen, z. B. K7QX4MZP."))
    return match.group(1)


def queue_for_appointment(appointment: Appointment) -> Queue:
    services = appointment.service_rows.values("service_id")
    queue = (Queue.objects.filter(location_id=appointment.location_id, is_active=True, services__in=services)
             .order_by("position", "prefix").first())
    if queue is None:
        raise QueueError(_("Für diesen Termin ist hier keine Warteschlange eingerichtet. "
                           "Bitte wenden Sie sich an den Empfang."), 409)
    return queue


def check_in(code: str, location: Location, *, by: User | None = None, late_as_walk_in: bool = False,
             now: datetime | None = None) -> Ticket:
    """An appointment holder arrives: the appointment is checked in and gets a ticket, which is
    called around the appointment time. Scanning twice gives the same ticket."""
    now = _now(now)
    code = parse_booking_code(code)
    appointment = Appointment.objects.filter(code=code).select_related("location").first()
    if appointment is None:
        raise QueueError(_("Zu diesem Buchungscode finden wir keinen Termin. Bitte prüfen Sie die "
                           "Eingabe oder wenden Sie sich an den Empfang."), 404)
    if appointment.location_id != location.pk:
        raise QueueError(_("Ihr Termin ist an einem anderen Standort: %(location)s.")
                         % {"location": appointment.location.name}, 409)
    existing = Ticket.objects.filter(appointment=appointment).select_related("queue").first()
    if existing is not None:
        if existing.is_open:
            return existing
        raise QueueError(_("Dieser Termin wurde bereits erledigt oder abgeschlossen."), 409)
    if appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.EXPIRED):
        raise QueueError(_("Dieser Termin wurde storniert."), 409)
    if appointment.status not in (Appointment.Status.CONFIRMED, Appointment.Status.CHECKED_IN):
        raise QueueError(_("Dieser Termin kann nicht eingecheckt werden (Status: %(status)s).")
                         % {"status": appointment.get_status_display()}, 409)
    if local_day(appointment.start) != local_day(now):
        day = appointment.start.astimezone(local_zone()).strftime("%d.%m.%Y")
        raise QueueError(_("Ihr Termin ist am %(day)s. Ein Check-in ist nur am Tag des Termins möglich.")
                         % {"day": day}, 409)
    queue = queue_for_appointment(appointment)
    earliest = appointment.start - timedelta(minutes=queue.checkin_early_minutes)
    latest = appointment.start + timedelta(minutes=queue.checkin_late_minutes)
    if now < earliest:
        raise QueueError(_("Ihr Termin beginnt um %(start)s Uhr. Der Check-in ist ab %(from)s Uhr möglich.")
                         % {"start": _clock(appointment.start), "from": _clock(earliest)}, 409)
    late = now > latest
    if late and not late_as_walk_in:
        raise QueueError(_("Ihr Termin hat um %(start)s Uhr begonnen; der Check-in war bis %(until)s Uhr "
                           "möglich. Bitte wenden Sie sich an den Empfang.")
                         % {"start": _clock(appointment.start), "until": _clock(latest)}, 409)
    with transaction.atomic():
        try:
            appointment_services.check_in(appointment, now=now)
        except BookingError as exc:
            raise QueueError(str(exc), 409) from exc
        ticket = _create(queue, Kind.APPOINTMENT, now, by=by, event=Event.CHECKED_IN, appointment=appointment)
        if late:  # reception lets a late visitor in, queued like a walk-in
            Ticket.objects.filter(pk=ticket.pk).update(appointment_start=None, reserved_for=None)
            ticket.appointment_start = ticket.reserved_for = None
    return ticket


# --- desks --------------------------------------------------------------------------------------------
def set_desk(user: User, location: Location, room: Room, queues: list[Queue]) -> Desk:
    if room.floor.location_id != location.pk:
        raise QueueError(_("Der Raum gehört nicht zu diesem Standort."))
    if not queues:
        raise QueueError(_("Bitte wählen Sie mindestens eine Warteschlange."))
    if any(q.location_id != location.pk for q in queues):
        raise QueueError(_("Die Warteschlange gehört nicht zu diesem Standort."))
    with transaction.atomic():
        desk, _created = Desk.objects.update_or_create(user=user, location=location, defaults={"room": room})
        desk.queues.set(queues)
        # The desk chosen is where the person works now: the alarm and supervision use the same place.
        set_current_workplace(user, room=room, source=Workplace.Source.DESK)
    return desk


def desk_of(user: User, location: Location) -> Desk | None:
    """The person's desk at the location; its room is where they work now (their workplace, shared
    with the alarm) when that is at this location, else the room chosen with the desk."""
    desk = Desk.objects.filter(user=user, location=location).select_related("room").first()
    if desk is not None and (room := workplace_room_at(user, location.pk)) is not None:
        desk.room = room
    return desk


def active_ticket(user: User) -> Ticket | None:
    return (Ticket.objects.filter(handler=user, status__in=Ticket.ACTIVE)
            .select_related("queue", "room").first())


# --- calling ------------------------------------------------------------------------------------------
def _busy_error(current: Ticket) -> QueueError:
    return QueueError(_("Sie haben noch die Nummer %(ticket)s. Bitte schließen Sie sie zuerst ab, leiten "
                        "Sie sie weiter oder markieren Sie sie als nicht erschienen.")
                      % {"ticket": current.label}, 409)


def _claim(ticket_id: int, user: User, room: Room, now: datetime) -> Ticket | None:
    """Waiting → called for this desk, or None if somebody else was faster."""
    try:
        with transaction.atomic():
            won = Ticket.objects.filter(pk=ticket_id, status=Status.WAITING).update(
                status=Status.CALLED, handler=user, room=room, last_called_at=now, call_count=1,
                reserved_room=None)
    except IntegrityError:  # this user got another ticket in a parallel request (double click)
        current = active_ticket(user)
        raise _busy_error(current) if current else QueueError(_("Bitte versuchen Sie es erneut."), 409) \
            from None
    if not won:
        return None
    ticket = Ticket.objects.select_related("queue", "room").get(pk=ticket_id)
    ticket.called_at = ticket.called_at or now
    ticket.wait_seconds = (ticket.wait_seconds or 0) + max(0, int((now - ticket.queued_at).total_seconds()))
    ticket.save(update_fields=["called_at", "wait_seconds"])
    _event(ticket, Event.CALLED, now, user=user, room=room)
    live.called(ticket, repeat=False)
    return ticket


def _desk_required(user: User, location: Location) -> Desk:
    desk = desk_of(user, location)
    if desk is None:
        raise QueueError(_("Bitte wählen Sie zuerst Ihren Raum und Ihre Warteschlangen."), 409)
    return desk


def call_next(user: User, location: Location, *, now: datetime | None = None) -> Ticket | None:
    """Call the best waiting ticket for this desk (None: nobody is waiting for it)."""
    now = _now(now)
    desk = _desk_required(user, location)
    current = active_ticket(user)
    if current is not None:
        raise _busy_error(current)
    queue_ids = set(desk.queues.values_list("pk", flat=True))
    waiting = list(Ticket.objects.filter(queue_id__in=queue_ids, status=Status.WAITING, day=local_day(now))
                   .select_related("queue"))
    leads = {t.queue_id: timedelta(minutes=t.queue.appointment_lead_minutes) for t in waiting}
    for candidate in ordering.next_for_desk(waiting, now, leads, user_id=user.pk, room_id=desk.room_id,
                                            queue_ids=queue_ids):
        with transaction.atomic():
            ticket = _claim(candidate.pk, user, desk.room, now)
            if ticket is not None:
                return ticket
    return None


def call_ticket(ticket: Ticket | int, user: User, location: Location, *,
                now: datetime | None = None) -> Ticket:
    """Call one particular waiting ticket (out of order, e.g. a wheelchair user at the counter)."""
    now = _now(now)
    desk = _desk_required(user, location)
    current = active_ticket(user)
    if current is not None:
        raise _busy_error(current)
    with transaction.atomic():
        target = _locked(ticket)
        if target.queue.location_id != location.pk:
            raise QueueError(_("Diese Wartenummer gehört zu einem anderen Standort."), 404)
        if target.status != Status.WAITING:
            raise _not_waiting(target)
        if not ordering.callable_by(target, user_id=user.pk, room_id=desk.room_id):
            raise QueueError(_("Die Nummer %(ticket)s ist für eine Kollegin oder einen Kollegen "
                               "vorgesehen.") % {"ticket": target.label}, 409)
        claimed = _claim(target.pk, user, desk.room, now)
        if claimed is None:
            raise _not_waiting(Ticket.objects.get(pk=target.pk))
        return claimed


def _not_waiting(ticket: Ticket) -> QueueError:
    if ticket.status in Ticket.ACTIVE:
        return QueueError(_("Die Nummer %(ticket)s wurde bereits aufgerufen.")
                          % {"ticket": ticket.label}, 409)
    return QueueError(_("Die Nummer %(ticket)s wartet nicht mehr (%(status)s).")
                      % {"ticket": ticket.label, "status": ticket.get_status_display()}, 409)


def _own_active(ticket: Ticket | int, user: User, allowed: tuple[str, ...]) -> Ticket:
    current = _locked(ticket)
    if current.handler_id != user.pk or current.status not in Ticket.ACTIVE:
        raise QueueError(_("Die Nummer %(ticket)s wird nicht von Ihnen bearbeitet.")
                         % {"ticket": current.label}, 409)
    if current.status not in allowed:
        if current.status == Status.SERVING:
            raise QueueError(_("Die Nummer %(ticket)s ist bereits in Bearbeitung.")
                             % {"ticket": current.label}, 409)
        raise QueueError(_("Bitte beginnen Sie zuerst die Bearbeitung."), 409)
    return current


def recall(ticket: Ticket | int, user: User, *, now: datetime | None = None) -> Ticket:
    now = _now(now)
    with transaction.atomic():
        current = _own_active(ticket, user, (Status.CALLED,))
        current.call_count += 1
        current.last_called_at = now
        current.save(update_fields=["call_count", "last_called_at"])
        _event(current, Event.RECALLED, now, user=user, room=current.room)
        live.called(current, repeat=True)
    return current


def mark_missed(ticket: Ticket | int, user: User, *, now: datetime | None = None) -> Ticket:
    now = _now(now)
    with transaction.atomic():
        current = _own_active(ticket, user, (Status.CALLED,))
        needed = current.queue.missed_after_calls
        if current.call_count < needed:
            raise QueueError(_("Eine Nummer kann erst nach %(n)s Aufrufen als nicht erschienen markiert "
                               "werden (bisher %(count)s).")
                             % {"n": needed, "count": current.call_count}, 409)
        current.status = Status.MISSED
        current.save(update_fields=["status"])
        _event(current, Event.MISSED, now, user=user, room=current.room)
        live.queue_changed(current.queue_id)
        live.answered(current)
    return current


def start(ticket: Ticket | int, user: User, *, now: datetime | None = None) -> Ticket:
    now = _now(now)
    with transaction.atomic():
        current = _own_active(ticket, user, (Status.CALLED,))
        current.status = Status.SERVING
        current.started_at = now
        current.save(update_fields=["status", "started_at"])
        _event(current, Event.STARTED, now, user=user, room=current.room)
        live.queue_changed(current.queue_id)
        live.answered(current)
    return current


def _add_service_time(ticket: Ticket, now: datetime) -> None:
    began = ticket.started_at or ticket.last_called_at or now
    ticket.service_seconds = (ticket.service_seconds or 0) + max(0, int((now - began).total_seconds()))


def finish(ticket: Ticket | int, user: User, *, now: datetime | None = None) -> Ticket:
    """Done. Finishing a called ticket directly counts the service from the call."""
    now = _now(now)
    with transaction.atomic():
        current = _own_active(ticket, user, (Status.CALLED, Status.SERVING))
        _add_service_time(current, now)
        current.status = Status.DONE
        current.finished_at = now
        current.save(update_fields=["status", "finished_at", "service_seconds"])
        _event(current, Event.FINISHED, now, user=user, room=current.room)
        if current.appointment_id:
            # If the appointment was changed in the calendar meanwhile, the ticket is done anyway.
            with contextlib.suppress(BookingError):
                appointment_services.complete_appointment(current.appointment_id)
        live.queue_changed(current.queue_id)
        live.answered(current)
    return current


def hand_over(ticket: Ticket | int, user: User, *, queue: Queue, room: Room | None = None,
              person: User | None = None, note: str = "", now: datetime | None = None) -> Ticket:
    """Send the citizen on to another queue (optionally one room or person); they are called next
    there, before walk-ins, because they have already waited once."""
    now = _now(now)
    with transaction.atomic():
        current = _own_active(ticket, user, (Status.CALLED, Status.SERVING))
        if queue.location_id != current.queue.location_id or not queue.is_active:
            raise QueueError(_("Weiterleiten geht nur an eine aktive Warteschlange desselben Standorts."))
        if room is not None and room.floor.location_id != queue.location_id:
            raise QueueError(_("Der Raum gehört nicht zu diesem Standort."))
        old_queue = current.queue_id
        if current.status == Status.SERVING:
            _add_service_time(current, now)
        current.queue = queue
        current.status = Status.WAITING
        current.handler = None
        current.room = None
        current.started_at = None
        current.call_count = 0
        current.handovers += 1
        current.queued_at = now
        current.reserved_room = room
        current.reserved_for = person
        current.save()
        _event(current, Event.HANDED_OVER, now, user=user, room=room, note=note)
        live.queue_changed(old_queue)
        live.queue_changed(queue.pk)
        live.answered(current)
    return current


# --- reception ----------------------------------------------------------------------------------------
def cancel(ticket: Ticket | int, *, by: User, now: datetime | None = None) -> Ticket:
    now = _now(now)
    with transaction.atomic():
        current = _locked(ticket)
        if current.status not in (Status.WAITING, Status.MISSED):
            raise _not_waiting(current)
        current.status = Status.CANCELLED
        current.save(update_fields=["status"])
        _event(current, Event.CANCELLED, now, user=by)
        live.queue_changed(current.queue_id)
    return current


def requeue(ticket: Ticket | int, *, by: User, now: datetime | None = None) -> Ticket:
    """A missed citizen turns up after all: back into the line, at its end."""
    now = _now(now)
    with transaction.atomic():
        current = _locked(ticket)
        if current.status != Status.MISSED:
            raise QueueError(_("Nur Nummern, die als nicht erschienen markiert sind, können wieder "
                               "eingereiht werden."), 409)
        if current.day != local_day(now):
            raise QueueError(_("Diese Wartenummer ist von einem anderen Tag."), 409)
        current.status = Status.WAITING
        current.handler = None
        current.room = None
        current.call_count = 0
        current.queued_at = now
        current.appointment_start = None  # a late appointment waits like everybody else
        current.save()
        _event(current, Event.REQUEUED, now, user=by)
        live.queue_changed(current.queue_id)
    return current


def mark_emergency(ticket: Ticket | int, reason: str, *, by: User, now: datetime | None = None) -> Ticket:
    now = _now(now)
    reason = _clean_reason(reason)
    with transaction.atomic():
        current = _locked(ticket)
        if current.status != Status.WAITING:
            raise _not_waiting(current)
        current.kind = Kind.EMERGENCY
        current.emergency_reason = reason
        current.save(update_fields=["kind", "emergency_reason"])
        _event(current, Event.EMERGENCY, now, user=by, note=reason)
        live.queue_changed(current.queue_id)
    return current


def close_past_days(*, now: datetime | None = None) -> int:
    """End of day: tickets of earlier days still waiting or called are cancelled, those in service
    are finished (without a service time, which would be wrong). Returns how many were closed."""
    now = _now(now)
    today = local_day(now)
    closed = 0
    with transaction.atomic():
        for ticket in Ticket.objects.select_for_update().filter(day__lt=today, status__in=Ticket.OPEN):
            ticket.status = Status.DONE if ticket.status == Status.SERVING else Status.CANCELLED
            ticket.finished_at = now if ticket.status == Status.DONE else None
            ticket.save(update_fields=["status", "finished_at"])
            _event(ticket, Event.FINISHED if ticket.status == Status.DONE else Event.CANCELLED, now,
                   note="Tagesabschluss")
            closed += 1
    return closed


# --- screens ---------------------------------------------------------------------------------------
SCREEN_SEEN_EVERY = timedelta(minutes=1)


def screen_seen(screen: Screen, now: datetime | None = None) -> None:
    """Record that a display or kiosk opened its address (the configuration check reports screens
    that never did). Written at most once a minute per screen."""
    now = _now(now)
    if screen.last_seen_at is not None and now - screen.last_seen_at < SCREEN_SEEN_EVERY:
        return
    Screen.objects.filter(pk=screen.pk).update(last_seen_at=now)
    screen.last_seen_at = now


# --- privacy: retention (called by the privacy app, docs/privacy/loeschkonzept.md) ----------------
# A walk-in ticket carries no name or contact; what may identify somebody are the free texts: the
# reason of an emergency ticket and the notes of its calls. Times, queue, status and durations stay
# for the waiting-time statistics and the public promise.
PURGED_REASON = "–"  # an emergency ticket must keep a reason (database check); this one says nothing


def purge_personal_data(before_day: date, *, batch_size: int = 500) -> int:
    """Remove the free texts of tickets of days before ``before_day`` (Berlin days), in batches;
    idempotent. Returns the number of tickets changed."""
    tickets = Ticket.objects.filter(day__lt=before_day).filter(
        ~Q(emergency_reason="") & ~Q(emergency_reason=PURGED_REASON)
    )
    done = in_batches(
        tickets,
        lambda batch: Ticket.objects.filter(pk__in=batch).update(emergency_reason=PURGED_REASON),
        batch_size=batch_size,
    )
    in_batches(
        CallEvent.objects.filter(ticket__day__lt=before_day).exclude(note=""),
        lambda batch: CallEvent.objects.filter(pk__in=batch).update(note=""),
        batch_size=batch_size,
    )
    return done
