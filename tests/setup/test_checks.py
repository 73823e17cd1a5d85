"""Konfigurationsprüfung (issue 26, 2026-12-04): each check finds the mistake it is for, injected into
an otherwise working office, and stays quiet once it is fixed."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.urls import reverse

from buergerkontakt.appointments.models import Schedule
from buergerkontakt.core.models import Room
from buergerkontakt.directory.models import HoursKind, HoursRule
from buergerkontakt.setup import checks
from buergerkontakt.walkin.models import Queue, Screen
from tests.appointments.builders import add_schedule

from .conftest import NOW

pytestmark = pytest.mark.django_db


def texts(findings) -> str:
    return " | ".join(finding.text for finding in findings)


def test_no_slots_in_the_next_14_days(office, django_capture_on_commit_callbacks):
    assert checks.check_no_slots(office.location, NOW) == []
    fahrerlaubnis = office.other.service_groups.get()
    with django_capture_on_commit_callbacks(execute=True):  # a schedule that ended long ago
        add_schedule(fahrerlaubnis, office.location, "08:00", "10:00", weekday=1,
                     valid_until=date(2026, 1, 31))
    found = checks.check_no_slots(office.location, NOW)
    assert len(found) == 1 and "Fahrerlaubnis" in found[0].text
    assert found[0].fix_url == reverse("admin:appointments_servicegroup_change", args=[fahrerlaubnis.pk])


def test_online_location_without_any_schedule(office):
    Schedule.objects.filter(location=office.location).delete()
    assert "keine Sprechzeiten" in texts(checks.check_no_slots(office.location, NOW))


def test_schedule_outside_opening_hours(office):
    assert checks.check_schedule_outside_hours(office.location, NOW) == []
    # The opening hours change after the schedules were saved: Wednesday now closes at 11:00.
    HoursRule.objects.filter(location=office.location, kind=HoursKind.OPENING, weekday=2).update(end=time(11))
    found = checks.check_schedule_outside_hours(office.location, NOW)
    assert found and all("Mittwoch" in f.text for f in found)
    assert "außerhalb der Öffnungszeiten" in found[0].text


def test_schedules_without_published_opening_hours(office):
    HoursRule.objects.filter(location=office.location, kind=HoursKind.OPENING).delete()
    assert "keine Öffnungszeiten" in texts(checks.check_schedule_outside_hours(office.location, NOW))


def test_unbookable_services(office):
    found = texts(checks.check_unbookable_services(office.location, NOW))
    assert "Fuehrerschein" in found  # online bookable, but its group has no schedule here
    assert "Personalausweis" not in found
    office.long.duration_minutes = 300
    office.long.save()
    found = texts(checks.check_unbookable_services(office.location, NOW))
    assert "Personalausweis" in found and "300 Minuten" in found
    office.location.offers_online_booking = False
    office.location.save()
    found = texts(checks.check_unbookable_services(office.location, NOW))
    assert "nimmt aber keine Online-Buchungen an" in found


def test_queue_without_walk_in_hours(office):
    assert checks.check_queue_without_walk_in_hours(office.location, NOW) == []
    Queue.objects.create(location=office.location, name="Meldewesen", prefix="A")
    found = checks.check_queue_without_walk_in_hours(office.location, NOW)
    assert len(found) == 1 and "Meldewesen" in found[0].text
    HoursRule.objects.create(location=office.location, kind=HoursKind.WALK_IN, weekday=0, start=time(8),
                             end=time(12))
    assert checks.check_queue_without_walk_in_hours(office.location, NOW) == []


def test_display_and_kiosk_never_connected(office, client):
    display = Screen.objects.create(location=office.location, kind=Screen.Kind.DISPLAY, name="Wartebereich")
    kiosk = Screen.objects.create(location=office.location, kind=Screen.Kind.KIOSK, name="Eingang")
    found = texts(checks.check_screens_never_connected(office.location, NOW))
    assert "Wartebereich" in found and "Eingang" in found
    assert client.get(reverse("queue:display", args=[display.key])).status_code == 200
    found = texts(checks.check_screens_never_connected(office.location, NOW))
    assert "Wartebereich" not in found and "Eingang" in found
    assert client.get(reverse("queue:kiosk", args=[kiosk.key])).status_code == 200
    assert checks.check_screens_never_connected(office.location, NOW) == []


def test_alarm_room_without_neighbours(office):
    room = office.org.room  # 1.10, an office
    found = checks.check_rooms_without_neighbours(office.location, NOW)
    assert len(found) == 1 and "1.10" in found[0].text
    waiting = Room.objects.create(floor=room.floor, number="1.00", kind=Room.Kind.WAITING)
    assert len(checks.check_rooms_without_neighbours(office.location, NOW)) == 1  # waiting rooms need none
    neighbour = Room.objects.create(floor=room.floor, number="1.11")
    assert len(checks.check_rooms_without_neighbours(office.location, NOW)) == 2
    room.neighbours.add(neighbour)
    assert checks.check_rooms_without_neighbours(office.location, NOW) == []
    assert waiting.pk


def test_check_page_lists_findings_with_links(admin_client, office):
    Queue.objects.create(location=office.location, name="Meldewesen", prefix="A")
    response = admin_client.get(reverse("admin:setup_check", args=[office.location.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Konfigurationsprüfung" in body and "Meldewesen" in body and "Raum 1.10" in body
    assert reverse("admin:core_room_change", args=[office.org.room.pk]) in body
    assert "nächste 14 Tage:" in body and "Zeiteinheiten" in body
    change_url = reverse("admin:core_location_change", args=[office.location.pk])
    change = admin_client.get(change_url).content.decode()
    assert reverse("admin:setup_check", args=[office.location.pk]) in change
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:setup_check", args=[office.location.pk]) in index


@pytest.mark.parametrize("role", ["other_admin", "caseworker", "teamlead", "security", "dpo"])
def test_check_page_is_for_the_authoritys_administrators_only(client, settings, office, role):
    settings.REQUIRE_2FA = False
    client.force_login(office.org.users[role])
    response = client.get(reverse("admin:setup_check", args=[office.location.pk]))
    if role == "dpo":  # view rights on master data of the own authority, no changes
        assert response.status_code == 200
        week = client.get(reverse("admin:setup_week_template", args=[office.location.pk]))
        assert week.status_code == 403
    elif role == "other_admin":
        assert response.status_code == 404
    else:
        assert response.status_code == 302 and "login" in response["Location"]


def test_security_without_mobile_number(office):
    guard = office.org.users["security"]  # security for the location, no mobile number yet
    found = checks.check_security_without_mobile(office.location, NOW)
    assert len(found) == 1 and str(guard) in found[0].text
    assert found[0].fix_url == reverse("admin:core_user_change", args=[guard.pk])
    guard.alarm_mobile = "069 123456"  # a desk line: no SMS reaches it
    guard.save()
    assert len(checks.check_security_without_mobile(office.location, NOW)) == 1
    guard.alarm_mobile = "0151 23456789"
    guard.save()
    assert checks.check_security_without_mobile(office.location, NOW) == []


def test_location_without_any_security(office):
    office.org.users["security"].role_assignments.all().delete()
    found = checks.check_security_without_mobile(office.location, NOW)
    assert len(found) == 1 and "kein Sicherheitsdienst" in found[0].text
