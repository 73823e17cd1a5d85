"""Appointment test data on top of ``tests.factories.build_org`` (real rows, no mocks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from buergerkontakt.appointments import services
from buergerkontakt.appointments.models import Appointment, Schedule, ServiceGroup, Slot
from buergerkontakt.core.models import Authority, Location, User
from buergerkontakt.directory.models import HoursKind, HoursRule, Service
from tests.factories import Org, build_org

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")

# Reference week in June 2026 (Hessen): Thursday 4 June is Fronleichnam, 8–12 June has no holiday.
MONDAY = date(2026, 6, 8)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """An aware local (Europe/Berlin) datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN)


def hm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def make_service(authority: Authority, slug: str, minutes: int = 15, *, online: bool = True,
                 locations: tuple[Location, ...] = ()) -> Service:
    service = Service.objects.create(authority=authority, name=slug.replace("-", " ").title(), slug=slug,
                                     duration_minutes=minutes, online_bookable=online)
    service.locations.add(*locations)
    return service


def make_group(authority: Authority, slug: str, services_: tuple[Service, ...] = (),
               **fields) -> ServiceGroup:
    group = ServiceGroup.objects.create(authority=authority, name=slug.replace("-", " ").title(),
                                        slug=slug, **fields)
    group.services.add(*services_)
    return group


def add_schedule(group: ServiceGroup, location: Location, start: str, end: str, *,
                 weekday: int | None = None, day: date | None = None, counters: int = 1,
                 online_quota: int | None = None, **fields) -> Schedule:
    schedule = Schedule(group=group, location=location, weekday=weekday, date=day, start=hm(start),
                        end=hm(end), counters=counters,
                        online_quota=counters if online_quota is None else online_quota, **fields)
    schedule.full_clean()
    schedule.save()
    return schedule


def weekly_schedule(group: ServiceGroup, location: Location, windows: list[tuple[str, str]],
                    weekdays=range(5), **fields) -> list[Schedule]:
    return [add_schedule(group, location, start, end, weekday=weekday, **fields)
            for weekday in weekdays for start, end in windows]


def slot_at(group: ServiceGroup, location: Location, moment: datetime) -> Slot:
    return Slot.objects.get(group=group, location=location, start=moment)


def used_snapshot(group: ServiceGroup | None = None) -> list[tuple[int, int, int]]:
    """(slot id, online_used, internal_used) of every slot, to prove nothing changed."""
    slots = Slot.objects.order_by("pk")
    if group is not None:
        slots = slots.filter(group=group)
    return list(slots.values_list("pk", "online_used", "internal_used"))


@dataclass
class Office:
    """A Bürgerbüro counter group at one location: 15- and 30-minute services."""

    org: Org
    group: ServiceGroup
    location: Location
    short: Service  # 15 minutes
    long: Service  # 30 minutes
    other: Service  # same authority, in another group
    agent: User

    def hold(self, start: datetime, *, now: datetime, services_=None, **kwargs) -> Appointment:
        return services.hold_slot(services_ or [self.short], self.location, start, now=now, **kwargs)

    def book(self, start: datetime, *, now: datetime, email: str = "erika@example.org",
             services_=None, **kwargs) -> Appointment:
        held = self.hold(start, now=now, services_=services_, **kwargs)
        return services.confirm_booking(held, name="Erika Mustermann", email=email, now=now)


def build_office(*, counters: int = 2, online_quota: int = 1,
                 windows: tuple[tuple[str, str], ...] = (("08:00", "12:00"), ("13:00", "15:00")),
                 materialize: tuple[date, date] | None = (MONDAY, date(2026, 6, 19)),
                 org: Org | None = None, **group_fields) -> Office:
    """build_org() plus a service group with weekly schedules Mon–Fri at the first location."""
    org = org or build_org()
    short = make_service(org.authority, "meldebescheinigung", 15, locations=(org.location,))
    long = make_service(org.authority, "personalausweis", 30, locations=(org.location,))
    other = make_service(org.authority, "fuehrerschein", 15, locations=(org.location,))
    group = make_group(org.authority, "pass-und-ausweis", (short, long), **group_fields)
    make_group(org.authority, "fahrerlaubnis", (other,))
    # The counters are open as long as their windows (schedules must lie within the opening hours).
    latest = max(hm(end) for _start, end in windows)
    HoursRule.objects.filter(location=org.location, team__isnull=True, kind=HoursKind.OPENING,
                             end__lt=latest).update(end=latest)
    weekly_schedule(group, org.location, list(windows), counters=counters, online_quota=online_quota)
    if materialize:
        services.materialize_slots(group, org.location, *materialize)
    return Office(org, group, org.location, short, long, other, org.users["agent"])
