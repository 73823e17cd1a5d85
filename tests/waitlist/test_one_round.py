"""Validation in one round (GOV.UK pattern): every error at once, each attached to its field (with
aria-invalid and aria-describedby) and listed in the summary with a link to the field."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from buergerkontakt.waitlist.models import Entry

from .builders import DAY, NOW, office_with_units

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _travel():
    with time_machine.travel(NOW, tick=False):
        yield


def summary_links(page: str) -> list[str]:
    summary = page.split('id="fehler"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="#([^"]+)"', summary)


def field_error(page: str, field_id: str) -> bool:
    tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', page)
    return bool(tag) and 'aria-invalid="true"' in tag.group(0)


def test_all_errors_in_one_round_each_at_its_field(client):
    office = office_with_units()
    response = client.post(reverse("waitlist:register"), {
        # services of two groups, a bad phone number, the range backwards, no name
        "services": [office.short.pk, office.other.pk], "phone": "123", "email": "maria@example.org",
        "date_from": str(DAY + timedelta(days=3)), "date_until": str(DAY), "mornings": "on",
    })
    assert response.status_code == 400
    page = response.content.decode()
    assert "gültige Mobilnummer" in page and "Das Ende des Zeitraums liegt vor seinem Beginn" in page
    assert "Bitte geben Sie Ihren Namen an" in page
    assert "nicht gemeinsam" in page or "gemeinsam" in page
    links = summary_links(page)
    assert {"id_phone", "id_date_until", "id_name", "id_services"} <= set(links), links
    for field_id in ("id_phone", "id_date_until", "id_name"):
        assert field_error(page, field_id), field_id
    # No message without a field.
    summary = page.split('id="fehler"', 1)[1].split("</ul>", 1)[0]
    assert summary.count("<li>") == len(links)
    assert not Entry.objects.exists()


def test_only_the_phone_wrong_is_reported_at_the_phone_field(client):
    office = office_with_units()
    response = client.post(reverse("waitlist:register"), {
        "services": [office.short.pk], "phone": "abc", "email": "maria@example.org", "name": "Maria Muster",
        "date_from": str(DAY - timedelta(days=1)), "date_until": str(DAY), "mornings": "on"})
    assert response.status_code == 400
    assert summary_links(response.content.decode()) == ["id_phone"]
