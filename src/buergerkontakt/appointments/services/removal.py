"""Appointments: removing a service group or a location set up by mistake."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buergerkontakt.core.locks import for_update
from buergerkontakt.core.models import Location

from .. import availability_cache
from ..booking_rules import HOLDING, Status, _now
from ..exceptions import BookingError
from ..models import Appointment, Schedule, ServiceGroup, Slot


# --- removing a service group or a location set up by mistake (issue 26 defect 6) ------------------
def _live_q(now: datetime) -> Q:
    """Appointments still to come: a running hold or confirmation, or a booked time not yet over."""
    return (Q(status__in=HOLDING, hold_expires_at__gt=now)
            | Q(status__in=(Status.CONFIRMED, Status.CHECKED_IN), end__gt=now))


def live_appointments_reason(appointments, now: datetime) -> str:
    """A German sentence about the live appointments among ``appointments`` ("" if none)."""
    live = appointments.filter(_live_q(now))
    count = live.count()
    if not count:
        return ""
    first = timezone.localtime(live.order_by("start").values_list("start", flat=True)[0])
    return ngettext(
        "Es gibt noch %(count)d anstehenden Termin (am %(first)s). Bitte sagen Sie ihn ab oder verlegen "
        "Sie ihn zuerst.",
        "Es gibt noch %(count)d anstehende Termine (der erste am %(first)s). Bitte sagen Sie sie ab oder "
        "verlegen Sie sie zuerst.",
        count,
    ) % {"count": count, "first": first.strftime("%d.%m.%Y %H:%M")}


def _delete_free_slots(slots) -> None:
    """Time units no appointment ever used (units of past appointments stay with their history)."""
    slots.filter(units__isnull=True).delete()


@dataclass(frozen=True)
class Removal:
    name: str
    deleted: bool  # False: retired – appointments in its history refer to it


def retire_or_delete_group(group: ServiceGroup | int, *, now: datetime | None = None) -> Removal:
    """Delete a service group with its schedules and time units, or – when past or cancelled
    appointments refer to it – retire it: no schedules, no services, no free units, its name marked
    "außer Betrieb". Refused (:class:`BookingError`, nothing changed) while live appointments exist."""
    now = _now(now)
    pk = group.pk if isinstance(group, ServiceGroup) else int(group)
    with transaction.atomic():
        current = for_update(ServiceGroup.objects.filter(pk=pk)).get()
        reason = live_appointments_reason(Appointment.objects.filter(group=current), now)
        if reason:
            raise BookingError(_("„%(name)s“ bleibt bestehen: %(reason)s") % {"name": current.name,
                                                                               "reason": reason})
        name = current.name
        Schedule.objects.filter(group=current).delete()
        _delete_free_slots(Slot.objects.filter(group=current))
        availability_cache.invalidate_after_commit([current.pk])
        if not Appointment.objects.filter(group=current).exists():
            try:
                with transaction.atomic():
                    current.delete()
            except ProtectedError:
                pass  # something else still refers to it: retired below
            else:
                return Removal(name, deleted=True)
        current.services.clear()
        mark = " (außer Betrieb)"
        if not current.name.endswith(mark):
            current.name = current.name[: 200 - len(mark)] + mark
            current.save(update_fields=["name"])
        return Removal(name, deleted=False)


def location_live_work(location: Location, now: datetime) -> list[str]:
    """For ``core.retirement``: live appointments at the location refuse its removal."""
    reason = live_appointments_reason(Appointment.objects.filter(location=location), now)
    return [reason] if reason else []


def clear_location(location: Location, now: datetime) -> None:
    """For ``core.retirement``: the location's schedules and unused time units go first."""
    group_ids = set(Schedule.objects.filter(location=location).values_list("group_id", flat=True))
    Schedule.objects.filter(location=location).delete()
    _delete_free_slots(Slot.objects.filter(location=location))
    availability_cache.invalidate_after_commit(group_ids)
