"""Appointments: the public write API (and the availability reads that must agree with it).

Capacity invariant
==================
For every :class:`~.models.Slot` and each quota (online, internal)::

    0 <= used <= capacity
    used == number of AppointmentSlot rows on it whose appointment has that quota and
            capacity_released = False

Only the functions in this module change ``*_used``, and each runs in one transaction:

* **Booking** (:func:`hold_slot`) consumes one unit in each of the k consecutive slot rows
  (k = ceil(sum of the service durations / slot_minutes)). It locks the k rows with
  ``SELECT … FOR UPDATE ORDER BY id``, checks each has free capacity in the requested quota, then
  runs ``UPDATE slot SET used = used + 1 WHERE id IN (…) AND used < capacity`` and requires the
  row count to be exactly k; otherwise :class:`SlotUnavailable` rolls everything back, so nothing
  is ever half-booked. The ``CheckConstraint`` ``used <= capacity`` is the last line of defence: an
  ``IntegrityError`` becomes the same :class:`SlotUnavailable`.
* **Releasing** (:func:`release_due_capacity`) claims each due appointment with a conditional
  update of ``capacity_released`` (exactly once, even when two workers race) and decrements the
  counters of its units.
* **Seating**: a booking never runs across a drop in its quota's capacity (a counter closing), so
  the bookings of every unit can always be assigned to concrete counters without a hand-over
  (interval graphs are perfect; the proof and the counter-example without this rule are in the ADR).

Lock order (no deadlocks on PostgreSQL): per-person advisory locks (only :func:`confirm_booking`)
→ appointment rows in ascending id → slot rows in ascending id, each class taken in one statement.
On SQLite every write transaction starts with ``BEGIN IMMEDIATE`` (settings), so writers are
serialised and wait for each other up to the busy timeout. Why this design, and why per-unit
capacity = counters is enough to seat everybody at a concrete counter, is written down in
``docs/adr/0002-capacity-invariant.md``.

Expired holds, expired e-mail confirmations and cancellations whose release delay has passed are
*due*: the reads (:func:`free_starts`, :func:`availability`) already count them as free, and
:func:`hold_slot` releases the due appointments on the units it needs before it books, so a due
appointment never blocks a booking even when the periodic task has not run yet.

All functions take an optional ``now`` (aware datetime) for tests and simulations.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buergerkontakt.core.calendar import BusinessCalendar, local_zone
from buergerkontakt.core.locks import for_update
from buergerkontakt.core.models import Location
from buergerkontakt.directory.hours import calendar_for
from buergerkontakt.directory.models import HoursKind, Service

from . import availability_cache, engine
from .exceptions import BookingError, HoldExpired, SlotUnavailable
from .models import (
    Appointment,
    AppointmentService,
    AppointmentSlot,
    Quota,
    Schedule,
    ServiceGroup,
    Slot,
)

__all__ = [
    "BookingError",
    "DayAvailability",
    "HoldExpired",
    "MaterializeResult",
    "SlotUnavailable",
    "availability",
    "bookable_range",
    "bookable_services",
    "cancel_appointment",
    "check_day",
    "check_in",
    "complete_appointment",
    "confirm_booking",
    "confirm_pending",
    "free_starts",
    "group_for",
    "hold_slot",
    "locations_for",
    "mark_no_show",
    "materialize_horizon",
    "materialize_slots",
    "normalise_phone",
    "release_due_capacity",
    "reschedule",
    "resolve_services",
    "retire_or_delete_group",
]

Status = Appointment.Status
# Appointments whose capacity is held only until ``hold_expires_at``.
HOLDING = (Status.HELD, Status.PENDING_CONFIRMATION)
MAX_SERVICES_PER_APPOINTMENT = 5
RELEASE_BATCH = 500
FIELD_LIMITS = {"name": 200, "email": 254, "phone": 40, "case_number": 60, "interpreter_language": 60,
                "note": 1000}


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


def _invalidate_on_commit(group_ids: Iterable[int]) -> None:
    """Make the cached overviews of these groups stale once the current transaction commits
    (``availability_cache``; nothing happens if it rolls back)."""
    ids = sorted(set(group_ids))
    if ids:
        transaction.on_commit(lambda: availability_cache.invalidate(ids))


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


def online_location_ids(service: Service | None = None) -> set[int]:
    """Public locations that take online bookings and have a schedule of a group with a public,
    online-bookable service (``service`` if given) – where "online buchbar" may be said."""
    # One filter call: the same service is online-bookable, public and offered at the location.
    one_service = {"group__services": service} if service is not None else {}
    rows = Schedule.objects.filter(location__offers_online_booking=True, location__is_public=True,
                                   group__services__online_bookable=True, group__services__is_public=True,
                                   group__services__locations=F("location"), **one_service)
    return set(rows.order_by().values_list("location_id", flat=True).distinct())


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


# --- reads for the booking pages ----------------------------------------------------------------------
def bookable_services():
    """Services a citizen can book online: public, online-bookable, in a group with a schedule at a
    public location that takes online bookings and where the service is offered."""
    return (Service.objects.filter(online_bookable=True, is_public=True,
                                   service_groups__schedules__location__offers_online_booking=True,
                                   service_groups__schedules__location__is_public=True,
                                   service_groups__schedules__location=F("locations"))
            .distinct().select_related("authority").order_by("name"))


def resolve_services(slugs: Iterable[str], quota: str = Quota.ONLINE) -> list[Service]:
    """The chosen services by slug (in order), or :class:`BookingError` with a German message."""
    slugs = [str(slug).strip() for slug in slugs if str(slug).strip()]
    if not slugs:
        raise BookingError(_("Bitte wählen Sie mindestens eine Leistung."))
    found = {service.slug: service for service in Service.objects.filter(slug__in=slugs[:50])}
    if any(slug not in found for slug in slugs):
        raise BookingError(_("Unbekannte Leistung."))
    return _load_services([found[slug] for slug in slugs], quota)


def locations_for(services: Sequence[Service]) -> list[Location]:
    """Public locations that take online bookings where all ``services`` can be booked together."""
    owners = _groups_by_location(services)
    return list(Location.objects.filter(pk__in=list(owners), is_public=True, offers_online_booking=True)
                .order_by("name"))


def group_for(services: Sequence[Service], location: Location | int | None = None) -> ServiceGroup:
    """The group that serves ``services`` (at ``location``; otherwise the first one anywhere)."""
    if location is not None:
        return _group_at(services, _location_id(location))
    owners = _groups_by_location(services)
    return min(owners.values(), key=lambda group: group.pk)


def check_day(services: Sequence[Service], location: Location | int, day: date,
              quota: str = Quota.ONLINE, now: datetime | None = None) -> ServiceGroup:
    """Raise :class:`BookingError` with the reason when ``day`` cannot be booked at all."""
    now = _now(now)
    _require_online_location(_location_id(location), quota)
    group = _group_at(services, _location_id(location))
    rules = _day_rules(group, now, quota)
    if day < rules.today:
        raise BookingError(_("Dieser Tag liegt in der Vergangenheit."))
    if not rules.allows_any(day):
        if day > rules.last:
            raise BookingError(_("Termine für diesen Tag werden noch nicht vergeben. Gebucht werden kann "
                                 "bis zum %(last)s.") % {"last": rules.last.strftime("%d.%m.%Y")})
        raise BookingError(_("Dieser Tag kann nicht (mehr) online gebucht werden."))
    return group


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


# --- materialising capacity -------------------------------------------------------------------------
@dataclass
class MaterializeResult:
    created: int = 0
    updated: int = 0
    closed: int = 0

    def __iadd__(self, other: MaterializeResult) -> MaterializeResult:
        self.created += other.created
        self.updated += other.updated
        self.closed += other.closed
        return self


def _has_opening_hours(calendar: BusinessCalendar, day: date) -> bool:
    """Whether the location is open on ``day``; without weekly hours only holidays/closures count."""
    if calendar.weekly or day in calendar.special_days:
        return not calendar.is_closed_day(day)
    return day not in calendar.closures and day not in calendar.holidays


def _wanted_units(group: ServiceGroup, location: Location, start_date: date, end_date: date,
                  ) -> dict[datetime, list]:
    """start → [end, online capacity, internal capacity, same_day_only] from the schedules."""
    calendar = calendar_for(location, HoursKind.OPENING, today=start_date)
    weekly: list[Schedule] = []
    dated: dict[date, list[Schedule]] = defaultdict(list)
    for schedule in Schedule.objects.filter(group=group, location=location):
        if schedule.date is not None:
            dated[schedule.date].append(schedule)
        else:
            weekly.append(schedule)
    tz = local_zone()
    wanted: dict[datetime, list] = {}
    day = start_date
    while day <= end_date:
        opening: list | None = None  # weekly schedules stay inside published opening hours
        if day in dated:
            todays = dated[day]
        elif _has_opening_hours(calendar, day):
            todays = [s for s in weekly if s.applies_weekly(day)]
            if calendar.weekly or day in calendar.special_days:
                opening = calendar.windows_on(day)
        else:
            todays = []
        for schedule in todays:
            for unit_start, unit_end in engine.split_units(day, schedule.start, schedule.end,
                                                           group.slot_minutes, tz):
                if opening is not None and not any(w.start <= unit_start and unit_end <= w.end
                                                   for w in opening):
                    continue
                entry = wanted.setdefault(unit_start, [unit_end, 0, 0, False])
                entry[1] += schedule.online_quota
                entry[2] += schedule.counters - schedule.online_quota
                # A unit shared by a spontaneous and a regular window stays same-day only.
                entry[3] = entry[3] or schedule.same_day_only
        day += timedelta(days=1)
    return wanted


def materialize_slots(group: ServiceGroup, location: Location, start_date: date, end_date: date,
                      ) -> MaterializeResult:
    """Create or adjust the slot rows of ``group`` at ``location`` for the days given (inclusive).

    Idempotent. Days without opening hours (holidays, closures) are skipped unless a date-specific
    schedule exists for that day. A changed schedule changes the capacity of existing units, but
    never below what is already used; units no longer in any schedule are closed (capacity = used).
    """
    wanted = _wanted_units(group, location, start_date, end_date)
    result = MaterializeResult()
    low, high = engine.day_start(start_date), engine.day_start(end_date + timedelta(days=1))
    with transaction.atomic():
        existing = {
            slot.start: slot
            for slot in Slot.objects.select_for_update()
            .filter(group=group, location=location, start__gte=low, start__lt=high).order_by("id")
        }
        new = [
            Slot(group=group, location=location, start=start, end=end, online_capacity=online,
                 internal_capacity=internal, same_day_only=same_day)
            for start, (end, online, internal, same_day) in wanted.items() if start not in existing
        ]
        Slot.objects.bulk_create(new, ignore_conflicts=True)
        result.created = len(new)
        changed = []
        for start, slot in existing.items():
            end, online, internal, same_day = wanted.get(
                start, [slot.end, 0, 0, slot.same_day_only])
            online, internal = max(online, slot.online_used), max(internal, slot.internal_used)
            if (slot.end, slot.online_capacity, slot.internal_capacity, slot.same_day_only) != (
                    end, online, internal, same_day):
                if start not in wanted and (slot.online_capacity, slot.internal_capacity) != (
                        online, internal):
                    result.closed += 1
                slot.end, slot.online_capacity, slot.internal_capacity = end, online, internal
                slot.same_day_only = same_day
                changed.append(slot)
        Slot.objects.bulk_update(changed, ["end", "online_capacity", "internal_capacity",
                                           "same_day_only"])
        result.updated = len(changed) - result.closed
        if new or changed:
            _invalidate_on_commit([group.pk])
    return result


def materialize_horizon(now: datetime | None = None) -> MaterializeResult:
    """Materialise every group at every location with a schedule from today to the window's end."""
    today = engine.local_day(_now(now))
    result = MaterializeResult()
    pairs = list(Schedule.objects.values_list("group_id", "location_id").distinct().order_by(
        "group_id", "location_id"))
    groups = ServiceGroup.objects.in_bulk({group_id for group_id, _ in pairs})
    locations = Location.objects.in_bulk({location_id for _, location_id in pairs})
    for group_id, location_id in pairs:
        group = groups[group_id]
        result += materialize_slots(group, locations[location_id], today,
                                    today + timedelta(days=group.max_days_ahead))
    return result


# --- reads: free start times --------------------------------------------------------------------------
def _due_units(group_ids: Iterable[int], quota: str, now: datetime, *, location_id: int | None = None,
               low: datetime | None = None, high: datetime | None = None) -> Counter:
    """slot id → units held there by due appointments (they count as free)."""
    # The same condition as _due_q, as two reads that the partial indexes on hold_expires_at and
    # capacity_release_at (capacity not released) serve; group and quota are filtered here, because
    # with them in the WHERE clause SQLite scans every appointment of the group instead.
    groups = set(group_ids)
    expired = Appointment.objects.filter(capacity_released=False, status__in=HOLDING,
                                         hold_expires_at__lte=now)
    released = Appointment.objects.filter(capacity_released=False, capacity_release_at__lte=now)
    columns = ("pk", "group_id", "quota")
    rows = expired.order_by().values_list(*columns).union(  # one round trip, each part on its index
        released.order_by().values_list(*columns), all=True).order_by()
    due_ids = sorted({pk for pk, group_id, their_quota in rows
                      if group_id in groups and their_quota == quota})
    if not due_ids:
        return Counter()
    units = AppointmentSlot.objects.filter(appointment_id__in=due_ids)
    if location_id is not None:
        units = units.filter(slot__location_id=location_id)
    if low is not None:
        units = units.filter(slot__start__gte=low, slot__start__lt=high)
    return Counter(units.values_list("slot_id", flat=True))


def free_starts(services: Iterable[Service | int], location: Location | int, day: date,
                quota: str = Quota.ONLINE, now: datetime | None = None) -> list[datetime]:
    """Local start times on ``day`` where the services fit into consecutive free units.

    Every unit of a start must have free capacity in ``quota`` and be bookable now (same-day units
    only today, regular units only within the booking window); starts in the past are left out.
    Capacity held by due appointments (expired holds, released cancellations) counts as free.
    """
    _check_quota(quota)
    now = _now(now)
    chosen = _load_services(services, quota)
    location_id = _location_id(location)
    _require_online_location(location_id, quota)
    group = _group_at(chosen, location_id)
    rules = _day_rules(group, now, quota)
    if not rules.allows_any(day):
        return []
    k = _units_for(group, chosen)
    low, high = engine.day_start(day), engine.day_start(day + timedelta(days=1))
    used, capacity = _used_field(quota), _capacity_field(quota)
    rows = Slot.objects.filter(group=group, location_id=location_id, start__gte=low,
                               start__lt=high).order_by("start").values_list(
        "id", "start", "end", capacity, used, "same_day_only")
    due = _due_units([group.pk], quota, now, location_id=location_id, low=low, high=high)
    usable = [(start, end, cap) for slot_id, start, end, cap, in_use, same_day in rows
              if in_use - due[slot_id] < cap and rules.allows(day, same_day)]
    return [timezone.localtime(start) for start in engine.chain_starts(usable, k, now)]


def _freed_rows(due: Counter, owners: dict[int, ServiceGroup], used: str, capacity: str) -> list[tuple]:
    """Rows (location, start, end, same_day_only, capacity) of full units that due appointments free."""
    rows = []
    for slot_id, loc_id, group_id, start, end, same_day, cap, in_use in Slot.objects.filter(
            id__in=list(due), **{f"{used}__gte": F(capacity)}).values_list(
            "id", "location_id", "group_id", "start", "end", "same_day_only", capacity, used):
        owner = owners.get(loc_id)
        if owner is not None and owner.pk == group_id and in_use - due[slot_id] < cap:
            rows.append((loc_id, start, end, same_day, cap))
    return rows


@dataclass(frozen=True)
class DayAvailability:
    """How many start times are free at one location on one day, and the earliest of them."""

    location_id: int
    day: date
    free_starts: int
    first_start: datetime


EPOCH_DAY = date(1970, 1, 1)


def _epoch_sql(column: str) -> str:
    """SQL for the whole seconds since 1970 (UTC) of a datetime column, as an integer.

    PostgreSQL: ``date_part`` (double precision) rather than ``EXTRACT`` (numeric, slower per row).
    SQLite: ``unixepoch()`` from 3.38 on, else ``strftime('%s')`` (about 50 % slower per row)."""
    if connection.vendor == "postgresql":
        return f"CAST(date_part('epoch', {column}) AS bigint)"
    if connection.Database.sqlite_version_info >= (3, 38):
        return f"unixepoch({column})"
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"


def _utc_offsets(low: datetime, high: datetime) -> list[tuple[int, int]]:
    """[(from epoch, UTC offset in seconds)] of the local zone between ``low`` and ``high``: the
    offset at ``low`` and each change (DST) after it, found by bisection per local day."""
    tz = local_zone()

    def offset(moment: int) -> int:
        return int(datetime.fromtimestamp(moment, tz).utcoffset().total_seconds())

    begin, end = int(low.timestamp()), int(high.timestamp())
    changes = [(begin, offset(begin))]
    probe = begin
    while probe < end:
        following = min(probe + 86400, end)
        if offset(following) != changes[-1][1]:
            lo, hi = probe, following  # offset(lo) is the old one, offset(hi) the new one
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset(mid) == changes[-1][1]:
                    lo = mid
                else:
                    hi = mid
            changes.append((hi, offset(hi)))
        probe = following
    return changes


def _local_day_sql(epoch: str, offsets: list[tuple[int, int]]) -> str:
    """SQL for the local day number (days since 1970-01-01 in the local zone) of ``epoch``: integer
    arithmetic with the zone's offsets (a CASE over the DST changes in the range), the same on
    SQLite and PostgreSQL. The numbers are our own integers, not user input."""
    if len(offsets) == 1:
        shift = str(int(offsets[0][1]))
    else:
        cases = " ".join(f"WHEN {epoch} < {int(since)} THEN {int(before)}"
                         for (since, _), (_, before) in zip(offsets[1:], offsets, strict=False))
        shift = f"CASE {cases} ELSE {int(offsets[-1][1])} END"
    return f"(({epoch} + {shift}) / 86400)"


def _scope_sql(owners: dict[int, ServiceGroup], location_id: int | None) -> tuple[str, list[int]]:
    """WHERE part (and parameters) for the slot rows of the owning group at each location."""
    qn = connection.ops.quote_name
    if location_id is not None:
        return f"{qn('group_id')} = %s AND {qn('location_id')} = %s", [owners[location_id].pk, location_id]
    by_group: dict[int, list[int]] = defaultdict(list)
    for loc_id, group in owners.items():
        by_group[group.pk].append(loc_id)
    if len(by_group) == 1:
        # Rows at locations the group no longer serves are skipped in Python (cheaper than IN).
        return f"{qn('group_id')} = %s", [next(iter(by_group))]
    parts, params = [], []
    for group_id, loc_ids in sorted(by_group.items()):
        marks = ", ".join(["%s"] * len(loc_ids))
        parts.append(f"({qn('group_id')} = %s AND {qn('location_id')} IN ({marks}))")
        params += [group_id, *sorted(loc_ids)]
    return "(" + " OR ".join(parts) + ")", params


def availability(services: Iterable[Service | int], from_date: date, days: int,
                 location: Location | int | None = None, quota: str = Quota.ONLINE,
                 now: datetime | None = None) -> list[DayAvailability]:
    """Free start times per location and day, for "frühester Termin überall" and a day picker.

    Sorted by day, then earliest start. Days without a free start are left out.

    One query over the free units of the range (an index range scan over ``(group, start)`` or
    ``(group, location, start)``), with starts as integers (seconds since 1970) and the local day
    computed in the database; no datetimes are built except for the first start of each day:

    * k = 1 (the services fit into one unit – the common case): the database counts the free,
      future units per location, local day and kind (same-day only or regular) – a few hundred
      rows instead of one per free unit;
    * k > 1: the free units in order, as integers, and a linear pass per location and day that
      finds the runs of k contiguous units (each unit starts where the previous ends; a chain
      never runs across a drop in capacity, ADR 0002).

    A second, tiny query (served by partial indexes) finds capacity held by due appointments,
    which counts as free. ``tests/appointments/test_availability_reference.py`` compares the
    result with a straightforward implementation on both database engines.
    """
    _check_quota(quota)
    now = _now(now)
    if days <= 0:
        return []
    chosen = _load_services(services, quota)
    location_id = _location_id(location) if location is not None else None
    if location_id is not None:
        _require_online_location(location_id, quota)
    owners = _groups_by_location(chosen, location_id, online_only=quota == Quota.ONLINE)
    groups = {group.pk: group for group in owners.values()}
    rules = {pk: _day_rules(group, now, quota) for pk, group in groups.items()}
    units = {pk: _units_for(group, chosen) for pk, group in groups.items()}
    today = engine.local_day(now)
    lower = max(from_date, today)
    # Regular units up to the end of the widest window; same-day units today in any case.
    upper = min(from_date + timedelta(days=days - 1), max(today, *(r.last for r in rules.values())))
    if lower > upper:
        return []
    low, high = engine.day_start(lower), engine.day_start(upper + timedelta(days=1))
    used, capacity = _used_field(quota), _capacity_field(quota)
    qn = connection.ops.quote_name
    start_epoch, end_epoch = _epoch_sql(qn("start")), _epoch_sql(qn("end"))
    day_sql = _local_day_sql(start_epoch, _utc_offsets(low, high))
    scope, scope_params = _scope_sql(owners, location_id)
    adapt = connection.ops.adapt_datetimefield_value
    where = (f"{scope} AND {qn('start')} >= %s AND {qn('start')} < %s AND {qn(used)} < {qn(capacity)}")
    params = [*scope_params, adapt(low), adapt(high)]
    table = qn(Slot._meta.db_table)
    # The SQL below is built from quoted identifiers and our own integers only; every value from
    # outside (ids, datetimes) is a query parameter.
    now_epoch = now.timestamp()

    due = _due_units(groups, quota, now, location_id=location_id, low=low, high=high)
    # Full units that become free once due appointments are released (a handful at most).
    freed = [(loc_id, int(start.timestamp()), int(end.timestamp()), same_day, cap)
             for loc_id, start, end, same_day, cap in _freed_rows(due, owners, used, capacity)] if due else []

    # (location, day) → [count, first start as epoch]
    counts: dict[tuple[int, date], list[int]] = {}
    if all(k == 1 for k in units.values()):
        with connection.cursor() as cursor:
            sql = (f"SELECT {qn('location_id')}, {qn('same_day_only')}, {day_sql}, COUNT(*), "  # noqa: S608
                   f"MIN({start_epoch}) FROM {table} WHERE {where} AND {qn('start')} > %s GROUP BY 1, 2, 3")
            cursor.execute(sql, [*params, adapt(now)])
            aggregated = cursor.fetchall()
        for loc_id, start, _end, same_day, _capacity in freed:
            if start > now_epoch:
                local = datetime.fromtimestamp(start, UTC).astimezone(local_zone())
                aggregated.append((loc_id, same_day, (local.date() - EPOCH_DAY).days, 1, start))
        for loc_id, same_day, day_number, count, first in aggregated:
            owner = owners.get(loc_id)
            if owner is None:
                continue  # units left over at a location where the group no longer has a schedule
            day = EPOCH_DAY + timedelta(days=day_number)
            if not rules[owner.pk].allows(day, bool(same_day)):
                continue
            entry = counts.get((loc_id, day))
            if entry is None:
                counts[(loc_id, day)] = [count, first]
            else:
                entry[0] += count
                entry[1] = min(entry[1], first)
    else:
        with connection.cursor() as cursor:
            sql = (f"SELECT {qn('location_id')}, {start_epoch}, {end_epoch}, {qn('same_day_only')}, "  # noqa: S608
                   f"{qn(capacity)}, {day_sql} FROM {table} WHERE {where} "
                   f"ORDER BY {qn('location_id')}, {qn('start')}")
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if freed:
            tz = local_zone()
            rows += [(loc_id, start, end, same_day, cap,
                      (datetime.fromtimestamp(start, UTC).astimezone(tz).date() - EPOCH_DAY).days)
                     for loc_id, start, end, same_day, cap in freed]
            rows.sort(key=lambda row: (row[0], row[1]))
        current_location, current_day = None, None
        window: deque[int] = deque()
        previous_end, previous_capacity = None, 0
        allowed_regular = allowed_same_day = False
        day = lower
        day_rules = next(iter(rules.values()))
        for loc_id, start, end, same_day, unit_capacity, day_number in rows:
            if loc_id != current_location:
                # Rows come sorted by location, then start: one linear pass per location.
                owner = owners.get(loc_id)
                if owner is None:
                    continue  # units left over at a location where the group no longer has a schedule
                current_location, current_day = loc_id, None
                day_rules, window, previous_end = rules[owner.pk], deque(maxlen=units[owner.pk]), None
            if day_number != current_day:
                current_day = day_number
                day = EPOCH_DAY + timedelta(days=day_number)
                allowed_regular, allowed_same_day = day_rules.allows(day, False), day_rules.allows(day, True)
                window.clear()
            if not (allowed_same_day if same_day else allowed_regular):
                window.clear()
                previous_end = None
                continue
            if start != previous_end or unit_capacity < previous_capacity:
                window.clear()  # not contiguous, or a counter closes: the chain starts again here
            window.append(start)
            previous_end, previous_capacity = end, unit_capacity
            if len(window) == window.maxlen and window[0] > now_epoch:
                entry = counts.get((loc_id, day))
                if entry is None:
                    counts[(loc_id, day)] = [1, window[0]]
                else:
                    entry[0] += 1
    zone = timezone.get_current_timezone()
    result = [DayAvailability(loc_id, day, count, datetime.fromtimestamp(first, zone))
              for (loc_id, day), (count, first) in counts.items()]
    result.sort(key=lambda item: (item.day, item.first_start, item.location_id))
    return result


# --- writes: releasing capacity ------------------------------------------------------------------------
def _claim_due(now: datetime, *, slot_ids: Sequence[int] | None = None,
               limit: int | None = None) -> list[tuple[int, str, str]]:
    """Lock the due appointments (ascending id) and mark them released, exactly once.

    Returns (id, status, quota) of each appointment claimed by this transaction. Rows another
    transaction released meanwhile drop out: on PostgreSQL ``FOR UPDATE`` re-checks the condition
    on the committed row; on SQLite writers are serialised anyway.
    """
    ids = _due_ids(now, slot_ids=slot_ids)[:limit]
    if not ids:
        return []
    return _claim(ids, now)


def _due_ids(now: datetime, *, slot_ids: Sequence[int] | None = None) -> list[int]:
    """Ids of the due appointments (on these units), ascending; a plain read without locks."""
    due = Appointment.objects.filter(_due_q(now))
    if slot_ids is not None:
        due = due.filter(units__slot_id__in=list(slot_ids))
    return sorted(set(due.order_by().values_list("pk", flat=True)))


def _claim(ids: Sequence[int], now: datetime) -> list[tuple[int, str, str]]:
    """Lock these due appointments in ascending id and mark them released (see _claim_due)."""
    claimed = list(Appointment.objects.select_for_update().filter(_due_q(now), pk__in=ids)
                   .order_by("pk").values_list("pk", "status", "quota"))
    expiring = [pk for pk, status, _quota in claimed if status in HOLDING]
    others = [pk for pk, status, _quota in claimed if status not in HOLDING]
    if expiring:
        Appointment.objects.filter(pk__in=expiring).update(
            status=Status.EXPIRED, capacity_released=True, updated_at=now)
    if others:
        Appointment.objects.filter(pk__in=others).update(capacity_released=True, updated_at=now)
    return claimed


def _units_of(claimed: Sequence[tuple[int, str, str]]) -> Counter:
    """(slot id, quota) → number of units the claimed appointments held there."""
    if not claimed:
        return Counter()
    return Counter(AppointmentSlot.objects.filter(appointment_id__in=[row[0] for row in claimed])
                   .values_list("slot_id", "appointment__quota"))


def _take_units(slot_ids: Sequence[int], quota: str) -> None:
    """Count one more use of each unit – only where a unit still has room, all or nothing."""
    used_field, capacity_field = _used_field(quota), _capacity_field(quota)
    taken = Slot.objects.filter(pk__in=slot_ids, **{f"{used_field}__lt": F(capacity_field)}).update(
        **{used_field: F(used_field) + 1})
    if taken != len(slot_ids):
        raise SlotUnavailable()


def _lock_slots(slot_ids: Iterable[int]) -> dict[int, Slot]:
    """``SELECT … FOR UPDATE`` of the slot rows in ascending id: the fixed lock order."""
    ids = sorted(set(slot_ids))
    if not ids:
        return {}
    return {slot.pk: slot for slot in Slot.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def _decrement(units: Counter) -> None:
    """Give the counted units back (rows must be locked already)."""
    by_delta: dict[tuple[str, int], list[int]] = defaultdict(list)
    for (slot_id, quota), count in units.items():
        by_delta[(quota, count)].append(slot_id)
    for (quota, count), slot_ids in by_delta.items():
        used = _used_field(quota)
        Slot.objects.filter(pk__in=slot_ids).update(**{used: F(used) - count})


def release_due_capacity(now: datetime | None = None) -> int:
    """Release the capacity of every due appointment; returns how many were released.

    Due are: holds and pending e-mail confirmations whose ``hold_expires_at`` has passed (they
    become EXPIRED) and cancellations whose ``capacity_release_at`` has passed. Each appointment's
    units are given back exactly once (``capacity_released``). Runs in batches, one transaction
    each; the periodic task calls it (``tasks.py``).
    """
    now = _now(now)
    total = 0
    while True:
        with transaction.atomic():
            claimed = _claim_due(now, limit=RELEASE_BATCH)
            units = _units_of(claimed)
            _lock_slots(slot_id for slot_id, _quota in units)
            _decrement(units)
            if claimed:
                _invalidate_on_commit(Slot.objects.filter(pk__in={slot_id for slot_id, _quota in units})
                                      .values_list("group_id", flat=True).distinct())
        total += len(claimed)
        if len(claimed) < RELEASE_BATCH:
            return total


# --- writes: booking ------------------------------------------------------------------------------
def _same_request(existing: Appointment, location_id: int, start: datetime, quota: str) -> Appointment:
    if (existing.location_id, existing.start, existing.quota) != (location_id, start, quota):
        raise BookingError(_("Diese Anfrage wurde bereits mit anderen Angaben gesendet."))
    return existing


def hold_slot(services: Iterable[Service | int], location: Location | int, start: datetime, *,
              quota: str = Quota.ONLINE, idempotency_key: str | None = None, booked_by=None,
              hold_minutes: int | None = None, now: datetime | None = None,
              key_is_new: bool = False, holder: str = "", holder_browser: str = "") -> Appointment:
    """Reserve the units from ``start`` for the chosen services; returns the HELD appointment.

    The hold lasts the group's ``hold_minutes`` unless ``hold_minutes`` is given (a waitlist offer
    holds longer); :func:`confirm_booking` turns it into a booking. The same
    ``idempotency_key`` (e.g. from a hidden form field) always returns the same appointment and
    books once, also when both requests race. Raises :class:`SlotUnavailable` when the time is
    taken and :class:`BookingError` for bad input; nothing is written in either case.
    ``key_is_new``: the caller has just found no appointment with this key (one query less; a
    request with the same key that races past is still caught by the unique constraint).
    ``holder`` / ``holder_browser``: keyed hashes of the citizen's address and browser
    (``holdguard.py``).
    """
    now = _now(now)
    _check_quota(quota)
    if not isinstance(start, datetime) or timezone.is_naive(start):
        raise BookingError(_("Ungültige Uhrzeit."))
    if quota == Quota.INTERNAL and booked_by is None:
        raise BookingError(_("Das interne Kontingent können nur Mitarbeitende buchen."))
    if idempotency_key is not None:
        idempotency_key = str(idempotency_key).strip()
        if not idempotency_key or len(idempotency_key) > 100:
            raise BookingError(_("Ungültige Anfrage. Bitte laden Sie die Seite neu."))
    location_id = _location_id(location)
    try:
        with transaction.atomic():
            return _hold(services, location_id, start, quota=quota, idempotency_key=idempotency_key,
                         booked_by=booked_by, hold_minutes=hold_minutes, now=now,
                         key_is_new=key_is_new, holder=holder, holder_browser=holder_browser)
    except IntegrityError as exc:
        # A concurrent request with the same idempotency key won, or a check constraint fired.
        if idempotency_key:
            existing = Appointment.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return _same_request(existing, location_id, start, quota)
        raise SlotUnavailable() from exc


def _hold(services, location_id: int, start: datetime, *, quota: str, idempotency_key: str | None,
          booked_by, hold_minutes: int | None, now: datetime, key_is_new: bool = False,
          holder: str = "", holder_browser: str = "") -> Appointment:
    if idempotency_key and not key_is_new:
        existing = Appointment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_request(existing, location_id, start, quota)
    chosen = _load_services(services, quota)
    _require_online_location(location_id, quota)
    group = _group_at(chosen, location_id)
    if start <= now:
        raise BookingError(_("Termine in der Vergangenheit können nicht gebucht werden."))
    rules = _day_rules(group, now, quota)
    day = engine.local_day(start)
    if not rules.allows_any(day):
        raise BookingError(_("Dieser Tag ist (noch) nicht buchbar."))

    # The k units from start: contiguous, all on the same day.
    k = _units_for(group, chosen)
    used_field, capacity_field = _used_field(quota), _capacity_field(quota)
    units = list(Slot.objects.filter(
        group=group, location_id=location_id, start__gte=start,
        start__lt=start + timedelta(minutes=k * group.slot_minutes),
    ).order_by("start").values_list("id", "start", "end", "same_day_only", used_field, capacity_field))
    if len(units) != k or units[0][1] != start or any(
            units[i][1] != units[i - 1][2] for i in range(1, k)) or engine.local_day(units[-1][1]) != day:
        raise SlotUnavailable()
    for _id, _start, _end, same_day, _used, _capacity in units:
        if not rules.allows(day, same_day):
            if same_day:
                raise BookingError(_("Dieser Termin ist nur am selben Tag buchbar."))
            raise BookingError(_("Dieser Tag ist (noch) nicht buchbar."))
    slot_ids = [unit[0] for unit in units]

    # Refuse before taking any lock when the units are taken as last committed (the crowd at
    # release time): a unit is full and no due appointment could free it, or a counter closes
    # during the appointment. Both are checked again under the row locks below – this read only
    # ever refuses what a request a moment earlier would have been refused anyway.
    due_ids = _due_ids(now, slot_ids=slot_ids)
    if not due_ids and (any(in_use >= cap for *_rest, in_use, cap in units)
                        or engine.crosses_capacity_drop([unit[5] for unit in units])):
        raise SlotUnavailable()

    # Lock order: due appointments on these units, then all slot rows involved, by ascending id.
    # One unit and nothing to claim (the common case): no explicit lock. The conditional update is
    # the whole guard (it locks the row itself; a single unit has no capacity drop) and it runs
    # last, right before the commit, so the row stays locked for one statement – at release time
    # the others queue for that lock, not for this request's inserts.
    locks_first = bool(due_ids) or k > 1
    if locks_first:
        claimed = _claim(due_ids, now) if due_ids else []
        released = _units_of(claimed)
        locked = _lock_slots([*slot_ids, *(slot_id for slot_id, _quota in released)])
        _decrement(released)
        if engine.crosses_capacity_drop([locked[slot_id].capacity(quota) for slot_id in slot_ids]):
            raise SlotUnavailable()  # a counter closes during the appointment (ADR 0002)
        for slot_id in slot_ids:
            slot = locked[slot_id]
            if slot.used(quota) - released[(slot_id, quota)] >= slot.capacity(quota):
                raise SlotUnavailable()
        _take_units(slot_ids, quota)

    appointment = Appointment.objects.create(
        status=Status.HELD, group=group, location_id=location_id, start=start, end=units[-1][2],
        quota=quota, hold_expires_at=now + timedelta(minutes=hold_minutes or group.hold_minutes),
        idempotency_key=idempotency_key, booked_by=booked_by, holder=holder, holder_browser=holder_browser,
    )
    AppointmentService.objects.bulk_create(
        AppointmentService(appointment=appointment, service=service, position=position)
        for position, service in enumerate(chosen))
    AppointmentSlot.objects.bulk_create(
        AppointmentSlot(appointment=appointment, slot_id=slot_id) for slot_id in slot_ids)
    if not locks_first:
        _take_units(slot_ids, quota)  # refused: the transaction rolls the inserts back
    appointment.remember_services(chosen)
    _invalidate_on_commit([group.pk])
    return appointment


# --- writes: citizen details and confirmation --------------------------------------------------------
def normalise_phone(raw: str) -> str:
    """A German or international phone number in E.164, or :class:`BookingError`."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, "DE")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise BookingError(_("Bitte geben Sie eine gültige Telefonnummer an."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalised_details(*, name: str, email: str, phone: str, case_number: str, interpreter_language: str,
                       note: str, phone_label: str, error: type[Exception]) -> dict[str, str]:
    """A person's details as a booking or a waitlist entry takes them: whitespace normalised, e-mail
    lower-cased, lengths within ``FIELD_LIMITS``, a name given (else ``error`` with a German text)."""
    details = {
        "name": " ".join(str(name or "").split()),
        "email": str(email or "").strip().lower(),
        "phone": str(phone or "").strip(),
        "case_number": str(case_number or "").strip(),
        "interpreter_language": str(interpreter_language or "").strip(),
        "note": str(note or "").strip(),
    }
    labels = {"name": _("Name"), "email": _("E-Mail"), "phone": phone_label,
              "case_number": _("Aktenzeichen"), "interpreter_language": _("Dolmetscher für Sprache"),
              "note": _("Hinweis")}
    for field, limit in FIELD_LIMITS.items():
        if len(details[field]) > limit:
            raise error(_("Die Angabe „%(field)s“ ist zu lang (höchstens %(max)d Zeichen).")
                        % {"field": labels[field], "max": limit})
    if not details["name"]:
        raise error(_("Bitte geben Sie Ihren Namen an."))
    return details


def _clean_details(*, name: str, email: str, phone: str, case_number: str, interpreter_language: str,
                   wheelchair: bool, sign_language: bool, note: str) -> dict:
    details = normalised_details(name=name, email=email, phone=phone, case_number=case_number,
                                 interpreter_language=interpreter_language, note=note,
                                 phone_label=_("Telefon"), error=BookingError)
    if details["email"]:
        try:
            validate_email(details["email"])
        except ValidationError:
            raise BookingError(_("Bitte geben Sie eine gültige E-Mail-Adresse an.")) from None
    details["phone"] = normalise_phone(details["phone"])
    details["wheelchair"] = bool(wheelchair)
    details["sign_language"] = bool(sign_language)
    details["person_key"] = details["email"] or details["phone"]
    return details


def _lock_person(group_id: int, keys: Iterable[str]) -> None:
    """Serialise confirmations of one person in one group (the per-person cap).

    PostgreSQL: transaction-scoped advisory locks, taken in sorted order. SQLite: the IMMEDIATE
    write transaction already serialises all writers.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            digest = hashlib.blake2b(f"appointments:{group_id}:{key}".encode(), digest_size=8).digest()
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])


def _locked_appointment(appointment: Appointment | int) -> Appointment:
    pk = appointment.pk if isinstance(appointment, Appointment) else appointment
    found = Appointment.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise BookingError(_("Dieser Termin wurde nicht gefunden."))
    return found


def confirm_booking(appointment: Appointment | int, *, name: str, email: str = "", phone: str = "",
                    case_number: str = "", interpreter_language: str = "", wheelchair: bool = False,
                    sign_language: bool = False, note: str = "", email_verified: bool = False,
                    now: datetime | None = None) -> Appointment:
    """Add the citizen's details to a hold and book it; returns the updated appointment.

    CONFIRMED, or PENDING_CONFIRMATION when the group requires an e-mail link (valid for
    ``confirm_minutes``; see :func:`confirm_pending`). Raises :class:`HoldExpired` when the hold
    ran out and :class:`BookingError` when the person already has ``max_active_per_person`` active
    bookings in the group. A second submission of the same form returns the booking unchanged.
    """
    now = _now(now)
    details = _clean_details(name=name, email=email, phone=phone, case_number=case_number,
                             interpreter_language=interpreter_language, wheelchair=wheelchair,
                             sign_language=sign_language, note=note)
    pk = appointment.pk if isinstance(appointment, Appointment) else appointment
    with transaction.atomic():
        # The group never changes, so an instance's group_id can be trusted before the lock.
        group_id = (appointment.group_id if isinstance(appointment, Appointment) else
                    Appointment.objects.filter(pk=pk).values_list("group_id", flat=True).first())
        if group_id is None:
            raise BookingError(_("Dieser Termin wurde nicht gefunden."))
        person_keys = [key for key in (details["email"], details["phone"]) if key]
        _lock_person(group_id, person_keys)
        current = _locked_appointment(pk)
        if current.status in (Status.CONFIRMED, Status.PENDING_CONFIRMATION):
            return current
        if current.status == Status.EXPIRED or (
                current.status == Status.HELD and current.hold_expires_at <= now):
            raise HoldExpired()
        if current.status != Status.HELD:
            raise BookingError(_("Dieser Termin kann nicht mehr bestätigt werden."))
        group = ServiceGroup.objects.get(pk=group_id)
        needs_link = (group.require_email_confirmation and not email_verified
                      and current.quota == Quota.ONLINE)
        if needs_link and not details["email"]:
            raise BookingError(_("Bitte geben Sie Ihre E-Mail-Adresse an. Sie erhalten einen Link, "
                                 "mit dem Sie den Termin bestätigen."))
        if current.quota == Quota.ONLINE and not person_keys:
            raise BookingError(_("Bitte geben Sie eine E-Mail-Adresse oder eine Mobilnummer an."))
        if group.max_active_per_person and person_keys:
            same_person = Q(person_key__in=person_keys)
            if details["email"]:
                same_person |= Q(email=details["email"])
            if details["phone"]:
                same_person |= Q(phone=details["phone"])
            active = (Appointment.objects.filter(same_person, group_id=group_id, end__gt=now)
                      .filter(Q(status=Status.CONFIRMED)
                              | Q(status=Status.PENDING_CONFIRMATION, hold_expires_at__gt=now))
                      .exclude(pk=current.pk).count())
            if active >= group.max_active_per_person:
                raise BookingError(_("Sie haben für diese Leistung bereits einen Termin gebucht. Bitte "
                                     "sagen Sie diesen zuerst ab, wenn Sie einen neuen Termin möchten."))
        for field, value in details.items():
            setattr(current, field, value)
        if needs_link:
            current.status = Status.PENDING_CONFIRMATION
            current.hold_expires_at = now + timedelta(minutes=group.confirm_minutes)
        else:
            current.status = Status.CONFIRMED
            current.confirmed_at = now
            current.hold_expires_at = None
            current.holder = current.holder_browser = ""  # only needed while the hold is open
        current.save(update_fields=[*details, "status", "hold_expires_at", "confirmed_at", "holder",
                                    "holder_browser", "updated_at"])
    return current


def confirm_pending(appointment: Appointment | int, *, now: datetime | None = None) -> Appointment:
    """The citizen clicked the e-mail link: PENDING_CONFIRMATION → CONFIRMED (idempotent)."""
    now = _now(now)
    with transaction.atomic():
        current = _locked_appointment(appointment)
        if current.status == Status.CONFIRMED:
            return current
        if current.status == Status.EXPIRED or (
                current.status == Status.PENDING_CONFIRMATION and current.hold_expires_at <= now):
            raise HoldExpired(_("Der Bestätigungslink ist abgelaufen. Bitte buchen Sie den Termin erneut."))
        if current.status != Status.PENDING_CONFIRMATION:
            raise BookingError(_("Dieser Termin kann nicht mehr bestätigt werden."))
        current.status = Status.CONFIRMED
        current.confirmed_at = now
        current.hold_expires_at = None
        current.holder = current.holder_browser = ""  # only needed while the hold is open
        current.save()
    return current


# --- writes: cancellation and the day of the appointment ------------------------------------------
def cancel_appointment(appointment: Appointment | int, *, now: datetime | None = None) -> Appointment:
    """Cancel a hold or booking. Its capacity stays occupied for ``cancel_release_delay_minutes``
    (against resale bots; a hold at most until it would have expired anyway), then
    :func:`release_due_capacity` gives it back. Cancelling twice is harmless."""
    now = _now(now)
    with transaction.atomic():
        current = _locked_appointment(appointment)
        if current.status == Status.CANCELLED:
            return current
        if current.status not in (*HOLDING, Status.CONFIRMED):
            raise BookingError(_("Dieser Termin kann nicht mehr storniert werden."))
        if current.start <= now:
            raise BookingError(_("Termine, die bereits begonnen haben, können nicht mehr storniert werden."))
        delay = ServiceGroup.objects.filter(pk=current.group_id).values_list(
            "cancel_release_delay_minutes", flat=True).get()
        release_at = now + timedelta(minutes=delay)
        if current.status in HOLDING and current.hold_expires_at is not None:
            release_at = min(release_at, current.hold_expires_at)
        current.status = Status.CANCELLED
        current.cancelled_at = now
        current.capacity_release_at = None if current.capacity_released else release_at
        current.save()
        _invalidate_on_commit([current.group_id])
    return current


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


DETAIL_FIELDS = ("name", "email", "phone", "case_number", "interpreter_language", "wheelchair",
                 "sign_language", "note")


def reschedule(old: Appointment | int, new: Appointment | int, *, now: datetime | None = None,
               ) -> Appointment:
    """Move a booking to a newly held time: the hold ``new`` gets the details of ``old`` and is
    booked, ``old`` is cancelled — in one transaction, so either both happen or neither.

    The e-mail address was confirmed with the first booking, so no new confirmation link is needed.
    """
    now = _now(now)
    old_pk = old.pk if isinstance(old, Appointment) else old
    new_pk = new.pk if isinstance(new, Appointment) else new
    with transaction.atomic():
        # Lock order: appointments in ascending id.
        locked = {pk: _locked_appointment(pk) for pk in sorted((old_pk, new_pk))}
        current, held = locked[old_pk], locked[new_pk]
        if current.status != Status.CONFIRMED:
            raise BookingError(_("Nur gebuchte Termine können verschoben werden."))
        if held.quota != current.quota or held.status != Status.HELD:
            raise BookingError(_("Der neue Termin ist nicht (mehr) reserviert."))
        details = {field: getattr(current, field) for field in DETAIL_FIELDS}
        cancel_appointment(current, now=now)
        booked = confirm_booking(held, now=now, email_verified=True, **details)
        Appointment.objects.filter(pk=booked.pk).update(language=current.language, staff=current.staff)
        booked.language, booked.staff = current.language, current.staff
        link_move(current, booked)
    return booked


def link_move(old: Appointment, new: Appointment) -> None:
    """``new`` replaces ``old`` for the citizen: same calendar event (UID), next version (SEQUENCE)."""
    new.rescheduled_from = old
    new.calendar_uid = old.calendar_code
    new.calendar_sequence = old.calendar_sequence + 1
    new.save(update_fields=["rescheduled_from", "calendar_uid", "calendar_sequence", "updated_at"])


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
        _invalidate_on_commit([current.pk])
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
    _invalidate_on_commit(group_ids)


# --- privacy: retention, access and erasure (called by the privacy app, docs/privacy/loeschkonzept.md) ---
# What a booking keeps once its personal details are removed: times, services, location, status,
# quota and the staff references – everything the reports and the public promise count.
PERSONAL_BLANKS = {
    "name": "",
    "email": "",
    "phone": "",
    "case_number": "",
    "interpreter_language": "",
    "note": "",
    "person_key": "",
    "holder": "",
    "holder_browser": "",
    "wheelchair": False,
    "sign_language": False,
    "idempotency_key": None,
}
_HAS_PERSONAL_DATA = (
    ~Q(name="") | ~Q(email="") | ~Q(phone="") | ~Q(case_number="") | ~Q(note="") | ~Q(person_key="")
    | ~Q(interpreter_language="") | Q(wheelchair=True) | Q(sign_language=True)
)


def _anonymise(queryset, batch_size: int) -> int:
    done = 0
    while True:
        due = queryset.filter(_HAS_PERSONAL_DATA).order_by("pk")
        batch = list(due.values_list("pk", flat=True)[:batch_size])
        if not batch:
            return done
        with transaction.atomic():
            done += Appointment.objects.filter(pk__in=batch).update(**PERSONAL_BLANKS)


def purge_personal_data(before: datetime, *, batch_size: int = 500) -> int:
    """Remove the citizen's details from every appointment that started before ``before`` (in batches
    of ``batch_size``, each in its own transaction); the rows stay for the statistics. Idempotent."""
    return _anonymise(Appointment.objects.filter(start__lt=before), batch_size)


def _person_q(emails: Iterable[str], phones: Iterable[str]) -> Q:
    keys = [e.strip().lower() for e in emails if e.strip()] + [p.strip() for p in phones if p.strip()]
    if not keys:
        return Q(pk__in=[])
    query = Q(person_key__in=keys) | Q(phone__in=[p for p in keys if p.startswith("+")])
    for email in (k for k in keys if "@" in k):
        query |= Q(email__iexact=email)
    return query


def _of_person(emails, phones, authority_id: int | None):
    found = Appointment.objects.filter(_person_q(list(emails), list(phones)))
    return found if authority_id is None else found.filter(location__authority_id=authority_id)


def personal_data_of(*, emails: Iterable[str] = (), phones: Iterable[str] = (),
                     authority_id: int | None = None) -> list[dict]:
    """Art. 15: every appointment booked with one of these e-mail addresses or phone numbers (never
    matched by name: a namesake's bookings stay out), optionally of one authority only."""
    rows = []
    for appointment in (_of_person(emails, phones, authority_id)
                        .select_related("location").order_by("start", "pk")):
        rows.append({
            "code": appointment.code,
            "status": appointment.get_status_display(),
            "location": appointment.location.name,
            "start": appointment.start.isoformat(),
            "services": [service.name for service in appointment.service_list],
            "name": appointment.name,
            "email": appointment.email,
            "phone": appointment.phone,
            "case_number": appointment.case_number,
            "interpreter_language": appointment.interpreter_language,
            "wheelchair": appointment.wheelchair,
            "sign_language": appointment.sign_language,
            "note": appointment.note,
            "language": appointment.language,
            "created_at": appointment.created_at.isoformat(),
        })
    return rows


def erase_person(*, emails: Iterable[str] = (), phones: Iterable[str] = (), authority_id: int | None = None,
                 batch_size: int = 500) -> int:
    """Art. 17: remove the details of every appointment booked with these contacts; the number."""
    return _anonymise(_of_person(emails, phones, authority_id), batch_size)
