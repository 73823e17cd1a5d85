"""Appointments: the writes of the reminders – sending a reminder exactly once, the citizen's
reconfirmation, and cancelling a booking that was not reconfirmed in time. ``reminders.py`` selects
what is due and calls these."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from .. import events, notifications
from ..booking_rules import Status, _now
from ..exceptions import BookingError
from ..models import Appointment
from .booking import cancel_appointment


def send_reminder(appointment_id: int, *, now: datetime | None = None) -> bool:
    """Send the reminder of a CONFIRMED appointment, at most once: claimed with a conditional update
    of ``reminder_sent_at``, so two runs never send it twice. False when it was sent already or the
    appointment is no longer booked."""
    now = _now(now)
    with transaction.atomic():
        claimed = Appointment.objects.filter(pk=appointment_id, status=Status.CONFIRMED,
                                             reminder_sent_at__isnull=True).update(reminder_sent_at=now)
        if claimed:
            notifications.notify(Appointment(pk=appointment_id), "reminder")
    return bool(claimed)


def reconfirm(appointment: Appointment | int, now: datetime | None = None) -> Appointment:
    """The citizen confirms they will come (idempotent); only CONFIRMED appointments that have not
    started. Raises :class:`BookingError` with a German message otherwise."""
    now = _now(now)
    pk = appointment.pk if isinstance(appointment, Appointment) else appointment
    with transaction.atomic():
        current = Appointment.objects.select_for_update().filter(pk=pk).first()
        if current is None:
            raise BookingError(_("Dieser Termin wurde nicht gefunden."))
        if current.status == Status.CANCELLED:
            raise BookingError(_("Dieser Termin wurde storniert und kann nicht mehr bestätigt werden."))
        if current.status != Status.CONFIRMED:
            raise BookingError(_("Dieser Termin kann nicht mehr bestätigt werden."))
        if current.start <= now:
            raise BookingError(_("Dieser Termin hat bereits begonnen."))
        if current.reconfirmed_at is None:
            current.reconfirmed_at = now
            current.save(update_fields=["reconfirmed_at", "updated_at"])
    return current


def cancel_unreconfirmed(appointment_id: int, *, now: datetime | None = None) -> bool:
    """Cancel a booking that was not reconfirmed in time, tell the citizen, and offer its capacity to
    the waitlist at once, without the anti-bot delay (``events.capacity_freed_at_once``, sent inside
    the transaction). False, nothing changed: it is no longer booked or was reconfirmed meanwhile."""
    now = _now(now)
    with transaction.atomic():
        current = Appointment.objects.select_for_update().filter(pk=appointment_id).first()
        if current is None or current.status != Status.CONFIRMED or current.reconfirmed_at:
            return False
        try:
            cancel_appointment(current, now=now)
        except BookingError:
            return False
        notifications.notify(current, "cancelled")
        events.capacity_freed_at_once.send(Appointment, appointment_id=appointment_id, now=now)
    return True
