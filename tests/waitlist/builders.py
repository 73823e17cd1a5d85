"""Waitlist test data: one bookable unit on an extra Saturday, plus helpers to register needs."""

from __future__ import annotations

from datetime import date, timedelta

from buergerkontakt.appointments import services as booking
from buergerkontakt.waitlist import services
from tests.appointments.builders import Office, add_schedule, at, build_office

DAY = date(2026, 6, 13)  # Saturday with extra opening
NOW = at(2026, 6, 10, 10)  # Wednesday before
SLOT = at(2026, 6, 13, 9)
AFTERNOON_SLOT = at(2026, 6, 13, 14)


def office_with_units(*windows: tuple[str, str], counters: int = 1, **group_fields) -> Office:
    office = build_office(materialize=None, **group_fields)
    for start, end in windows or (("09:00", "09:15"),):
        add_schedule(office.group, office.location, start, end, day=DAY, counters=counters)
    booking.materialize_slots(office.group, office.location, DAY, DAY)
    return office


def need(office: Office, email: str, *, deadline: date | None = None, now=NOW, **kwargs):
    defaults = {"date_from": DAY - timedelta(days=2), "date_until": DAY + timedelta(days=5),
                "name": (email.split("@")[0] or "Ohne Adresse").title(), "email": email}
    defaults.update(kwargs)
    return services.register_need([kwargs.pop("service", office.short)], deadline=deadline, now=now,
                                  **{k: v for k, v in defaults.items() if k != "service"})


def fill(office: Office, start=SLOT, email="voll@example.org"):
    """Book the unit for somebody else."""
    return office.book(start, now=NOW, email=email)
