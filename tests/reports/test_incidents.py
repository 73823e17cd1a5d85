"""Incidents per month by level on the dashboard come from the incident register's anonymised
statistics: counts only, small counts suppressed as "< n", nothing about persons."""

from __future__ import annotations

from datetime import date

import pytest

from buergerkontakt.reports import queries
from buergerkontakt.reports.kpis import Period
from tests.incidents.builders import at, build_register, report

pytestmark = pytest.mark.django_db

PERIOD = Period(date(2026, 3, 1), date(2026, 5, 31))


def test_counts_per_month_and_level_with_small_counts_suppressed(org, settings):
    settings.REPORTS_INCIDENT_MIN_COUNT = 3
    settings.INCIDENT_STATS_MIN_GROUP = 4
    reg = build_register(org)
    for day in (2, 9, 16, 23):
        report(reg, level=2, now=at(2026, 3, day, 10))
    report(reg, level=3, now=at(2026, 4, 14, 10))
    report(reg, level=2, now=at(2026, 6, 2, 10))  # outside the period

    section = queries.incidents_section(queries.scope_for(org.users["teamlead"]), PERIOD)
    table = section.table("vorfaelle")
    cells = {(r["label"], c.key): r[c.key] for r in table.rows for c in table.columns if c.key != "label"}
    march, april, may = (r["label"] for r in table.rows)
    assert cells[(march, "level_2")] == 4 and cells[(march, "level_1")] == "< 3"
    assert cells[(march, "total")] == "–"  # beside a suppressed cell the total would reveal it
    # one incident in April: fewer than the minimum group – no breakdown, the total as "< 3"
    assert cells[(april, "level_3")] == "–" and cells[(april, "total")] == "< 3"
    assert cells[(may, "total")] == "< 3"  # none at all: never an exact 0 beside "< 3"
    text = str(table.rows) + str(section.intro)
    assert "Müller" not in text and "drohte" not in text  # no person, no narrative
    assert section.charts


def test_another_authoritys_lead_sees_none_of_them(org):
    reg = build_register(org)
    for day in (2, 9, 16):
        report(reg, level=2, now=at(2026, 3, day, 10))
    section = queries.incidents_section(queries.scope_for(org.users["other_teamlead"]), PERIOD)
    table = section.table("vorfaelle")
    values = [value for row in table.rows for key, value in row.items() if key.startswith("level_")]
    assert values and all(value in ("–", "< 3") for value in values)
    assert all(row["total"] == "< 3" for row in table.rows)
