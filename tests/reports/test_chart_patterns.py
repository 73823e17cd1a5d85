"""Bar series differ by a pattern as well as by colour (not by colour only)."""

from __future__ import annotations

from buergerkontakt.reports import charts


def test_bar_series_differ_by_pattern_as_well_as_colour():
    two = [charts.Series("eins", [1, 2]), charts.Series("zwei", [2, 1])]
    svg = charts.bar_chart("Test", ["Mo", "Di"], two)
    assert "<pattern" in svg
    # Every bar of the second series (and its legend key) carries the pattern.
    assert svg.count('class="hatch"') == 3
    single = charts.bar_chart("Test", ["Mo"], [charts.Series("eins", [1])])
    assert "<pattern" not in single
