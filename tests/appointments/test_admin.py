"""Appointments admin: master data editable, capacity and bookings read-only, no details in lists."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from buergerkontakt.appointments.models import Appointment, Schedule, ServiceGroup, Slot
from buergerkontakt.core.models import User

from .builders import at, build_office

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 5, 10)


def url(model, view: str = "changelist", *args) -> str:
    return reverse(f"admin:appointments_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def admin_client(client, settings):
    settings.REQUIRE_2FA = False  # the two-factor sign-in itself is tested in tests/core
    root = User.objects.create_superuser("root", "root@example.invalid", "Root-Passwort-2026")
    client.force_login(root)
    return client


def test_lists_render_and_appointment_list_shows_no_contact_details(admin_client):
    office = build_office()
    booked = office.book(at(2026, 6, 8, 8), now=NOW, email="erika.privat@example.org")
    Appointment.objects.filter(pk=booked.pk).update(case_number="BG-4711", phone="+491712345678")
    for model in (ServiceGroup, Schedule, Slot, Appointment):
        assert admin_client.get(url(model)).status_code == 200
    body = admin_client.get(url(Appointment), {"q": booked.code}).content.decode()
    assert booked.code in body and "Erika Mustermann" in body
    for detail in ("erika.privat@example.org", "BG-4711", "+491712345678"):
        assert detail not in body
    detail_page = admin_client.get(url(Appointment, "change", booked.pk)).content.decode()
    assert "erika.privat@example.org" in detail_page
    assert admin_client.get(url(Appointment, "add")).status_code == 403
    slot = Slot.objects.first()
    assert admin_client.get(url(Slot, "change", slot.pk)).status_code == 200  # view only
    assert admin_client.post(url(Slot, "change", slot.pk), {"online_used": 0}).status_code == 403
    assert admin_client.get(url(ServiceGroup, "change", office.group.pk)).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_admin_actions_use_the_services(admin_client):
    office = build_office(materialize=None)
    response = admin_client.post(url(ServiceGroup), {
        "action": "materialize_window", "_selected_action": [office.group.pk]}, follow=True)
    assert "Zeiteinheiten angelegt" in response.content.decode()
    days = {s.start.date() for s in Slot.objects.filter(group=office.group)}
    assert min(days).isoformat() == "2026-06-05" and max(days).isoformat() == "2026-07-17"
    booked = office.book(at(2026, 6, 9, 8), now=NOW)
    admin_client.post(url(Appointment), {"action": "cancel_selected", "_selected_action": [booked.pk]})
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.CANCELLED and booked.capacity_release_at is not None
