"""Issue 26, defect 6 (2026-12-04): mistakes can be removed. An admin action retires or deletes a
service group or a location through the services layer; it refuses only while live appointments
exist. Tested in the admin as a superuser, as the issue was found."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin import helpers
from django.urls import reverse
from django.utils import timezone

from buergerkontakt.appointments import services
from buergerkontakt.appointments.models import Appointment, Schedule, ServiceGroup, Slot
from buergerkontakt.core.models import Location, User

from .builders import build_office, weekly_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.REQUIRE_2FA = False


@pytest.fixture
def office():
    """Schedules every weekday, slots materialised for the coming two weeks (relative to now)."""
    office = build_office(materialize=None, windows=(("08:00", "16:00"),))
    today = timezone.localdate()
    services.materialize_slots(office.group, office.location, today, today + timedelta(days=14))
    assert Slot.objects.filter(group=office.group).exists()
    return office


@pytest.fixture
def root(client):
    user = User.objects.create_superuser("root", "root@example.org", "Test-Passwort-2026")
    client.force_login(user)
    return client


def _first_free(office):
    now = timezone.now()
    for offset in range(1, 14):
        day = timezone.localdate() + timedelta(days=offset)
        starts = services.free_starts([office.short], office.location, day, now=now)
        if starts:
            return starts[0]
    raise AssertionError("no free start")


def _book(office) -> Appointment:
    held = services.hold_slot([office.short], office.location, _first_free(office))
    return services.confirm_booking(held, name="Erika Mustermann", email="erika@example.org")


def _act(client, model: str, action: str, objects):
    url = reverse(f"admin:{model}_changelist")
    return client.post(url, {"action": action, helpers.ACTION_CHECKBOX_NAME: [o.pk for o in objects]},
                       follow=True)


def test_a_group_with_slots_but_no_appointments_is_deleted(root, office):
    response = _act(root, "appointments_servicegroup", "retire_or_delete", [office.group])
    assert response.status_code == 200
    assert not ServiceGroup.objects.filter(pk=office.group.pk).exists()
    assert not Slot.objects.filter(group_id=office.group.pk).exists()
    assert "gelöscht" in response.text


def test_a_group_with_live_appointments_is_refused(root, office):
    appointment = _book(office)
    response = _act(root, "appointments_servicegroup", "retire_or_delete", [office.group])
    assert ServiceGroup.objects.filter(pk=office.group.pk).exists()
    assert Schedule.objects.filter(group=office.group).exists()
    assert "anstehende" in response.text and "Pass Und Ausweis" in response.text
    # Cancelled: nothing live any more; the history stays, so the group is retired, not deleted.
    services.cancel_appointment(appointment)
    response = _act(root, "appointments_servicegroup", "retire_or_delete", [office.group])
    group = ServiceGroup.objects.get(pk=office.group.pk)
    assert "außer Betrieb" in response.text
    assert not group.schedules.exists() and not group.services.exists()
    assert Appointment.objects.filter(pk=appointment.pk).exists()
    # Nothing can be booked in it any more, and nothing is offered.
    assert office.short not in services.bookable_services()
    assert set(Slot.objects.filter(group=group).values_list("pk", flat=True)) == set(
        appointment.slots.values_list("pk", flat=True))


def test_the_plain_delete_page_no_longer_dead_ends(root, office):
    """Django's own delete is left to the action: the action is offered on the change list."""
    page = root.get(reverse("admin:appointments_servicegroup_changelist")).text
    assert "retire_or_delete" in page


def test_a_location_with_live_appointments_is_refused_then_retired(root, office):
    appointment = _book(office)
    response = _act(root, "core_location", "retire_or_delete", [office.location])
    office.location.refresh_from_db()
    assert office.location.is_public
    assert "anstehende" in response.text
    services.cancel_appointment(appointment)
    response = _act(root, "core_location", "retire_or_delete", [office.location])
    office.location.refresh_from_db()
    assert "außer Betrieb" in response.text
    assert not office.location.is_public and not office.location.offers_online_booking
    assert not Schedule.objects.filter(location=office.location).exists()
    assert office.location.pk not in services.online_location_ids()


def test_a_location_set_up_by_mistake_is_deleted(root, office):
    mistake = Location.objects.create(authority=office.org.authority, name="Tippfehler", slug="tippfehler",
                                      street="-", postcode="00000", city="-")
    weekly_schedule(office.group, mistake, [("08:00", "12:00")])
    today = timezone.localdate()
    services.materialize_slots(office.group, mistake, today, today + timedelta(days=7))
    assert Slot.objects.filter(location=mistake).exists()
    response = _act(root, "core_location", "retire_or_delete", [mistake])
    assert not Location.objects.filter(pk=mistake.pk).exists()
    assert "gelöscht" in response.text


def test_an_authority_administrator_only_sees_the_action_for_own_objects(client, office):
    client.force_login(office.org.users["other_admin"])
    response = _act(client, "appointments_servicegroup", "retire_or_delete", [office.group])
    assert ServiceGroup.objects.filter(pk=office.group.pk).exists()
    assert response.status_code in (200, 403)
