"""Appointments: the availability reads – what citizens, the API and the staff pages see as free.

Free start times of a day (:func:`free_starts`), free starts per location and day
(:func:`availability`, for "frühester Termin überall" and the day picker), the services and
locations that can be booked online, and the checks of a chosen day. Capacity held by due
appointments (expired holds, expired e-mail confirmations, cancellations whose release delay has
passed) counts as free here; the writes (``services/``) release it before they book. The capacity
invariant and the lock order are described in ``services/__init__.py``.

All functions take an optional ``now`` (aware datetime) for tests and simulations.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerkontakt.core.calendar import local_zone
from buergerkontakt.core.models import Location
from buergerkontakt.directory.models import Service

from . import engine
from .booking_rules import (
    HOLDING,
    _capacity_field,
    _check_quota,
    _day_rules,
    _group_at,
    _groups_by_location,
    _load_services,
    _location_id,
    _now,
    _require_online_location,
    _units_for,
    _used_field,
    bookable_range,
)
from .exceptions import BookingError
from .models import Appointment, AppointmentSlot, Quota, Schedule, ServiceGroup, Slot

__all__ = [
    "DayAvailability",
    "availability",
    "bookable_range",
    "bookable_services",
    "check_day",
    "free_starts",
    "group_for",
    "locations_for",
    "online_location_ids",
    "resolve_services",
]


def online_location_ids(service: Service | None = None) -> set[int]:
    """Public locations that take online bookings and have a schedule of a group with a public,
    online-bookable service (``service`` if given) – where "online buchbar" may be said."""
    # One filter call: the same service is online-bookable, public and offered at the location.
    one_service = {"group__services": service} if service is not None else {}
    rows = Schedule.objects.filter(location__offers_online_booking=True, location__is_public=True,
                                   group__services__online_bookable=True, group__services__is_public=True,
                                   group__services__locations=F("location"), **one_service)
    return set(rows.order_by().values_list("location_id", flat=True).distinct())


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
