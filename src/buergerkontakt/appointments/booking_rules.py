"""Appointments: what a booking request resolves to and when it may be booked – the chosen
services, the group that serves them at a location, the quota's counters and the booking window.

Shared by the availability reads (``queries.py``) and the writes (``services/``), so both answer
with the same rules and the same German messages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerkontakt.core.models import Location
from buergerkontakt.directory.models import Service

from . import engine
from .exceptions import BookingError
from .models import Appointment, Quota, Schedule, ServiceGroup

Status = Appointment.Status
# Appointments whose capacity is held only until ``hold_expires_at``.
HOLDING = (Status.HELD, Status.PENDING_CONFIRMATION)
MAX_SERVICES_PER_APPOINTMENT = 5


# --- small helpers ---------------------------------------------------------------------------------
def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def _used_field(quota: str) -> str:
    return "online_used" if quota == Quota.ONLINE else "internal_used"


def _capacity_field(quota: str) -> str:
    return "online_capacity" if quota == Quota.ONLINE else "internal_capacity"


def _check_quota(quota: str) -> None:
    if quota not in Quota.values:
        raise BookingError(_("Unbekanntes Kontingent."))


def _location_id(location: Location | int) -> int:
    if isinstance(location, Location):
        return location.pk
    try:
        return int(location)
    except (TypeError, ValueError):
        raise BookingError(_("Unbekannter Standort.")) from None


def _due_q(now: datetime) -> Q:
    """Appointments that still hold capacity but should not any more."""
    return Q(capacity_released=False) & (
        Q(status__in=HOLDING, hold_expires_at__lte=now) | Q(capacity_release_at__lte=now)
    )


# --- which group serves the chosen services ----------------------------------------------------------
def _load_services(services: Iterable[Service | int], quota: str) -> list[Service]:
    """The chosen services in order (a service may be chosen twice, e.g. for two people)."""
    items = list(services or [])
    if not items:
        raise BookingError(_("Bitte wählen Sie mindestens eine Leistung."))
    if len(items) > MAX_SERVICES_PER_APPOINTMENT:
        raise BookingError(_("Bitte wählen Sie höchstens %(max)d Leistungen für einen Termin.")
                           % {"max": MAX_SERVICES_PER_APPOINTMENT})
    ids: list[int] = []
    for item in items:
        try:
            ids.append(int(item.pk if isinstance(item, Service) else item))
        except (TypeError, ValueError):
            raise BookingError(_("Unbekannte Leistung.")) from None
    found = Service.objects.in_bulk(set(ids))
    if len(found) != len(set(ids)):
        raise BookingError(_("Unbekannte Leistung."))
    ordered = [found[pk] for pk in ids]
    if quota == Quota.ONLINE and not all(s.online_bookable and s.is_public for s in ordered):
        raise BookingError(_("Diese Leistung kann nicht online gebucht werden."))
    return ordered


NOT_OFFERED_HERE = _("Diese Leistung wird an diesem Standort nicht angeboten.")


def _groups_by_location(services: Sequence[Service], location_id: int | None = None, *,
                        online_only: bool = False) -> dict[int, ServiceGroup]:
    """For each location: the service group that serves all ``services`` there.

    A group serves a location when it has a schedule there; if several groups would qualify, the
    oldest (lowest id) wins, everywhere in this module. Only locations where every service is
    offered ("angeboten an Standorten") count.
    """
    wanted = {s.pk for s in services}
    members: dict[int, set[int]] = defaultdict(set)
    through = ServiceGroup.services.through
    for group_id, service_id in through.objects.filter(service_id__in=wanted).values_list(
            "servicegroup_id", "service_id"):
        members[group_id].add(service_id)
    candidates = [group_id for group_id, ids in members.items() if ids >= wanted]
    if not candidates:
        if len(wanted) > 1 and all(any(sid in ids for ids in members.values()) for sid in wanted):
            raise BookingError(_("Diese Leistungen können nicht gemeinsam in einem Termin gebucht werden."))
        raise BookingError(_("Für diese Leistung werden keine Termine vergeben."))
    schedules = Schedule.objects.filter(group_id__in=candidates)
    offers = Service.locations.through.objects
    for service_id in sorted(wanted):  # only where every service is offered (in the same query)
        schedules = schedules.filter(Exists(offers.filter(service_id=service_id,
                                                          location_id=OuterRef("location_id"))))
    if location_id is not None:
        schedules = schedules.filter(location_id=location_id)
    owner: dict[int, int] = {}
    offline = False
    for loc_id, group_id, online in schedules.order_by().values_list(
            "location_id", "group_id", "location__offers_online_booking").distinct():
        if online_only and not online:  # only where "Online-Terminbuchung" is ticked
            offline = True
            continue
        owner[loc_id] = min(group_id, owner.get(loc_id, group_id))
    if not owner:
        if offline:
            raise BookingError(_("Diese Leistung kann derzeit nicht online gebucht werden. Bitte rufen Sie "
                                 "an."))
        if location_id is not None:
            raise BookingError(NOT_OFFERED_HERE)
        raise BookingError(_("Für diese Leistung werden keine Termine vergeben."))
    groups = ServiceGroup.objects.in_bulk(set(owner.values()))
    return {loc_id: groups[group_id] for loc_id, group_id in owner.items()}


def _require_online_location(location_id: int, quota: str) -> None:
    """Online bookings only where the location's "Online-Terminbuchung" is ticked."""
    if quota == Quota.ONLINE and not Location.objects.filter(pk=location_id,
                                                             offers_online_booking=True).exists():
        raise BookingError(_("An diesem Standort können Termine nicht online gebucht werden. Bitte rufen "
                             "Sie an oder wählen Sie einen anderen Standort."))


def _group_at(services: Sequence[Service], location_id: int) -> ServiceGroup:
    """The group that serves ``services`` at one location (the oldest one with a schedule there);
    the same answer as ``_groups_by_location(services, location_id)``, in two queries (booking path)."""
    wanted = {s.pk for s in services}
    through = ServiceGroup.services.through
    members: dict[int, set[int]] = defaultdict(set)
    # With each membership: whether the service is offered at the location ("angeboten an Standorten").
    offered_here = Exists(Service.locations.through.objects.filter(service_id=OuterRef("service_id"),
                                                                   location_id=location_id))
    for group_id, service_id, offered in through.objects.filter(service_id__in=wanted).annotate(
            offered=offered_here).values_list("servicegroup_id", "service_id", "offered"):
        if not offered:
            raise BookingError(NOT_OFFERED_HERE)
        members[group_id].add(service_id)
    candidates = [group_id for group_id, ids in members.items() if ids >= wanted]
    group = (ServiceGroup.objects.filter(pk__in=candidates, schedules__location_id=location_id)
             .order_by("pk").first()) if candidates else None
    if group is None:
        return _groups_by_location(services, location_id)[location_id]  # raises with the reason
    return group


def _units_for(group: ServiceGroup, services: Sequence[Service]) -> int:
    return engine.units_needed((s.duration_minutes for s in services), group.slot_minutes)


# --- booking window ---------------------------------------------------------------------------------
def bookable_range(group: ServiceGroup, now: datetime | None = None, *,
                   quota: str = Quota.ONLINE) -> tuple[date, date]:
    """(first_date, last_date) of regular units bookable at ``now`` (empty if first > last).

    Online: min/max days ahead and the daily release time; internal bookings (phone centre,
    reception) from today up to max days ahead. Same-day units are bookable on their day only.
    """
    return engine.bookable_range(now=_now(now), min_days_ahead=group.min_days_ahead,
                                 max_days_ahead=group.max_days_ahead, release_time=group.release_time,
                                 internal=quota == Quota.INTERNAL)


def _day_rules(group: ServiceGroup, now: datetime, quota: str) -> engine.DayRules:
    first, last = bookable_range(group, now, quota=quota)
    return engine.DayRules(today=engine.local_day(now), first=first, last=last)
