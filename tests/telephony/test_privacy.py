"""Caller numbers are personal data: the retention hook erases them (statistics stay), the logs
never carry them, the admin does not show them."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.urls import reverse

from buergerkontakt.telephony import services, stats
from buergerkontakt.telephony.models import Call

from .test_service_levels import MONDAY, call

pytestmark = pytest.mark.django_db


def test_purge_calls_before_erases_numbers_and_keeps_statistics(office):
    authority = office.org.authority
    old = call(authority, "old", MONDAY - timedelta(days=200), wait=4)
    new = call(authority, "new", MONDAY, wait=40)
    before = stats.levels(stats.inbound(MONDAY - timedelta(days=365), MONDAY + timedelta(days=1),
                                        authority_ids=[authority.pk]))
    assert services.purge_calls_before(MONDAY - timedelta(days=90)) == 1
    assert services.purge_calls_before(MONDAY - timedelta(days=90)) == 0  # idempotent
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.number == "" and old.agents == [] and old.events == [] and old.erased_at is not None
    assert new.number == "+4915123456789" and new.erased_at is None
    after = stats.levels(stats.inbound(MONDAY - timedelta(days=365), MONDAY + timedelta(days=1),
                                       authority_ids=[authority.pk]))
    assert (after.offered, after.answered, after.within, sorted(after.waits)) == (
        before.offered, before.answered, before.within, sorted(before.waits))


def test_logs_carry_no_numbers(office, caplog):
    with caplog.at_level(logging.DEBUG):
        call(office.org.authority, "log1", MONDAY, wait=3)
    assert "15123456789" not in caplog.text and "… 789" in caplog.text


def test_admin_shows_no_numbers(client, office, settings):
    settings.REQUIRE_2FA = False
    found = call(office.org.authority, "adm1", MONDAY, wait=3)
    office.org.users["admin"].is_staff = True
    office.org.users["admin"].is_superuser = True
    office.org.users["admin"].save()
    client.force_login(office.org.users["admin"])
    page = client.get(reverse("admin:telephony_call_change", args=[found.pk]))
    assert page.status_code == 200 and "15123456789" not in page.content.decode()
    assert Call.objects.get().number  # stored, only not shown
