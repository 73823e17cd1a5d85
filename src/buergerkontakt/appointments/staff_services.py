"""The staff side of appointments: who sees which appointments, calendars, assignment, rescheduling.

Visibility (deny by default)
============================
Only four roles work with appointments: ``agent`` (phone centre, reception), ``caseworker``,
``teamlead`` and ``admin``. Each role assignment contributes what it covers, always restricted to
the assignment's authority (staff never see another authority's appointments):

* ``admin`` and ``agent``: every appointment within the assignment's scope: the whole authority,
  one location, or, for a team-scoped assignment, that team's appointments.
* ``teamlead`` and ``caseworker``: the appointments of the teams the assignment covers (one team;
  for a location or authority scope every team there) — plus, for everybody, the appointments
  assigned to the user personally ("own calendar").

A **team's appointments** are those assigned to one of its members (``Appointment.staff``) *or*
containing a service the team handles (``Service.teams``). The union is deliberate: unassigned
appointments show up in the calendar of every team responsible for one of their services, so
nobody's visit falls through the cracks; once assigned they also show up in the assignee's teams.

Writes that change capacity or status go through ``services.py`` (and ``citizen.cancel`` for a
cancellation, so the citizen is told); this module adds the staff-only steps around them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerkontakt.core.locks import for_update
from buergerkontakt.core.models import Location, Role, Team, User
from buergerkontakt.core.permissions import (
    assignments,
    authority_ids_for,
    has_role,
    locations_q,
    team_ids_for,
)
from buergerkontakt.directory.models import Service

from . import citizen, engine, notifications, queries, services
from .exceptions import BookingError
from .models import Appointment, Quota, ServiceGroup, Slot

Status = Appointment.Status

CALENDAR_ROLES = (Role.AGENT, Role.CASEWORKER, Role.TEAMLEAD, Role.ADMIN)
# Book on the internal quota for a caller (phone centre, reception, administrators).
BOOKING_ROLES = (Role.AGENT, Role.ADMIN)
# Status changes on the day (check-in, no-show, done) and cancel / reschedule on behalf.
ACTION_ROLES = CALENDAR_ROLES
# Assign an appointment to a colleague (caseworkers only to themselves).
ASSIGN_ROLES = (Role.TEAMLEAD, Role.ADMIN, Role.CASEWORKER)
# Who can be assigned an appointment.
SERVING_ROLES = (Role.CASEWORKER, Role.TEAMLEAD)
BROAD_ROLES = (Role.ADMIN, Role.AGENT)

# Appointments shown in calendars: everything that still is or was a visit.
SHOWN_STATUSES = (Status.HELD, Status.PENDING_CONFIRMATION, Status.CONFIRMED, Status.CHECKED_IN,
                  Status.COMPLETED, Status.NO_SHOW)


# --- visibility ------------------------------------------------------------------------------------
def team_q(team_ids) -> Q:
    """Appointments of the given teams (see the module docstring)."""
    team_ids = list(team_ids)
    return Q(staff__teams__in=team_ids) | Q(service_rows__service__teams__in=team_ids)


def _visible_q(user, roles=CALENDAR_ROLES) -> Q | None:
    """One Q for everything the user's assignments in ``roles`` cover (None: nothing)."""
    condition: Q | None = None

    def add(q: Q) -> None:
        nonlocal condition
        condition = q if condition is None else condition | q

    for assignment in assignments(user):
        if assignment.role not in roles or not assignment.authority_id:
            continue
        in_authority = Q(location__authority_id=assignment.authority_id)
        if assignment.team_id is not None:
            add(in_authority & team_q([assignment.team_id]))
        elif assignment.role in BROAD_ROLES:
            if assignment.location_id is not None:
                add(in_authority & Q(location_id=assignment.location_id))
            else:
                add(in_authority)
        else:
            teams = Team.objects.filter(authority_id=assignment.authority_id)
            if assignment.location_id is not None:
                teams = teams.filter(location_id=assignment.location_id)
            add(in_authority & team_q(teams.values_list("pk", flat=True)))
        add(in_authority & Q(staff=user))
    return condition


def visible_appointments(user, roles=CALENDAR_ROLES) -> QuerySet[Appointment]:
    """All appointments the user may see (in ``roles``), without duplicates."""
    condition = _visible_q(user, roles)
    if condition is None:
        return Appointment.objects.none()
    ids = Appointment.objects.filter(condition).values("pk")
    return Appointment.objects.filter(pk__in=ids)


def can_see(user, appointment: Appointment, roles=CALENDAR_ROLES) -> bool:
    return visible_appointments(user, roles).filter(pk=appointment.pk).exists()


def visible_locations(user) -> QuerySet[Location]:
    """Locations the user may pick in the calendar filter (capacity is no personal data)."""
    condition = Q(pk__in=[])
    for assignment in assignments(user):
        if assignment.role not in CALENDAR_ROLES or not assignment.authority_id:
            continue
        if assignment.role in BROAD_ROLES and assignment.location_id is not None:
            condition |= Q(pk=assignment.location_id)
        elif assignment.role in BROAD_ROLES and assignment.team_id is None:
            condition |= Q(authority_id=assignment.authority_id)
        else:
            condition |= Q(authority_id=assignment.authority_id, appointment_schedules__isnull=False)
    return Location.objects.filter(pk__in=Location.objects.filter(condition).values("pk")).order_by("name")


def visible_teams(user) -> QuerySet[Team]:
    ids = team_ids_for(user, *CALENDAR_ROLES)
    return Team.objects.filter(pk__in=ids, authority_id__in=authority_ids_for(user, *CALENDAR_ROLES)
                               ).order_by("name")


def visible_people(user) -> QuerySet[User]:
    """Colleagues whose personal calendar the user may filter by (members of visible teams, self)."""
    authorities = authority_ids_for(user, *CALENDAR_ROLES)
    serving = User.objects.filter(is_active=True, authority_id__in=authorities,
                                  role_assignments__role__in=SERVING_ROLES)
    if any(a.role in BROAD_ROLES and a.team_id is None and a.location_id is None
           for a in assignments(user) if a.role in CALENDAR_ROLES):
        people = serving
    else:
        people = serving.filter(Q(teams__in=visible_teams(user)) | Q(pk=user.pk))
    return User.objects.filter(pk__in=people.values("pk")).order_by("last_name", "first_name", "username")


def bookable_locations(user) -> QuerySet[Location]:
    """Locations where the user may book on the internal quota."""
    return (Location.objects.filter(locations_q(user, *BOOKING_ROLES), appointment_schedules__isnull=False)
            .distinct().order_by("name"))


def bookable_services(user) -> QuerySet[Service]:
    """Services with appointments at a location where the user may book."""
    locations = bookable_locations(user)
    groups = ServiceGroup.objects.filter(schedules__location__in=locations)
    return Service.objects.filter(service_groups__in=groups).distinct().order_by("name")


# --- calendars -------------------------------------------------------------------------------------
@dataclass
class Capacity:
    """Free and total capacity of one group in one time unit (or summed over a day)."""

    group: ServiceGroup
    online_free: int = 0
    online_total: int = 0
    internal_free: int = 0
    internal_total: int = 0

    @property
    def full(self) -> bool:
        return self.online_free + self.internal_free <= 0


@dataclass
class Row:
    """One line of the day calendar: a time with the appointments starting then and the capacity."""

    start: datetime
    appointments: list[Appointment] = field(default_factory=list)
    capacity: dict[int, Capacity] = field(default_factory=dict)
    ongoing: list[Appointment] = field(default_factory=list)  # started earlier, still running


@dataclass
class Filters:
    location: Location | None = None
    team: Team | None = None
    person: User | None = None


def calendar_appointments(user, start: datetime, end: datetime, filters: Filters,
                          now: datetime | None = None) -> list[Appointment]:
    """Visible appointments starting in [start, end) with the filters applied, in time order."""
    now = now or timezone.now()
    found = visible_appointments(user).filter(start__gte=start, start__lt=end, status__in=SHOWN_STATUSES)
    found = found.exclude(status__in=services.HOLDING, hold_expires_at__lte=now)
    if filters.location is not None:
        found = found.filter(location=filters.location)
    if filters.team is not None:
        found = found.filter(pk__in=Appointment.objects.filter(team_q([filters.team.pk])).values("pk"))
    if filters.person is not None:
        found = found.filter(staff=filters.person)
    result = list(found.select_related("location", "staff", "group").prefetch_related(
        "service_rows__service").order_by("start", "pk"))
    for appointment in result:
        appointment.shown_services = [row.service for row in appointment.service_rows.all()]
    return result


def _capacities(location: Location, start: datetime, end: datetime, now: datetime
                ) -> dict[datetime, dict[int, Capacity]]:
    """unit start → group id → free capacity at ``location``; due appointments count as free
    (the same rule as ``services.free_starts``)."""
    slots = list(Slot.objects.filter(location=location, start__gte=start, start__lt=end)
                 .select_related("group").order_by("start", "group__name"))
    result: dict[datetime, dict[int, Capacity]] = defaultdict(dict)
    if not slots:
        return result
    group_ids = {slot.group_id for slot in slots}
    due = {quota: queries._due_units(group_ids, quota, now, location_id=location.pk, low=start, high=end)
           for quota in Quota.values}
    for slot in slots:
        online_used = slot.online_used - due[Quota.ONLINE][slot.pk]
        internal_used = slot.internal_used - due[Quota.INTERNAL][slot.pk]
        result[timezone.localtime(slot.start)][slot.group_id] = Capacity(
            slot.group, max(slot.online_capacity - online_used, 0), slot.online_capacity,
            max(slot.internal_capacity - internal_used, 0), slot.internal_capacity)
    return result


def day_calendar(user, day: date, filters: Filters, now: datetime | None = None) -> dict:
    """Rows of the day view: every unit of the chosen location plus every appointment start."""
    now = now or timezone.now()
    low, high = engine.day_start(day), engine.day_start(day + timedelta(days=1))
    appointments = calendar_appointments(user, low, high, filters, now)
    capacity = _capacities(filters.location, low, high, now) if filters.location else {}
    rows: dict[datetime, Row] = {}
    for moment, groups in capacity.items():
        rows[moment] = Row(moment, capacity=groups)
    for appointment in appointments:
        moment = timezone.localtime(appointment.start)
        rows.setdefault(moment, Row(moment)).appointments.append(appointment)
    groups = {}
    for per_unit in capacity.values():
        for group_id, cap in per_unit.items():
            groups.setdefault(group_id, cap.group)
    group_list = sorted(groups.values(), key=lambda g: g.name)
    ordered = [rows[key] for key in sorted(rows)]
    for row in ordered:
        row.capacity_list = [row.capacity.get(group.pk) for group in group_list]
        row.ongoing = [a for a in appointments if a.start < row.start < a.end]
    return {"rows": ordered, "groups": group_list, "appointments": appointments}


def week_calendar(user, monday: date, filters: Filters, now: datetime | None = None) -> dict:
    """The week view: days as columns, hours as rows, and free capacity per day."""
    now = now or timezone.now()
    days = [monday + timedelta(days=i) for i in range(7)]
    low, high = engine.day_start(monday), engine.day_start(monday + timedelta(days=7))
    appointments = calendar_appointments(user, low, high, filters, now)
    capacity = _capacities(filters.location, low, high, now) if filters.location else {}
    per_day: dict[date, list[int]] = {day: [0, 0, 0, 0] for day in days}
    hours: set[int] = set()
    for moment, groups in capacity.items():
        totals = per_day[moment.date()]
        hours.add(moment.hour)
        for cap in groups.values():
            totals[0] += cap.online_free
            totals[1] += cap.online_total
            totals[2] += cap.internal_free
            totals[3] += cap.internal_total
    cells: dict[tuple[date, int], list[Appointment]] = defaultdict(list)
    for appointment in appointments:
        moment = timezone.localtime(appointment.start)
        hours.add(moment.hour)
        cells[(moment.date(), moment.hour)].append(appointment)
    # Weekends only when something happens there.
    shown_days = [day for day in days if day.weekday() < 5 or any(
        per_day[day][1] + per_day[day][3] or cells.get((day, hour)) for hour in range(24))]
    hour_list = list(range(min(hours), max(hours) + 1)) if hours else []
    rows = [{"hour": hour, "cells": [{"day": day, "appointments": cells.get((day, hour), [])}
                                     for day in shown_days]} for hour in hour_list]
    free = [{"day": day, "online_free": per_day[day][0], "online_total": per_day[day][1],
             "internal_free": per_day[day][2], "internal_total": per_day[day][3]} for day in shown_days]
    counts = {day: sum(len(cells.get((day, hour), [])) for hour in range(24)) for day in shown_days}
    return {"days": [{"day": day, "count": counts[day]} for day in shown_days], "rows": rows,
            "free": free, "appointments": appointments}


# --- assignment ------------------------------------------------------------------------------------
def assignable_staff(user, appointment: Appointment) -> QuerySet[User]:
    """Colleagues ``user`` may assign ``appointment`` to (caseworkers: only themselves)."""
    authority_id = appointment.location.authority_id
    serving = User.objects.filter(is_active=True, authority_id=authority_id,
                                  role_assignments__role__in=SERVING_ROLES,
                                  role_assignments__authority_id=authority_id)
    if has_role(user, Role.ADMIN, obj=appointment.location):
        people = serving
    elif has_role(user, Role.TEAMLEAD):
        teams = list(team_ids_for(user, Role.TEAMLEAD))
        people = serving.filter(Q(teams__in=teams) | Q(pk=user.pk))
    elif has_role(user, Role.CASEWORKER):
        people = serving.filter(pk=user.pk)
    else:
        people = serving.none()
    return User.objects.filter(pk__in=people.values("pk")).order_by("last_name", "first_name", "username")


def assign_staff(appointment: Appointment, staff: User | None, *, by: User) -> Appointment:
    """Set (or clear, ``staff=None``) the staff member who serves the appointment."""
    with transaction.atomic():
        current = for_update(Appointment.objects.select_related("location")).get(pk=appointment.pk)
        if not can_see(by, current, ASSIGN_ROLES):
            raise BookingError(_("Sie dürfen diesen Termin nicht zuweisen."))
        if current.status in (Status.CANCELLED, Status.EXPIRED):
            raise BookingError(_("Stornierte oder verfallene Termine können nicht zugewiesen werden."))
        if staff is None:
            if not (has_role(by, Role.ADMIN, Role.TEAMLEAD) or current.staff_id == by.pk):
                raise BookingError(_("Sie dürfen diese Zuweisung nicht aufheben."))
        elif not assignable_staff(by, current).filter(pk=staff.pk).exists():
            raise BookingError(_("Dieser Termin kann dieser Person nicht zugewiesen werden."))
        current.staff = staff
        current.save(update_fields=["staff", "updated_at"])
    return current


# --- booking for a caller and rescheduling ---------------------------------------------------------
DETAIL_FIELDS = ("name", "email", "phone", "case_number", "interpreter_language", "wheelchair",
                 "sign_language", "note")


def _confirm_for_caller(appointment: Appointment, details: dict, now: datetime | None) -> Appointment:
    booked = services.confirm_booking(appointment, now=now, **details)
    if booked.status == Status.PENDING_CONFIRMATION:
        # Staff spoke to the person: the e-mail link guards against bots, not against colleagues.
        booked = services.confirm_pending(booked, now=now)
    return booked


def book_for_caller(appointment: Appointment, *, by: User, language: str = "de",
                    now: datetime | None = None, **details) -> Appointment:
    """Complete an internal hold with the caller's details; tells the caller when they left an
    e-mail address or mobile number. A second submission returns the booking unchanged."""
    if appointment.booked_by_id != by.pk or appointment.quota != Quota.INTERNAL:
        raise BookingError(_("Diese Reservierung gehört nicht zu Ihnen."))
    already = appointment.status in (Status.CONFIRMED, Status.PENDING_CONFIRMATION)
    with transaction.atomic():
        booked = _confirm_for_caller(appointment, details, now)
        if not already:
            if language != booked.language:
                Appointment.objects.filter(pk=booked.pk).update(language=language)
                booked.language = language
            if booked.email or booked.phone:
                notifications.notify(booked, "booked")
    return booked


def reschedule(appointment: Appointment, start: datetime, *, by: User, idempotency_key: str | None = None,
               now: datetime | None = None) -> Appointment:
    """Move a booking to ``start`` (same location and services) on the internal quota.

    One transaction: the old booking is cancelled first (so the per-person cap in
    ``confirm_booking`` does not count it), then the new time is held and confirmed with the copied
    details. If anything fails, everything rolls back and the old booking stands. The old units
    stay occupied for the group's release delay, like every cancellation. A repeated submission
    with the same ``idempotency_key`` returns the new booking.
    """
    now = now or timezone.now()
    if idempotency_key:
        existing = Appointment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    with transaction.atomic():
        old = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if idempotency_key:
            # A concurrent duplicate may have committed while this one waited for the lock.
            existing = Appointment.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
        if old.status != Status.CONFIRMED:
            raise BookingError(_("Nur gebuchte Termine können verschoben werden."))
        if old.start == start:
            raise BookingError(_("Bitte wählen Sie eine andere Uhrzeit als die bisherige."))
        chosen = [row.service_id for row in old.service_rows.order_by("position")]
        services.cancel_appointment(old, now=now)
        new = services.hold_slot(chosen, old.location_id, start, quota=Quota.INTERNAL, booked_by=by,
                                 idempotency_key=idempotency_key, now=now)
        details = {name: getattr(old, name) for name in DETAIL_FIELDS}
        new = _confirm_for_caller(new, details, now)
        new.staff_id, new.language = old.staff_id, old.language
        new.save(update_fields=["staff", "language", "updated_at"])
        services.link_move(old, new)
        if old.email or old.phone:
            notifications.notify(new, "rescheduled")
    return new


def cancel_on_behalf(appointment: Appointment, *, now: datetime | None = None) -> Appointment:
    """Cancel for the citizen; they get the cancellation message (``citizen.cancel``)."""
    return citizen.cancel(appointment, now=now)


def hand_over_appointments(person: User, to: User | None, *, now: datetime | None = None) -> int:
    """A person left: their upcoming appointments go to ``to`` (their deputy) or back to the team
    (no one assigned: the team sees them through its services). A system step, no permission check;
    returns how many appointments changed hands."""
    moment = now or timezone.now()
    with transaction.atomic():
        upcoming = list(Appointment.objects.select_for_update(of=("self",)).filter(
            staff=person, start__gte=moment,
            status__in=(Status.HELD, Status.PENDING_CONFIRMATION, Status.CONFIRMED)).order_by("pk"))
        for appointment in upcoming:
            appointment.staff = to
            appointment.save(update_fields=["staff", "updated_at"])
    return len(upcoming)
