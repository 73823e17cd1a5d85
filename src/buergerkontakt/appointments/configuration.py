"""Configuration changes take effect at once (2026-12-04).

Every committed change to a service group, a schedule, a location's opening hours or a calendar
exception materialises the affected groups' slots for their whole booking window – a new schedule is
bookable the moment it is saved, a deleted one no longer, without waiting for the hourly
``materialize_horizon_task``. Changes in one transaction (an admin form with its inline schedules, the
demo loader) are collected and materialised once, after the commit.

``capacity_preview`` is what the group's admin page shows: the next 14 days per location.

``too_long_services`` and ``unbookable_services`` find services that citizens can never book: longer
than every capacity window of their group (issue 26 defect 5), or offered at a location where their
group has no schedule. The service admin refuses such a duration, the group and schedule admin warn.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerkontakt.core.commit import after_commit_collected
from buergerkontakt.core.models import Location

from . import availability_cache, engine, services
from .models import Quota, Schedule, ServiceGroup, Slot

logger = logging.getLogger(__name__)

PREVIEW_DAYS = 14


# --- materialise on commit ------------------------------------------------------------------------
def _pairs(*, group_id: int | None = None, location_ids: set[int] | None = None) -> set[tuple[int, int]]:
    """(group, location) pairs with schedules, narrowed to a group and/or some locations."""
    rows = Schedule.objects.all()
    if group_id is not None:
        rows = rows.filter(group_id=group_id)
    if location_ids is not None:
        rows = rows.filter(location_id__in=location_ids)
    return set(rows.values_list("group_id", "location_id").distinct())


def _materialize(pending: set[tuple[int, int]]) -> None:
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
    outside a transaction). Several calls in one transaction are collected into one run.

    Robust: a failing run is logged and never turns the saved change into an error page; the
    hourly task materialises again."""
    after_commit_collected(_materialize, pairs, robust=True)


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


def _offer_changed(sender, instance, action: str, reverse: bool, pk_set=None, **kwargs) -> None:
    """"Angeboten an Standorten" changed: cached overviews of the service's groups are stale."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    from buergerkontakt.directory.models import Service

    service_ids: set[int] | None = {instance.pk}
    if reverse:  # location.services.add(...): the services are in pk_set (all of them on clear)
        service_ids = None if action == "post_clear" else set(pk_set or ())
    groups = ServiceGroup.objects.all() if service_ids is None else \
        ServiceGroup.objects.filter(services__in=Service.objects.filter(pk__in=service_ids))
    ids = sorted(set(groups.values_list("pk", flat=True)))
    if ids:
        availability_cache.invalidate_after_commit(ids)


def connect() -> None:
    from buergerkontakt.directory.models import CalendarException, HoursRule, Service

    for signal in (post_save, post_delete):
        signal.connect(_schedule_changed, sender=Schedule, dispatch_uid=f"bk-materialize-schedule-{signal}")
        signal.connect(_calendar_changed, sender=CalendarException,
                       dispatch_uid=f"bk-materialize-exception-{signal}")
        signal.connect(_hours_changed, sender=HoursRule, dispatch_uid=f"bk-materialize-hours-{signal}")
    post_save.connect(_group_changed, sender=ServiceGroup, dispatch_uid="bk-materialize-group")
    m2m_changed.connect(_offer_changed, sender=Service.locations.through, dispatch_uid="bk-service-offer")


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


# --- services that can never be booked ------------------------------------------------------------
@dataclass(frozen=True)
class ServiceProblem:
    """A service citizens cannot book: ``kind`` "too_long" (longer than every capacity window of the
    group at the locations where it is offered) or "no_schedule" (offered at a location where no
    group of the service has a schedule). ``message`` is the German text for the admin."""

    service: object
    kind: str
    message: str
    group: ServiceGroup | None = None
    location: Location | None = None
    needed_minutes: int = 0
    longest_minutes: int = 0


def _grid_minutes(start: int, end: int, slot: int) -> int:
    """Minutes of whole time units between two minutes of the day (units lie on the slot grid)."""
    first = -(-start // slot) * slot
    last = end // slot * slot
    return max(0, last - first)


def longest_window_minutes(group: ServiceGroup, location_ids: Iterable[int] | None = None) -> int:
    """The longest run of consecutive time units the group's schedules give on one day (at one of
    ``location_ids``); schedules that touch or overlap on the same day count as one window."""
    rows = group.schedules.all()
    if location_ids is not None:
        rows = rows.filter(location_id__in=list(location_ids))
    days: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    for schedule in rows:
        key = (schedule.location_id, schedule.weekday, schedule.date)
        days[key].append((schedule.start.hour * 60 + schedule.start.minute,
                          schedule.end.hour * 60 + schedule.end.minute))
    longest = 0
    for windows in days.values():
        windows.sort()
        start, end = windows[0]
        for next_start, next_end in windows[1:]:
            if next_start <= end:
                end = max(end, next_end)
                continue
            longest = max(longest, _grid_minutes(start, end, group.slot_minutes))
            start, end = next_start, next_end
        longest = max(longest, _grid_minutes(start, end, group.slot_minutes))
    return longest


def needed_minutes(duration_minutes: int, group: ServiceGroup) -> int:
    return engine.units_needed([duration_minutes], group.slot_minutes) * group.slot_minutes


def _too_long(service, group: ServiceGroup, duration: int, location_ids: set[int],
              location: Location | None = None) -> ServiceProblem | None:
    scheduled = set(group.schedules.values_list("location_id", flat=True)) & location_ids
    if not scheduled:
        return None
    need, longest = needed_minutes(duration, group), longest_window_minutes(group, scheduled)
    if need <= longest:
        return None
    message = _("„%(service)s“ dauert %(need)d Minuten und ist länger als jedes Zeitfenster der "
                "Leistungsgruppe „%(group)s“ (längstes: %(longest)d Minuten) – online kann sie nie "
                "gebucht werden. Bitte verlängern Sie eine Sprechzeit oder kürzen Sie die Dauer.") % {
        "service": service.name, "need": need, "group": group.name, "longest": longest}
    return ServiceProblem(service, "too_long", message, group=group, location=location,
                          needed_minutes=need, longest_minutes=longest)


def too_long_services(group: ServiceGroup) -> list[ServiceProblem]:
    """Online-bookable services of the group that are longer than every capacity window of the group
    at the locations where they are offered (they can never be booked)."""
    problems = []
    for service in group.services.filter(online_bookable=True).prefetch_related("locations").order_by(
            "name", "pk"):
        problem = _too_long(service, group, service.duration_minutes,
                            {loc.pk for loc in service.locations.all()})
        if problem is not None:
            problems.append(problem)
    return problems


def service_duration_problems(service_id: int | None, duration_minutes: int,
                              location_ids: Iterable[int]) -> list[str]:
    """German messages when an online-bookable service with this duration, offered at these
    locations, would be longer than every capacity window of one of its groups (the service admin
    refuses it). Handed to the directory app when the appointments app loads."""
    if service_id is None or not duration_minutes:
        return []
    from buergerkontakt.directory.models import Service

    service = Service.objects.filter(pk=service_id).first()
    if service is None:
        return []
    wanted = set(location_ids)
    messages = []
    for group in ServiceGroup.objects.filter(services=service).order_by("pk"):
        problem = _too_long(service, group, duration_minutes, wanted)
        if problem is not None:
            messages.append(problem.message)
    return messages


def unbookable_services(location: Location) -> list[ServiceProblem]:
    """Online-bookable, public services offered at ``location`` that citizens cannot book there:
    no group of theirs has a schedule at the location ("no_schedule"), or the group serving them
    there has no capacity window long enough ("too_long"). For the location's configuration check."""
    from buergerkontakt.directory.models import Service

    problems: list[ServiceProblem] = []
    offered = Service.objects.filter(locations=location, online_bookable=True, is_public=True).order_by(
        "name", "pk")
    for service in offered:
        group = (ServiceGroup.objects.filter(services=service, schedules__location=location)
                 .order_by("pk").first())
        if group is None:
            problems.append(ServiceProblem(service, "no_schedule", _(
                "„%(service)s“ ist am Standort „%(location)s“ angeboten, aber keine Leistungsgruppe der "
                "Leistung hat dort eine Sprechzeit.") % {"service": service.name,
                                                         "location": location.name},
                location=location))
            continue
        problem = _too_long(service, group, service.duration_minutes, {location.pk}, location)
        if problem is not None:
            problems.append(problem)
    return problems
