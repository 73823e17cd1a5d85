"""Helpers shared by the write modules of the appointments service package."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from .. import availability_cache
from ..exceptions import BookingError
from ..models import Appointment


def _invalidate_on_commit(group_ids: Iterable[int]) -> None:
    """Make the cached overviews of these groups stale once the current transaction commits
    (``availability_cache``; nothing happens if it rolls back)."""
    ids = sorted(set(group_ids))
    if ids:
        transaction.on_commit(lambda: availability_cache.invalidate(ids))


def _locked_appointment(appointment: Appointment | int) -> Appointment:
    pk = appointment.pk if isinstance(appointment, Appointment) else appointment
    found = Appointment.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise BookingError(_("Dieser Termin wurde nicht gefunden."))
    return found
