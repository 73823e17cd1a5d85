"""Appointments: the day of the appointment – check-in at reception, no-show, visit completed."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from .. import engine
from ..booking_rules import Status, _now
from ..exceptions import BookingError
from ..models import Appointment
from ._common import _locked_appointment


def check_in(appointment: Appointment | int, *, now: datetime | None = None) -> Appointment:
    """The citizen has arrived (reception): CONFIRMED → CHECKED_IN, on the day of the appointment."""
    now = _now(now)
    with transaction.atomic():
        current = _locked_appointment(appointment)
        if current.status == Status.CHECKED_IN:
            return current
        if current.status != Status.CONFIRMED:
            raise BookingError(_("Nur gebuchte Termine können eingecheckt werden."))
        if engine.local_day(current.start) != engine.local_day(now):
            raise BookingError(_("Ein Check-in ist nur am Tag des Termins möglich."))
        current.status = Status.CHECKED_IN
        current.checked_in_at = now
        current.save()
    return current


def mark_no_show(appointment: Appointment | int, *, now: datetime | None = None) -> Appointment:
    """The citizen did not come: CONFIRMED → NO_SHOW, only once the appointment has begun."""
    now = _now(now)
    with transaction.atomic():
        current = _locked_appointment(appointment)
        if current.status == Status.NO_SHOW:
            return current
        if current.status != Status.CONFIRMED:
            raise BookingError(_("Nur gebuchte Termine können als „nicht erschienen“ markiert werden."))
        if current.start > now:
            raise BookingError(_("Ein Termin kann erst ab seinem Beginn als „nicht erschienen“ "
                                 "markiert werden."))
        current.status = Status.NO_SHOW
        current.save()
    return current


def complete_appointment(appointment: Appointment | int) -> Appointment:
    """The visit is over: CHECKED_IN → COMPLETED."""
    with transaction.atomic():
        current = _locked_appointment(appointment)
        if current.status == Status.COMPLETED:
            return current
        if current.status != Status.CHECKED_IN:
            raise BookingError(_("Nur eingecheckte Termine können abgeschlossen werden."))
        current.status = Status.COMPLETED
        current.save()
    return current
