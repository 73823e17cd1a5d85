"""Server-side SVG charts: bars and lines, no JavaScript, no inline styles (CSP ``style-src 'self'``).

Each chart is an ``<svg role="img">`` labelled by its ``<title>`` and described by its ``<desc>``
(what is shown and the largest value); the numbers themselves are in the data table printed with
it (the text equivalent). Colours come from classes in ``static/css/reports.css`` (``series-0`` …),
so a high-contrast stylesheet can change them; series are also told apart by the legend and,
for lines, by the marker shape.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 72
_ids = itertools.count(1)


@dataclass
class Series:
    name: str
    values: Sequence[float | None]


def _nice_step(value: float) -> float:
    """A round step (1, 2, 2.5, 5 × 10^n) of at least ``value``."""
    if value <= 0:
        return 0.25
    exponent = math.floor(math.log10(value))
    base = 10**exponent
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * base + 1e-9:
            return step * base
    return 10 * base


def _nice_max(value: float) -> float:
    """The axis top: four round steps covering ``value`` (0, 1, 2, 3, 4 or 0, 25, 50, 75, 100 …)."""
    return 4 * _nice_step(max(value, 4.0) / 4)


def _number(value: float) -> str:
    decimals = 0 if float(value).is_integer() or abs(value) >= 100 else 1
    return formats.number_format(value, decimals)


def _frame(title: str, description: str, body: list[str], chart_id: str, css: str) -> SafeString:
    head = (
        f'<svg class="chart {css}" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" focusable="false" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(description)}</desc>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every text above is escaped


def _axes(top_value: float, unit: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = []
    for i in range(5):
        value = top_value * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_number(value))}</text>"
        )
    if unit:
        parts.append(f'<text class="unit" x="4" y="{TOP - 12}">{escape(unit)}</text>')
    parts.append(
        f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>'
    )
    return parts


def _wrap(label: str, width: int) -> list[str]:
    """At most two lines of at most ``width`` characters (the second cut with "…")."""
    words, lines, current = label.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    return [line if len(line) <= width else line[: max(width - 1, 1)] + "…" for line in lines]


def _labels(labels: Sequence[str], centres: list[float]) -> list[str]:
    """Category labels under the axis (two lines where needed); with many categories only every
    n-th is written."""
    step = max(1, math.ceil(len(labels) / 12))
    width = max(6, int((WIDTH - LEFT - RIGHT) / max(len(labels), 1) * step / 6.8))
    base = HEIGHT - BOTTOM + 16
    parts = []
    for index, (label, x) in enumerate(zip(labels, centres, strict=True)):
        if index % step:
            continue
        lines = _wrap(label, width)
        spans = "".join(
            f'<tspan x="{x:.1f}" dy="{0 if i == 0 else 14}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        parts.append(f'<text class="label" x="{x:.1f}" y="{base}" text-anchor="middle">{spans}</text>')
    return parts


def _empty_note(values: list) -> list[str]:
    if values:
        return []
    return [f'<text class="empty" x="{(LEFT + WIDTH - RIGHT) / 2:.0f}" y="{(TOP + HEIGHT - BOTTOM) / 2:.0f}" '
            f'text-anchor="middle">{escape(_("Keine Werte im Zeitraum."))}</text>']


# Bar series after the first also differ by a pattern (not by colour only): hatching drawn over
# the coloured bar and its legend key.
PATTERNS = (
    '<path d="M0,8 L8,0" class="hatch-line"/>',  # diagonal
    '<path d="M0,4 L8,4 M4,0 L4,8" class="hatch-line"/>',  # cross
    '<circle cx="4" cy="4" r="1.6" class="hatch-dot"/>',  # dots
)


def _pattern_defs(chart_id: str, count: int) -> list[str]:
    if count < 2:
        return []
    defs = [
        f'<pattern id="{chart_id}-h{index}" width="8" height="8" patternUnits="userSpaceOnUse">'
        f"{PATTERNS[(index - 1) % len(PATTERNS)]}</pattern>"
        for index in range(1, count)
    ]
    return ["<defs>", *defs, "</defs>"]


def _hatch(chart_id: str, index: int, x: float, y: float, width: float, height: float) -> str:
    return (f'<rect class="hatch" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
            f'fill="url(#{chart_id}-h{index})"/>')


def _legend(series: Sequence[Series], chart_id: str | None = None) -> list[str]:
    if len(series) < 2:
        return []
    parts, x = [], LEFT
    y = HEIGHT - 14
    for index, item in enumerate(series):
        parts.append(f'<rect class="series-{index % 6}" x="{x}" y="{y - 9}" width="12" height="12"/>')
        if chart_id and index:
            parts.append(_hatch(chart_id, index, x, y - 9, 12, 12))
        parts.append(f'<text class="legend" x="{x + 16}" y="{y + 2}">{escape(item.name)}</text>')
        x += 28 + 8 * len(item.name)
    return parts


def _describe(labels: Sequence[str], series: Sequence[Series], unit: str) -> str:
    pairs = [
        (v, s.name, label) for s in series for label, v in zip(labels, s.values, strict=True) if v is not None
    ]
    if not pairs:
        return _("Keine Werte im Zeitraum.")
    value, name, label = max(pairs, key=lambda item: item[0])
    names = ", ".join(s.name for s in series)
    return _(
        "%(names)s für %(count)d Einträge; höchster Wert %(value)s %(unit)s (%(label)s%(series)s). "
        "Die Werte stehen in der Tabelle."
    ) % {
        "names": names,
        "count": len(labels),
        "value": _number(value),
        "unit": unit,
        "label": label,
        "series": f", {name}" if len(series) > 1 else "",
    }


def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = "", top: float | None = None
) -> SafeString:
    """Grouped vertical bars: one group per label, one bar per series."""
    chart_id = f"chart-{next(_ids)}"
    values = [v for s in series for v in s.values if v is not None]
    top_value = top or _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(labels), 1)
    group_w = plot_w / count
    bar_w = max(2.0, min(48.0, group_w * 0.8 / max(len(series), 1)))
    body = _axes(top_value, unit)
    centres = []
    for index in range(len(labels)):
        centre = LEFT + group_w * index + group_w / 2
        centres.append(centre)
        first_x = centre - bar_w * len(series) / 2
        for s_index, item in enumerate(series):
            value = item.values[index]
            if value is None:
                continue
            height = plot_h * min(value, top_value) / top_value
            x = first_x + s_index * bar_w
            body.append(
                f'<rect class="bar series-{s_index % 6}" x="{x:.1f}" y="{TOP + plot_h - height:.1f}" '
                f'width="{max(bar_w - 1, 1):.1f}" height="{height:.1f}"><title>{escape(labels[index])}: '
                f"{escape(_number(value))} {escape(unit)}</title></rect>"
            )
            if s_index and height > 0:
                body.append(_hatch(chart_id, s_index, x, TOP + plot_h - height, max(bar_w - 1, 1), height))
    body = _pattern_defs(chart_id, len(series)) + body
    body += _labels(labels, centres) + _legend(series, chart_id) + _empty_note(values)
    return _frame(title, _describe(labels, series, unit), body, chart_id, "chart-bar")


MARKERS = ("circle", "square", "diamond")


def _marker(kind: str, x: float, y: float, css: str) -> str:
    if kind == "square":
        return f'<rect class="{css}" x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7"/>'
    if kind == "diamond":
        return (
            f'<polygon class="{css}" points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} '
            f'{x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"/>'
        )
    return f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="3.5"/>'


def line_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = "", top: float | None = None
) -> SafeString:
    """Lines over the labels (gaps where a value is missing), markers on every point."""
    chart_id = f"chart-{next(_ids)}"
    values = [v for s in series for v in s.values if v is not None]
    top_value = top or _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(labels), 1)
    step = plot_w / count
    centres = [LEFT + step * i + step / 2 for i in range(len(labels))]
    body = _axes(top_value, unit)
    for s_index, item in enumerate(series):
        css = f"series-{s_index % 6}"
        segment: list[str] = []
        segments: list[list[str]] = []
        for index, value in enumerate(item.values):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            y = TOP + plot_h - plot_h * min(value, top_value) / top_value
            segment.append(f"{centres[index]:.1f},{y:.1f}")
            body.append(_marker(MARKERS[s_index % 3], centres[index], y, f"point {css}"))
        if segment:
            segments.append(segment)
        for points in segments:
            if len(points) > 1:
                body.append(f'<polyline class="line {css}" points="{" ".join(points)}"/>')
    body += _labels(labels, centres) + _legend(series) + _empty_note(values)
    return _frame(title, _describe(labels, series, unit), body, chart_id, "chart-line")
