"""Incidents per month by level come from the incident register's statistics function (built in
another issue). With the register installed its counts are shown, suppressed ones as "< n"; without
it the section says so."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from buergerkontakt.reports import queries
from buergerkontakt.reports.kpis import Period

pytestmark = pytest.mark.django_db

PERIOD = Period(date(2026, 1, 1), date(2026, 6, 30))


def test_without_the_register_the_section_says_no_data_yet(org, monkeypatch):
    monkeypatch.setitem(sys.modules, "buergerkontakt.incidents.stats", None)  # import fails
    section = queries.incidents_section(queries.scope_for(org.users["admin"]), PERIOD)
    assert section.empty_text == "Noch keine Daten aus dem Vorfallregister."
    assert section.tables == [] and section.charts == []


def test_with_the_register_counts_per_month_and_level(org, settings):
    stats = pytest.importorskip("buergerkontakt.incidents.stats")
    settings.REPORTS_INCIDENT_MIN_COUNT = 3
    scope = queries.scope_for(org.users["teamlead"])
    expected = stats.monthly_counts_by_level(
        sorted(scope.location_ids), PERIOD.first, PERIOD.last, min_count=3
    )
    section = queries.incidents_section(scope, PERIOD)
    table = section.table("vorfaelle")
    assert table is not None
    cells = {
        (r["month"], c.key): r[c.key] for r in table.rows for c in table.columns if c.key.startswith("level_")
    }
    for item in expected:
        shown = cells[(item["month"], f"level_{item['level']}")]
        assert shown == (item["count"] if item["count"] is not None else "< 3")
    assert not section.empty_text
