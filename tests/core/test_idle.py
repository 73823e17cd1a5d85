"""Staff are signed out after 30 minutes without activity (issue 20 item 11, ASVS 3.3.2); background
refreshes do not count as activity; the silent alarm still works from an idle page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from buergerkontakt.alarms.models import Alarm

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, org, settings):
    settings.REQUIRE_2FA = False
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    client.force_login(org.users["caseworker"])
    return client


def test_signed_out_after_thirty_idle_minutes(staff):
    home = reverse("core:staff_home")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert staff.get(home).status_code == 200
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert staff.get(home).status_code == 200  # activity: the clock starts again
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        response = staff.get(home)
    assert response.status_code == 302 and response["Location"].startswith(reverse("core:login"))
    assert "next=%2Fmitarbeiter%2F" in response["Location"]
    page = staff.get(response["Location"]).text
    assert "nach 30 Minuten ohne Aktivität abgemeldet" in page
    assert staff.get(home).status_code == 302  # really signed out


def test_background_refreshes_do_not_keep_the_session_alive(staff):
    home = reverse("core:staff_home")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        staff.get(home)
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        assert staff.get(home, headers={"HX-Request": "true"}).status_code == 200
    with time_machine.travel(start + timedelta(minutes=35), tick=False):
        response = staff.get(home, headers={"HX-Request": "true"})
    assert response.status_code == 401 and response["HX-Redirect"].startswith(reverse("core:login"))


def test_the_alarm_is_raised_from_an_idle_page(staff, org):
    home = reverse("core:staff_home")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        staff.get(home)
    with time_machine.travel(start + timedelta(minutes=45), tick=False):
        response = staff.post(reverse("alarms:raise"), {"level": "2", "next": home})
    assert response.status_code == 302
    assert Alarm.objects.filter(raised_by=org.users["caseworker"]).count() == 1


def test_off_when_set_to_zero(staff, settings):
    settings.SESSION_IDLE_TIMEOUT = 0
    home = reverse("core:staff_home")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        staff.get(home)
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        assert staff.get(home).status_code == 200

