"""Issue 20 item 7: the anonymised incident statistics must not single out an incident. Whole
calendar months only (a one-day range shows its whole month), 0–2 all shown as "< 3" (never an
exact 0 beside it), no breakdown by level below a minimum group size, and the location or team
filter does not narrow the incident counts (no differencing of overlapping selections)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tests.incidents.builders import at, build_register, report

pytestmark = pytest.mark.django_db


def incident_csv(client, **params) -> list[list[str]]:
    response = client.get(reverse("reports_staff:csv", args=["vorfaelle"]), params)
    assert response.status_code == 200, response.content.decode()[:500]
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


@pytest.fixture
def lead_client(client, org, settings):
    settings.REQUIRE_2FA = False
    client.force_login(org.users["admin"])
    return client


def test_one_level_two_incident_on_one_day_cannot_be_singled_out(lead_client, org, settings):
    settings.INCIDENT_STATS_MIN_GROUP = 10
    reg = build_register(org)
    report(reg, level=2, now=at(2026, 5, 12, 10))
    for day in (3, 4, 5):
        report(reg, level=1, now=at(2026, 5, day, 10), location=org.second_location, room=None)
    one_day = incident_csv(lead_client, von="2026-05-12", bis="2026-05-12")
    cells = [value for row in one_day[1:] for value in row[1:]]
    assert "0" not in cells and "1" not in cells  # no exact 0 beside "< 3", no single incident
    # the one-day range reports the whole month: the same as asking for May
    assert one_day == incident_csv(lead_client, von="2026-05-01", bis="2026-05-31")
    assert one_day == incident_csv(lead_client, von="2026-05-12", bis="2026-05-13")
    # four incidents in May, fewer than the minimum group: no breakdown by level
    assert all(value in ("< 3", "–", "") or value == "4" for value in cells), one_day
    # a location filter does not narrow the incident counts (no differencing)
    narrowed = incident_csv(lead_client, von="2026-05-01", bis="2026-05-31", standort=org.location.pk)
    assert narrowed == one_day


def test_breakdown_above_the_minimum_group_suppresses_small_cells(lead_client, org, settings):
    settings.INCIDENT_STATS_MIN_GROUP = 10
    reg = build_register(org)
    for day in range(1, 12):
        report(reg, level=1, now=at(2026, 3, day, 10))
    report(reg, level=3, now=at(2026, 3, 20, 10))
    rows = incident_csv(lead_client, von="2026-03-01", bis="2026-03-31")
    header, march = rows[0], rows[1]
    values = dict(zip(header, march, strict=True))
    assert values["Stufe 1"] == "11"
    assert values["Stufe 0"] == values["Stufe 2"] == values["Stufe 3"] == "< 3"
    # the total would reveal the suppressed cells: not shown beside a suppressed cell
    assert values.get("Gesamt", "–") in ("–", "")
