"""Appointments: the capacity counters – materialising the time units from the schedules, and
releasing the capacity of due appointments (the primitives :mod:`.booking` uses under its locks).

Only this package changes ``*_used``; the invariant and the lock order are in ``__init__.py``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F

from buergerkontakt.core.calendar import BusinessCalendar, local_zone
from buergerkontakt.core.models import Location
from buergerkontakt.directory.hours import calendar_for
from buergerkontakt.directory.models import HoursKind

from .. import availability_cache, engine
from ..booking_rules import HOLDING, Status, _capacity_field, _due_q, _now, _used_field
from ..exceptions import SlotUnavailable
from ..models import Appointment, AppointmentSlot, Schedule, ServiceGroup, Slot

RELEASE_BATCH = 500


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
            availability_cache.invalidate_after_commit([group.pk])
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
                slot_ids = {slot_id for slot_id, _quota in units}
                availability_cache.invalidate_after_commit(
                    Slot.objects.filter(pk__in=slot_ids).values_list("group_id", flat=True).distinct()
                )
        total += len(claimed)
        if len(claimed) < RELEASE_BATCH:
            return total
