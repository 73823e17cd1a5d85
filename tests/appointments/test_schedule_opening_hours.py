"""Issue 26, defect 4 (2026-12-04): schedules are checked against the location's published opening
hours on save (clear German message), and no time outside them is ever offered."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError

from buergerkontakt.appointments import services
from buergerkontakt.appointments.models import Schedule, Slot
from buergerkontakt.directory.models import HoursKind, HoursRule

from .builders import add_schedule, at, build_office

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 6, 8)


@pytest.fixture
def office():
    office = build_office(materialize=None)
    Schedule.objects.filter(group=office.group).delete()
    HoursRule.objects.filter(location=office.location, kind=HoursKind.OPENING).delete()
    for weekday in range(5):  # published: Mon–Fri 08:00–12:00
        HoursRule.objects.create(location=office.location, kind=HoursKind.OPENING, weekday=weekday,
                                 start=time(8), end=time(12))
    return office


def test_schedule_outside_opening_hours_is_refused_with_a_german_message(office):
    with pytest.raises(ValidationError, match="außerhalb der Öffnungszeiten"):
        add_schedule(office.group, office.location, "14:00", "16:00", weekday=0)
    with pytest.raises(ValidationError, match="am Samstag geschlossen"):
        add_schedule(office.group, office.location, "09:00", "11:00", weekday=5)
    with pytest.raises(ValidationError, match="außerhalb der Öffnungszeiten"):
        add_schedule(office.group, office.location, "11:00", "13:00", weekday=1)
    assert add_schedule(office.group, office.location, "08:00", "12:00", weekday=0).pk


def test_no_bookable_time_outside_opening_hours(office):
    # written past the form (an import, an older row): the slots still stay inside the hours
    Schedule.objects.create(group=office.group, location=office.location, weekday=0, start=time(10),
                            end=time(16), counters=1, online_quota=1)
    services.materialize_slots(office.group, office.location, MONDAY, MONDAY)
    starts = sorted(Slot.objects.filter(group=office.group).exclude(online_capacity=0)
                    .values_list("start", flat=True))
    assert starts and starts[0] == at(2026, 6, 8, 10) and max(starts) < at(2026, 6, 8, 12)
