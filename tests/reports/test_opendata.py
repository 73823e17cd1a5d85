"""The public reachability page and the open-data feed: no personal data, small counts
suppressed, cached, documented in the OpenAPI document."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from buergerkontakt.directory.models import HoursKind
from buergerkontakt.reports import opendata
from tests.factories import weekly

from . import builders as b

pytestmark = pytest.mark.django_db

NOW = b.berlin(2026, 6, 20, 12)  # period: 21 May .. 19 June
PERSONAL = [
    "Karl Anrufer",
    "+4915199990000",
    "karl@example.org",
    "Erika Muster",
    "example.org",
    "Teamlead",
    "Caseworker",
]


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def _callbacks(org, met: int, breached: int, team=None) -> None:
    team = team or org.team
    for i in range(met + breached):
        created = b.berlin(2026, 6, 1 + i % 15, 9)
        due = created + timedelta(hours=4)
        first = created + timedelta(hours=1 if i < met else 6)
        b.callback(team, created, due, [first], name=f"Karl Anrufer {i}")


def test_office_document_with_enough_cases(client, org, travel):
    _callbacks(org, met=9, breached=1)
    q = b.queue(org.location)
    for wait in (60, 120, 180, 240, 300, 360):
        b.walkin(q, date(2026, 6, 10), wait=wait)
    b.walkin(q, date(2026, 6, 20), wait=6000)  # today: outside the period
    response = client.get(f"/api/opendata/reachability/{org.location.slug}")
    assert response.status_code == 200
    doc = response.json()
    assert doc["period"] == {"first": "2026-05-21", "last": "2026-06-19", "days": 30}
    assert doc["callbacks"] == {"within_deadline_percent": 90, "tickets": 10, "suppressed": False}
    assert doc["walk_in"] == {"offered": True, "median_wait_minutes": 4, "tickets": 6, "suppressed": False}
    assert doc["phone_hours"][0]["windows"][0] == {"weekday": 0, "start": "10:00", "end": "11:00"}
    assert doc["office"]["url"].endswith(f"/standorte/{org.location.slug}/erreichbarkeit/")


def test_small_counts_are_suppressed(client, org, travel, settings):
    settings.REACHABILITY_MIN_COUNT = 5
    _callbacks(org, met=3, breached=1)
    b.walkin(b.queue(org.location), date(2026, 6, 10), wait=60)
    doc = client.get(f"/api/opendata/reachability/{org.location.slug}").json()
    assert doc["callbacks"] == {"within_deadline_percent": None, "tickets": None, "suppressed": True}
    assert doc["walk_in"]["median_wait_minutes"] is None and doc["walk_in"]["suppressed"]
    page = client.get(reverse("reports:reachability", args=[org.location.slug])).content.decode()
    assert "zu wenige Fälle" in page and " %" not in page.split("Rückrufe innerhalb der Frist")[1][:200]


def test_no_personal_data_in_json_csv_and_page(client, org, travel):
    _callbacks(org, met=10, breached=2)
    b.appointment(org.location, b.berlin(2026, 6, 10, 9), "no_show", name="Erika Muster")
    alarm_user = org.users["caseworker"]
    b.alarm(
        org.location,
        org.room,
        alarm_user,
        b.berlin(2026, 6, 10, 10),
        drill=False,
        deliveries=[(org.users["teamlead"], 40, 20)],
    )
    texts = [
        client.get("/api/opendata/reachability").content.decode(),
        client.get("/api/opendata/reachability.csv").content.decode(),
        client.get(reverse("reports:reachability", args=[org.location.slug])).content.decode(),
    ]
    for text in texts:
        for value in PERSONAL:
            assert value not in text


def test_csv_long_format(client, org, travel):
    _callbacks(org, met=10, breached=0)
    response = client.get("/api/opendata/reachability.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == opendata.CSV_HEADER
    mine = [r for r in rows if r["office_slug"] == org.location.slug]
    callbacks = next(r for r in mine if r["metric"] == "callbacks_within_deadline")
    assert (callbacks["value"], callbacks["count"], callbacks["suppressed"]) == ("100", "10", "false")
    phone = next(r for r in mine if r["metric"] == "phone_hours")
    assert phone["value"] == "Mo 10:00-11:00, Di 10:00-11:00, Mi 10:00-11:00, Do 10:00-11:00, Fr 10:00-11:00"
    assert {r["office_slug"] for r in rows} == {
        org.location.slug,
        org.second_location.slug,
        org.other_location.slug,
    }


def test_document_is_cached_for_the_configured_time(client, org, travel, settings):
    settings.REACHABILITY_CACHE_SECONDS = 600
    _callbacks(org, met=10, breached=0)
    assert client.get(f"/api/opendata/reachability/{org.location.slug}").json()["callbacks"]["tickets"] == 10
    _callbacks(org, met=0, breached=5)
    assert client.get(f"/api/opendata/reachability/{org.location.slug}").json()["callbacks"]["tickets"] == 10
    cache.clear()
    assert client.get(f"/api/opendata/reachability/{org.location.slug}").json()["callbacks"]["tickets"] == 15
    settings.REACHABILITY_CACHE_SECONDS = 0
    _callbacks(org, met=0, breached=5)
    assert client.get(f"/api/opendata/reachability/{org.location.slug}").json()["callbacks"]["tickets"] == 20


def test_public_page_shows_the_promise(client, org, travel):
    _callbacks(org, met=14, breached=1)
    weekly(
        org.second_team,
        HoursKind.PHONE,
        range(0, 2),
        b.berlin(2026, 1, 1, 9).time(),
        b.berlin(2026, 1, 1, 12).time(),
    )
    response = client.get(reverse("reports:reachability", args=[org.location.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Rückrufe innerhalb der Frist" in html and "93 %" in html
    assert "Telefonisch direkt erreichbar" in html and "10:00–11:00" in html
    assert "Offene Daten" in html and "style=" not in html.split("<main", 1)[1]


@pytest.mark.parametrize("slug", ["gibt-es-nicht", "x" * 81, "ümlaut"])
def test_unknown_office_is_404(client, org, slug):
    assert client.get(f"/api/opendata/reachability/{slug}").status_code == 404


def test_hidden_location_is_not_published(client, org):
    org.second_location.is_public = False
    org.second_location.save()
    assert client.get(reverse("reports:reachability", args=[org.second_location.slug])).status_code == 404
    assert client.get(f"/api/opendata/reachability/{org.second_location.slug}").status_code == 404
    slugs = {d["office"]["slug"] for d in client.get("/api/opendata/reachability").json()}
    assert org.second_location.slug not in slugs


def test_feed_is_in_the_openapi_document(client, db):
    spec = client.get("/api/openapi.json").json()
    assert {
        "/api/opendata/reachability",
        "/api/opendata/reachability.csv",
        "/api/opendata/reachability/{slug}",
    } <= set(spec["paths"])
    listing = spec["paths"]["/api/opendata/reachability"]["get"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"].endswith(
        "/ReachabilityOut"
    )
    schema = spec["components"]["schemas"]["ReachabilityOut"]
    assert {
        "office",
        "period",
        "callbacks",
        "walk_in",
        "next_free_appointments",
        "phone_hours",
        "min_count",
    } <= set(schema["properties"])
    assert "text/csv" in spec["paths"]["/api/opendata/reachability.csv"]["get"]["responses"]["200"]["content"]
    assert "404" in spec["paths"]["/api/opendata/reachability/{slug}"]["get"]["responses"]
    json.dumps(spec)
