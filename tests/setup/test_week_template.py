"""Week templates and copying (issue 26, 2026-12-04): hours and schedules for Monday to Friday in one
form, copied from another location – bookable the moment they are saved (materialised on commit)."""

from __future__ import annotations

from datetime import date, time

import pytest
import time_machine
from django.urls import reverse

from buergerkontakt.appointments import services as booking
from buergerkontakt.appointments.models import Quota, Schedule
from buergerkontakt.directory.models import HoursKind, HoursRule

from .conftest import NOW

pytestmark = pytest.mark.django_db

TUESDAY = date(2026, 6, 9)


def _post(client, location, **fields):
    data = {"group": "", "counters": "1", "online_quota": "1"}
    data.update({key: str(value) for key, value in fields.items()})
    return client.post(reverse("admin:setup_week_template", args=[location.pk]), data)


def _north(office):
    """The second location, where the group's services are offered too (no schedules yet)."""
    north = office.org.second_location
    office.short.locations.add(north)
    return north


def _windows(location, kind, weekday):
    return [(r.start, r.end) for r in HoursRule.objects.filter(location=location, kind=kind, weekday=weekday)
            .order_by("start")]


@time_machine.travel(NOW, tick=False)
def test_template_sets_hours_and_schedules_and_times_are_bookable_at_once(
        admin_client, office, django_capture_on_commit_callbacks):
    north = _north(office)
    assert not Schedule.objects.filter(location=north).exists()
    page = admin_client.get(reverse("admin:setup_week_template", args=[north.pk]))
    assert page.status_code == 200 and "07:30-16:30" in page.content.decode()  # today's hours, prefilled
    fields = {}
    for day in range(5):
        fields |= {f"opening_{day}": "08:00-16:00", f"phone_{day}": "9-12", f"walk_in_{day}": "08:00-10:00",
                   f"schedule_{day}": "09:00-12:00, 13:00-15:00"}
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(admin_client, north, group=office.group.pk, counters=3, online_quota=2, **fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _windows(north, HoursKind.OPENING, 1) == [(time(8), time(16))]
    assert _windows(north, HoursKind.PHONE, 4) == [(time(9), time(12))]
    assert _windows(north, HoursKind.WALK_IN, 0) == [(time(8), time(10))]
    schedules = Schedule.objects.filter(location=north, group=office.group)
    assert schedules.count() == 10 and {(s.counters, s.online_quota) for s in schedules} == {(3, 2)}
    starts = booking.free_starts([office.short], north, TUESDAY, quota=Quota.ONLINE, now=NOW)
    assert starts and {s.hour for s in starts} == {9, 10, 11, 13, 14}


@time_machine.travel(NOW, tick=False)
def test_monday_for_all_days(admin_client, office, django_capture_on_commit_callbacks):
    north = _north(office)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(admin_client, north, group=office.group.pk, same_for_all="on",
                         opening_0="08:00-12:00", schedule_0="08:00-11:00")
    assert response.status_code == 302
    assert [_windows(north, HoursKind.OPENING, day) for day in range(5)] == [[(time(8), time(12))]] * 5
    assert Schedule.objects.filter(location=north, group=office.group).count() == 5
    assert booking.free_starts([office.short], north, TUESDAY, quota=Quota.ONLINE, now=NOW)


@time_machine.travel(NOW, tick=False)
def test_schedule_outside_opening_hours_is_refused_and_nothing_changes(admin_client, office):
    north = office.org.second_location
    response = _post(admin_client, north, group=office.group.pk, opening_0="08:00-16:00",
                     schedule_0="15:00-17:00")
    body = response.content.decode()
    assert response.status_code == 400
    assert "außerhalb der Öffnungszeiten" in body
    assert _windows(north, HoursKind.OPENING, 0) == [(time(7, 30), time(16, 30))]
    assert not Schedule.objects.filter(location=north).exists()


@pytest.mark.parametrize("text", ["8 bis", "25:00-26:00", "12:00-08:00", "08:00-12:00, 11:00-13:00"])
def test_bad_time_ranges_get_a_german_message(admin_client, office, text):
    response = _post(admin_client, office.org.second_location, opening_2=text)
    assert response.status_code == 400
    body = response.content.decode()
    assert any(word in body for word in ("Zeitspanne", "Uhrzeit", "Ende", "überschneiden"))


def test_schedules_without_group_are_refused(admin_client, office):
    response = _post(admin_client, office.org.second_location, schedule_0="08:00-10:00")
    assert response.status_code == 400 and "Leistungsgruppe" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_copy_hours_and_schedules_from_another_location(admin_client, office,
                                                        django_capture_on_commit_callbacks):
    north = _north(office)
    HoursRule.objects.filter(location=north).delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:setup_copy", args=[north.pk]), {
            "source": office.location.pk, "hours": "on", "schedules": "on"})
    assert response.status_code == 302
    assert _windows(north, HoursKind.OPENING, 0) == _windows(office.location, HoursKind.OPENING, 0)
    assert Schedule.objects.filter(location=north).count() == Schedule.objects.filter(
        location=office.location).count()
    assert booking.free_starts([office.short], north, TUESDAY, quota=Quota.ONLINE, now=NOW)


def test_copy_only_within_the_own_authority(admin_client, office):
    other = office.org.other_location
    response = admin_client.post(reverse("admin:setup_copy", args=[office.org.second_location.pk]), {
        "source": other.pk, "hours": "on"})
    assert response.status_code == 400
    assert admin_client.get(reverse("admin:setup_copy", args=[other.pk])).status_code == 404
