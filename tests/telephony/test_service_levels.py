"""Phone service levels: answer rate, time to answer p50/p90, share within 30 s, abandoned,
outside phone hours, first-contact rate – per day, team and hour in the reports; answer rate and
"within 30 s" on the public reachability page and in the open-data feed, small counts suppressed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache

from buergerkontakt.reports import opendata, queries
from buergerkontakt.reports.kpis import Period
from buergerkontakt.telephony import services
from buergerkontakt.telephony.adapters import ANSWER, GENERIC_CAUSES, HANGUP, NEW, Event
from tests.callbacks.builders import at

pytestmark = pytest.mark.django_db
MONDAY = at(2026, 6, 8, 10)


def call(authority, call_id, start, *, wait=None, talk=60, cause="cancel", line="+496912340", solved_by=None):
    """A real inbound call through the services: ring at ``start``, answered after ``wait`` s."""
    base = {"call_id": call_id, "direction": "in", "caller": "4915123456789", "callee": line}
    with time_machine.travel(start, tick=False):
        services.record_event(authority, Event(NEW, **base))
    end = start + timedelta(seconds=(wait or 0) + (talk if wait is not None else 20))
    if wait is not None:
        with time_machine.travel(start + timedelta(seconds=wait), tick=False):
            services.record_event(authority, Event(ANSWER, **base))
        cause = "normalClearing"
    with time_machine.travel(end, tick=False):
        hangup = Event(HANGUP, **base, cause=cause, outcome=GENERIC_CAUSES[cause.lower()])
        found, _new = services.record_event(authority, hangup)
    if solved_by is not None:
        services.solve_directly(found, agent=solved_by, topic="Auskunft")
    return found


@pytest.fixture
def calls(office):
    authority, agent = office.org.authority, office.org.users["agent"]
    minute = timedelta(minutes=1)
    call(authority, "c1", MONDAY, wait=5, solved_by=agent)
    call(authority, "c2", MONDAY + 2 * minute, wait=20)
    call(authority, "c3", MONDAY + 4 * minute, wait=45)
    call(authority, "c4", MONDAY + 6 * minute, wait=90)
    call(authority, "c5", MONDAY + 8 * minute)  # abandoned
    call(authority, "c6", MONDAY + 10 * minute, cause="noAnswer")  # missed
    call(authority, "c7", MONDAY + timedelta(hours=4))  # 14:00: outside the team's phone hours
    call(authority, "c8", MONDAY + 12 * minute, wait=10, line="hotline-2")  # team 2
    return office


def test_report_section(calls):
    period = Period(MONDAY.date(), MONDAY.date())
    scope = queries.scope_for(calls.org.users["admin"])
    section = queries.section("telefonie", scope, period, MONDAY + timedelta(days=1))
    [day] = section.table("telefonie").rows
    assert day["offered"] == 7 and day["answered"] == 5 and day["abandoned"] == 1
    assert day["outside_hours"] == 1
    assert day["answer_rate"] == pytest.approx(500 / 7)
    assert day["within"] == pytest.approx(300 / 7)  # 5, 20, 10 s
    assert day["p50"] == 20 and day["p90"] == 90
    assert day["first_contact"] == pytest.approx(20.0)
    teams = {row["team"]: row for row in section.table("telefonie-teams").rows}
    assert teams["Leistung 1"]["offered"] == 6 and teams["Leistung 2"]["answered"] == 1
    hours = section.table("telefonie-stunden").rows
    assert [row["hour"] for row in hours] == ["10–11 Uhr", "14–15 Uhr"]
    assert hours[1]["offered"] == 0 and hours[1]["outside_hours"] == 1
    assert section.tiles[1].value == "42,9 %"


def test_team_lead_sees_only_the_own_team(calls):
    period = Period(MONDAY.date(), MONDAY.date())
    scope = queries.scope_for(calls.second_lead)
    [day] = queries.section("telefonie", scope, period, MONDAY).table("telefonie").rows
    assert day["offered"] == 1


def test_berlin_day_buckets(office):
    """A call at 00:30 Berlin (22:30 UTC the day before) counts for the Berlin day."""
    call(office.org.authority, "n1", at(2026, 6, 9, 0, 30), wait=3)
    period = Period(at(2026, 6, 8).date(), at(2026, 6, 9).date())
    scope = queries.scope_for(office.org.users["admin"])
    rows = queries.section("telefonie", scope, period, at(2026, 6, 10)).table("telefonie").rows
    assert [r["offered"] + r["outside_hours"] for r in rows] == [0, 1]


def test_open_data_publishes_and_suppresses(calls, settings):
    cache.clear()
    settings.REACHABILITY_MIN_COUNT = 5
    document = opendata.compute(calls.org.location, MONDAY + timedelta(days=1))
    # Location "Mitte" has team 1 only: 6 calls in the phone hours, 4 answered, 2 within 30 s.
    assert document["phone"] == {"answer_rate_percent": 67, "within_30s_percent": 33, "calls": 6,
                                 "suppressed": False}
    metrics = ("phone_answer_rate", "phone_answered_within_30s")
    rows = [r for r in opendata.csv_rows([document]) if r[5] in metrics]
    assert [(r[5], r[7]) for r in rows] == [("phone_answer_rate", 67), ("phone_answered_within_30s", 33)]
    settings.REACHABILITY_MIN_COUNT = 10
    document = opendata.compute(calls.org.location, MONDAY + timedelta(days=1))
    assert document["phone"] == {"answer_rate_percent": None, "within_30s_percent": None, "calls": None,
                                 "suppressed": True}
    other = opendata.compute(calls.org.second_location, MONDAY + timedelta(days=1))
    assert other["phone"]["calls"] is None and other["phone"]["suppressed"]  # one call only


def test_reachability_page_and_api(client, calls, settings):
    cache.clear()
    settings.REACHABILITY_MIN_COUNT = 5
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        page = client.get(f"/standorte/{calls.org.location.slug}/erreichbarkeit/").content.decode()
        data = client.get(f"/api/opendata/reachability/{calls.org.location.slug}").json()
    assert "Anrufe angenommen" in page and "67 %" in page and "33 % binnen 30 Sekunden" in page
    assert data["phone"]["answer_rate_percent"] == 67
