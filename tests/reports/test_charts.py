"""The SVG charts: accessible names, escaped text, one bar per value, gaps for missing values."""

from __future__ import annotations

import re

import pytest

from buergerkontakt.reports import charts
from buergerkontakt.reports.charts import Series


@pytest.mark.parametrize(
    ("draw", "element"), [(charts.bar_chart, '<rect class="bar'), (charts.line_chart, "<circle")]
)
def test_chart_is_a_labelled_image_with_one_mark_per_value(draw, element):
    svg = str(draw("Wartezeit <Median>", ["Mo", "Di", "Mi"], [Series("A&B", [1.0, None, 3.0])], unit="Min."))
    assert svg.startswith("<svg") and 'role="img"' in svg
    ids = re.search(r'aria-labelledby="([^ ]+) ([^"]+)"', svg).groups()
    assert f'<title id="{ids[0]}">Wartezeit &lt;Median&gt;</title>' in svg
    assert f'<desc id="{ids[1]}">' in svg and "höchster Wert 3" in svg
    assert svg.count(element) == 2  # the missing value is left out
    assert "<Median>" not in svg and "A&B" not in svg
    assert "style=" not in svg


def test_lines_break_at_missing_values():
    svg = str(charts.line_chart("x", list("abcde"), [Series("s", [1, 2, None, 4, 5])]))
    assert svg.count("<polyline") == 2


def test_several_series_get_a_legend_and_distinct_classes():
    svg = str(charts.bar_chart("x", ["a"], [Series("eins", [1]), Series("zwei", [2])]))
    assert "series-0" in svg and "series-1" in svg and ">eins<" in svg and ">zwei<" in svg


def test_empty_chart_says_so():
    svg = str(charts.bar_chart("x", ["a", "b"], [Series("s", [None, None])]))
    assert "Keine Werte im Zeitraum." in svg and '<rect class="bar' not in svg


@pytest.mark.parametrize(("value", "top"), [(0, 4), (3, 4), (26, 40), (100, 100), (101, 200), (0.5, 4)])
def test_axis_top_is_round(value, top):
    assert charts._nice_max(value) == top
