"""Configuration changes take effect at once (2026-12-04).

Every committed change to a service group, a schedule, a location's opening hours or a calendar
exception materialises the affected groups' slots for their whole booking window – a new schedule is
bookable the moment it is saved, a deleted one no longer, without waiting for the hourly
``materialize_horizon_task``. Changes in one transaction (an admin form with its inline schedules, the
demo loader) are collected and materialised once, after the commit.

``capacity_preview`` is what the group's admin page shows: the next 14 days per location.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from buergerkontakt.core.models import Location

from . import engine, services
from .models import Quota, Schedule, ServiceGroup, Slot

logger = logging.getLogger(__name__)

PREVIEW_DAYS = 14
_PENDING_ATTR = "_bk_materialize_pending"


# --- materialise on commit ------------------------------------------------------------------------
def _pairs(*, group_id: int | None = None, location_ids: set[int] | None = None) -> set[tuple[int, int]]:
    """(group, location) pairs with schedules, narrowed to a group and/or some locations."""
    rows = Schedule.objects.all()
    if group_id is not None:
        rows = rows.filter(group_id=group_id)
    if location_ids is not None:
        rows = rows.filter(location_id__in=location_ids)
    return set(rows.values_list("group_id", "location_id").distinct())


def _flush() -> None:
    connection = transaction.get_connection()
    pending: set[tuple[int, int]] = getattr(connection, _PENDING_ATTR, set())
    setattr(connection, _PENDING_ATTR, set())
    if not pending:
        return
    today = engine.local_day(timezone.now())
    groups = ServiceGroup.objects.in_bulk({group_id for group_id, _ in pending})
    locations = Location.objects.in_bulk({location_id for _, location_id in pending})
    for group_id, location_id in sorted(pending):
        group, location = groups.get(group_id), locations.get(location_id)
        if group is None or location is None:  # deleted in the meantime
            continue
        until = today + timedelta(days=group.max_days_ahead)
        result = services.materialize_slots(group, location, today, until)
        logger.info("slots materialised", extra={"group": group_id, "location": location_id,
                                                 "slots_created": result.created,
                                                 "slots_updated": result.updated,
                                                 "slots_closed": result.closed})


def materialize_on_commit(pairs: set[tuple[int, int]]) -> None:
    """Materialise these (group, location) pairs once the current transaction commits (at once
    outside a transaction). Several calls in one transaction are collected into one run."""
    if not pairs:
        return
    connection = transaction.get_connection()
    pending: set[tuple[int, int]] = getattr(connection, _PENDING_ATTR, set())
    # Registered in this transaction: pairs wait and the flush is still queued (a rollback empties
    # the queue, a run empties the pairs).
    registered = bool(pending) and connection.in_atomic_block and any(
        func is _flush for _ids, func, _robust in connection.run_on_commit)
    if not registered:
        pending = set()
    pending |= pairs
    setattr(connection, _PENDING_ATTR, pending)
    if not registered:
        # robust: a failing run is logged and never turns the saved change into an error page; the
        # hourly task materialises again.
        transaction.on_commit(_flush, robust=True)


# --- signal receivers --------------------------------------------------------------------------
def _schedule_changed(sender, instance: Schedule, **kwargs) -> None:
    if instance.group_id and instance.location_id:
        materialize_on_commit({(instance.group_id, instance.location_id)})


def _group_changed(sender, instance: ServiceGroup, **kwargs) -> None:
    materialize_on_commit(_pairs(group_id=instance.pk))


def _calendar_changed(sender, instance, **kwargs) -> None:
    if instance.location_id:
        location_ids = {instance.location_id}
    elif getattr(instance, "authority_id", None):
        location_ids = set(Location.objects.filter(authority_id=instance.authority_id)
                           .values_list("pk", flat=True))
    else:
        return
    materialize_on_commit(_pairs(location_ids=location_ids))


def _hours_changed(sender, instance, **kwargs) -> None:
    from buergerkontakt.directory.models import HoursKind

    if instance.kind == HoursKind.OPENING and instance.location_id:
        materialize_on_commit(_pairs(location_ids={instance.location_id}))


def connect() -> None:
    from buergerkontakt.directory.models import CalendarException, HoursRule

    for signal in (post_save, post_delete):
        signal.connect(_schedule_changed, sender=Schedule, dispatch_uid=f"bk-materialize-schedule-{signal}")
        signal.connect(_calendar_changed, sender=CalendarException,
                       dispatch_uid=f"bk-materialize-exception-{signal}")
        signal.connect(_hours_changed, sender=HoursRule, dispatch_uid=f"bk-materialize-hours-{signal}")
    post_save.connect(_group_changed, sender=ServiceGroup, dispatch_uid="bk-materialize-group")


# --- preview ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LocationPreview:
    location: Location
    units: int
    first_free: datetime | None


def capacity_preview(group: ServiceGroup, *, now: datetime | None = None) -> list[LocationPreview]:
    """Per location with schedules: the units of the next 14 days and the first time a citizen can
    book online (with the group's shortest online service)."""
    now = now or timezone.now()
    until = now + timedelta(days=PREVIEW_DAYS)
    service = group.services.filter(online_bookable=True).order_by("duration_minutes", "pk").first()
    previews = []
    location_ids = set(group.schedules.values_list("location_id", flat=True))
    for location in Location.objects.filter(pk__in=location_ids).order_by("name"):
        slots = Slot.objects.filter(group=group, location=location, start__gte=now, start__lt=until)
        units = slots.exclude(online_capacity=0, internal_capacity=0).count()
        first_free = None
        if service is not None and units:
            day = engine.local_day(now)
            for _offset in range(PREVIEW_DAYS + 1):
                starts = services.free_starts([service], location, day, quota=Quota.ONLINE, now=now)
                if starts:
                    first_free = starts[0]
                    break
                day += timedelta(days=1)
        previews.append(LocationPreview(location, units, first_free))
    return previews
