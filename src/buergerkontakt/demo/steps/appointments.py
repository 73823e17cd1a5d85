"""Demo data for appointments: service groups, schedules for the demo offices and some bookings."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from buergerkontakt.appointments import engine, services
from buergerkontakt.appointments.exceptions import BookingError
from buergerkontakt.appointments.models import Appointment, Quota, Schedule, ServiceGroup
from buergerkontakt.core.models import Authority, Location, Role, RoleAssignment
from buergerkontakt.demo.people import DEMO_CITIZENS
from buergerkontakt.directory.models import Service

MON_FRI = range(0, 5)
BOOKING_DAYS = 14  # demo bookings cover today and the following days
DEMO_EMAIL_PATTERN = r"^demo[0-9]+@example\.org$"
DEMO_NAMES = list(DEMO_CITIZENS)


def _group(authority: Authority, slug: str, name: str, service_slugs: list[str], **fields) -> ServiceGroup:
    defaults = {"authority": authority, "name": name, **fields}
    group, _ = ServiceGroup.objects.update_or_create(slug=slug, defaults=defaults)
    group.services.set(Service.objects.filter(slug__in=service_slugs))
    return group


def _weekly(group: ServiceGroup, location: Location, days, start: time, end: time, counters: int,
            online: int, **fields) -> None:
    for day in days:
        Schedule.objects.update_or_create(group=group, location=location, weekday=day, start=start,
                                          defaults={"end": end, "counters": counters, "online_quota": online,
                                                    **fields})


def appointments_demo() -> None:
    jobcenter = Authority.objects.get(slug="jobcenter-musterstadt")
    office = Authority.objects.get(slug="buergerbuero-musterstadt")
    main = Location.objects.get(slug="jobcenter-hauptstelle")
    north = Location.objects.get(slug="jobcenter-nord")
    town_hall = Location.objects.get(slug="buergerbuero-rathaus")

    passes = _group(office, "pass-und-meldewesen", "Pass- und Meldewesen",
                    ["personalausweis", "reisepass", "meldebescheinigung", "wohnsitz-anmelden",
                     "fuehrungszeugnis"],
                    slot_minutes=10, min_days_ahead=1, max_days_ahead=42, release_time=time(8),
                    hold_minutes=10, cancel_release_delay_minutes=30, max_active_per_person=2)
    _weekly(passes, town_hall, range(0, 2), time(8), time(16), counters=4, online=3)
    _weekly(passes, town_hall, range(2, 3), time(10), time(13), counters=4, online=3)
    _weekly(passes, town_hall, range(3, 4), time(8), time(18), counters=4, online=3)
    _weekly(passes, town_hall, range(4, 5), time(8), time(12), counters=3, online=2)
    # Spontaneous appointments on Wednesday morning, bookable on the day only (like Leipzig).
    _weekly(passes, town_hall, range(2, 3), time(8), time(10), counters=4, online=4, same_day_only=True)

    social = _group(office, "soziales", "Soziale Leistungen", ["wohngeld"], slot_minutes=15,
                    min_days_ahead=1, max_days_ahead=28, require_email_confirmation=True, confirm_minutes=30)
    _weekly(social, town_hall, range(0, 2), time(9), time(12), counters=1, online=1)

    benefits = _group(jobcenter, "leistungsgewaehrung", "Leistungsgewährung",
                      ["erstantrag-buergergeld", "weiterbewilligung-buergergeld"],
                      slot_minutes=15, min_days_ahead=1, max_days_ahead=28, release_time=time(7, 30),
                      max_active_per_person=1, reconfirm_required=True, reminder_hours_before=48,
                      reconfirm_hours_before=24)
    _weekly(benefits, main, range(0, 4), time(8), time(12), counters=3, online=2)
    _weekly(benefits, north, (1, 3), time(8), time(11), counters=1, online=1)
    for slug in ("erstantrag-buergergeld", "weiterbewilligung-buergergeld"):
        Service.objects.get(slug=slug).locations.add(north)

    placement = _group(jobcenter, "arbeitsvermittlung", "Arbeitsvermittlung", ["beratung-arbeitsvermittlung"],
                       slot_minutes=30, min_days_ahead=1, max_days_ahead=21)
    _weekly(placement, north, MON_FRI, time(9), time(12), counters=2, online=1)

    now = timezone.now()
    services.materialize_horizon(now)
    # Bookings once per fortnight: load_demo stays idempotent, and a demo database loaded again weeks
    # later gets bookings for the coming days (those of the earlier load lie in the past).
    if Appointment.objects.filter(email__regex=DEMO_EMAIL_PATTERN, start__gte=now).exists():
        return
    _bookings(now)


def _bookings(now: datetime) -> None:
    """About a quarter of the next fortnight's online capacity, and some internal bookings."""
    rng = random.Random(2026)  # noqa: S311 (reproducible demo data, not security)
    choices = [(["personalausweis"], "buergerbuero-rathaus"), (["reisepass"], "buergerbuero-rathaus"),
               (["personalausweis", "meldebescheinigung"], "buergerbuero-rathaus"),
               (["erstantrag-buergergeld"], "jobcenter-hauptstelle"),
               (["weiterbewilligung-buergergeld"], "jobcenter-hauptstelle"),
               (["beratung-arbeitsvermittlung"], "jobcenter-nord")]
    locations = {loc.slug: loc for loc in Location.objects.all()}
    services_by_slug = {service.slug: service for service in Service.objects.all()}
    today = engine.local_day(now)
    booked = 0
    for offset in range(0, BOOKING_DAYS):
        day = today + timedelta(days=offset)
        for slugs, place in choices:
            chosen = [services_by_slug[slug] for slug in slugs]
            quota = Quota.INTERNAL if offset == 0 else Quota.ONLINE
            starts = services.free_starts(chosen, locations[place], day, quota=quota, now=now)
            for start in rng.sample(starts, k=len(starts) // 4):
                name = DEMO_NAMES[booked % len(DEMO_NAMES)]
                try:
                    agent = _agent(locations[place]) if quota == Quota.INTERNAL else None
                    held = services.hold_slot(chosen, locations[place], start, quota=quota, booked_by=agent,
                                              now=now)
                    services.confirm_booking(
                        held, name=name, email=f"demo{booked}@example.org", now=now,
                        interpreter_language="Arabisch" if booked % 9 == 4 else "",
                        wheelchair=booked % 11 == 3, email_verified=True)
                except BookingError:
                    continue
                booked += 1


def _agent(location: Location):
    """A phone-centre agent (or else any staff member) of the location's authority."""
    assignment = (RoleAssignment.objects.filter(authority=location.authority, role=Role.AGENT).first()
                  or RoleAssignment.objects.filter(authority=location.authority).first())
    return assignment.user if assignment else None
