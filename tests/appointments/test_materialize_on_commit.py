"""Issue 26, defect 1 (2026-12-04): every change to a group, a schedule, opening hours or a calendar
exception materialises the slots when it is committed – a new schedule is bookable at once, a deleted
one at once no longer; the group's admin page previews the next 14 days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from buergerkontakt.appointments import services
from buergerkontakt.appointments.models import Quota, Schedule, Slot
from buergerkontakt.core.models import User
from buergerkontakt.directory.models import CalendarException

from .builders import at, build_office

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 5, 10)  # Friday; the group's window starts the next day
TUESDAY = date(2026, 6, 9)


def _free(office, day: date) -> list:
    return services.free_starts([office.short], office.location, day, quota=Quota.ONLINE, now=NOW)


@time_machine.travel(NOW, tick=False)
def test_new_schedule_is_bookable_on_commit_and_deleted_one_is_not(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        office = build_office(materialize=None)
    assert _free(office, TUESDAY), "a saved schedule gives bookable times at once"
    with django_capture_on_commit_callbacks(execute=True):
        Schedule.objects.filter(group=office.group, weekday=TUESDAY.weekday()).delete()
    assert _free(office, TUESDAY) == []
    assert _free(office, TUESDAY + timedelta(days=1))


@time_machine.travel(NOW, tick=False)
def test_calendar_exception_and_group_change_rematerialise(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        office = build_office(materialize=None)
    with django_capture_on_commit_callbacks(execute=True):
        closure = CalendarException.objects.create(location=office.location, date=TUESDAY, closed=True,
                                                   reason="Betriebsversammlung")
    assert _free(office, TUESDAY) == []
    with django_capture_on_commit_callbacks(execute=True):
        closure.delete()
    assert _free(office, TUESDAY)
    far = NOW.date() + timedelta(days=60)
    while far.weekday() > 4:
        far += timedelta(days=1)
    assert not Slot.objects.filter(group=office.group, start__date=far).exists()
    with django_capture_on_commit_callbacks(execute=True):
        office.group.max_days_ahead = 70
        office.group.save()
    assert Slot.objects.filter(group=office.group, start__date=far).exists()


@time_machine.travel(NOW, tick=False)
def test_group_admin_page_previews_the_next_14_days(client, settings, django_capture_on_commit_callbacks):
    settings.REQUIRE_2FA = False
    client.force_login(User.objects.create_superuser("root", "root@example.invalid", "Root-Passwort-2026"))
    with django_capture_on_commit_callbacks(execute=True):
        office = build_office(materialize=None)
    page = client.get(reverse("admin:appointments_servicegroup_change", args=[office.group.pk]))
    body = page.content.decode()
    assert "nächste 14 Tage" in body
    units = Slot.objects.filter(group=office.group, start__gte=NOW, start__lt=NOW + timedelta(days=14),
                                online_capacity__gt=0).count()
    assert f"{units} Zeiteinheiten" in body
    assert "erster freier Termin: Mo., 08.06.2026, 08:00" in body
    # without schedules the page says so
    with django_capture_on_commit_callbacks(execute=True):
        Schedule.objects.filter(group=office.group).delete()
    page = client.get(reverse("admin:appointments_servicegroup_change", args=[office.group.pk]))
    body = page.content.decode()
    assert "keine buchbaren Zeiten" in body
