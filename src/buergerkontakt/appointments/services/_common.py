"""Helpers shared by the write modules of the appointments service package."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ..exceptions import BookingError
from ..models import Appointment


def _locked_appointment(appointment: Appointment | int) -> Appointment:
    pk = appointment.pk if isinstance(appointment, Appointment) else appointment
    found = Appointment.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise BookingError(_("Dieser Termin wurde nicht gefunden."))
    return found
