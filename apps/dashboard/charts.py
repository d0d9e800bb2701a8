"""Server-rendered SVG charts: sparklines for the caseload, outcome charts for the patient page.

Plain functions that return SVG markup (``SafeString``). No JavaScript, nothing from a CDN.
Every chart is an ``<svg role="img">`` with a ``<title>`` (and ``<desc>``) so that a screen reader
announces it; the page puts a text summary or a data table next to it. Colours come from CSS
classes in static/css/app.css (no inline styles), so a Content-Security-Policy without
``unsafe-inline`` does not break them.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from apps.core.dates import clinic_today
from apps.core.text import format_date, format_score


def fmt(value: float | None, places: int = 1) -> str:
    """A score for display: 7 -> "7", 4.3333 -> "4.3", None -> "—" (apps.core.text)."""
    return format_score(value, places)


def _n(value: float) -> str:
    """A coordinate: two decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


SPARK_DIRECTIONS = {
    # direction -> (arrow of the score's movement, words for the title); lower is better.
    "better": ("↓", "improved meaningfully since baseline"),
    "worse": ("↑", "worse by a meaningful amount since baseline"),
    "same": ("→", "no meaningful change since baseline"),
}


def sparkline(
    values: Sequence[float],
    *,
    low: float,
    high: float,
    label: str,
    baseline: float | None = None,
    direction: str | None = None,
    width: int = 52,
    height: int = 20,
) -> SafeString:
    """A tiny trend line of ``values`` (oldest first) on a fixed ``low``..``high`` scale.

    The scale is the instrument's range, so slopes are comparable between patients. The
    episode's ``baseline`` is a dashed line; the last point and an arrow after the chart take the
    colour of the ``direction`` of change ("better", "worse", "same"). The ``<title>`` reads out
    the values and the change, e.g. "Pain NRS trend, oldest to latest: 8, 7, 7, 6; baseline 8;
    no meaningful change since baseline".
    """
    if not values:
        return mark_safe("")
    pad = 3.0
    span = (high - low) or 1.0
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def y(v: float) -> float:
        return height - pad - (min(max(v, low), high) - low) / span * (height - 2 * pad)

    points = [
        (pad + i * step if len(values) > 1 else width / 2, y(v)) for i, v in enumerate(values)
    ]
    path = " ".join(f"{_n(px)},{_n(py)}" for px, py in points)
    last_x, last_y = points[-1]
    title = f"{label} trend, oldest to latest: " + ", ".join(fmt(v) for v in values)
    base_line = mark_safe("")
    if baseline is not None:
        title += f"; baseline {fmt(baseline)}"
        base_line = format_html(
            '<line class="spark-base" x1="0" y1="{y}" x2="{w}" y2="{y}"/>',
            y=_n(y(baseline)),
            w=width,
        )
    arrow, words = SPARK_DIRECTIONS.get(direction or "", ("", ""))
    if words:
        title += f"; {words}"
    svg = format_html(
        '<svg class="spark" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'focusable="false"><title>{title}</title>{base}'
        '<polyline class="spark-line" points="{path}"/>'
        '<circle class="spark-dot{dot}" cx="{cx}" cy="{cy}" r="2.4"/></svg>',
        w=width,
        h=height,
        title=title,
        base=base_line,
        path=path,
        dot=f" spark-{direction}" if words else "",
        cx=_n(last_x),
        cy=_n(last_y),
    )
    if not words:
        return svg
    return format_html(
        '{svg}<span class="spark-arrow spark-{d}" aria-hidden="true">{arrow}</span>',
        svg=svg,
        d=direction,
        arrow=arrow,
    )


@dataclass(frozen=True)
class ChartPoint:
    on: dt.date
    value: float
    label: str = ""  # e.g. "PEG 6.3 on 12 Mar 2026"


def _ticks(low: float, high: float) -> list[float]:
    span = high - low
    step = 20.0 if span > 50 else 2.0 if span > 5 else 1.0
    ticks, v = [], low
    while v <= high + 1e-9:
        ticks.append(v)
        v += step
    return ticks


def outcome_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    points: Sequence[ChartPoint],
    low: float,
    high: float,
    baseline: float | None = None,
    improve_at: float | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    width: int = 440,
    height: int = 200,
) -> SafeString:
    """A line chart of an outcome measure over time, lower is better.

    ``baseline`` is drawn as a dashed line; ``improve_at`` (the score at or below which the drop
    from baseline is meaningful) as a solid line; the band between them is shaded: a patient
    whose points stay in or above the band has not improved meaningfully ("stalled").
    """
    left, right, top, bottom = 30.0, 108.0, 12.0, 24.0
    plot_w, plot_h = width - left - right, height - top - bottom
    span_v = (high - low) or 1.0

    def y(v: float) -> float:
        return top + (high - min(max(v, low), high)) / span_v * plot_h

    first = start or (points[0].on if points else clinic_today())
    last = end or (points[-1].on if points else first)
    if last <= first:
        last = first + dt.timedelta(days=1)
    span_d = (last - first).days

    def x(day: dt.date) -> float:
        return left + (day - first).days / span_d * plot_w

    parts: list[str] = [
        format_html(
            '<svg class="chart" id="{id}" viewBox="0 0 {w} {h}" role="img" focusable="false" '
            'aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMidYMid meet">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>',
            id=chart_id,
            w=width,
            h=height,
            title=title,
            desc=description,
        )
    ]
    # Grid and y-axis labels.
    for tick in _ticks(low, high):
        ty = y(tick)
        parts.append(
            format_html(
                '<line class="chart-grid" x1="{x1}" x2="{x2}" y1="{y}" y2="{y}"/>'
                '<text class="chart-axis" x="{tx}" y="{ty}" text-anchor="end">{label}</text>',
                x1=_n(left),
                x2=_n(width - right),
                y=_n(ty),
                tx=_n(left - 6),
                ty=_n(ty + 4),
                label=fmt(tick, 0),
            )
        )
    # The meaningful-change band, baseline and improvement lines.
    if baseline is not None and improve_at is not None:
        band_top, band_bottom = y(baseline), y(improve_at)
        parts.append(
            format_html(
                '<rect class="chart-band" x="{x}" y="{y}" width="{w}" height="{h}"/>',
                x=_n(left),
                y=_n(band_top),
                w=_n(plot_w),
                h=_n(max(band_bottom - band_top, 0.5)),
            )
        )
        parts.append(
            format_html(
                '<line class="chart-improve" x1="{x1}" x2="{x2}" y1="{y}" y2="{y}"/>'
                '<text class="chart-note chart-note-improve" x="{tx}" y="{ty}">'
                "improved ≤ {v}</text>",
                x1=_n(left),
                x2=_n(width - right),
                y=_n(band_bottom),
                tx=_n(width - right + 5),
                ty=_n(min(max(band_bottom + 4, band_top + 15), top + plot_h)),
                v=fmt(improve_at),
            )
        )
    if baseline is not None:
        by = y(baseline)
        parts.append(
            format_html(
                '<line class="chart-baseline" x1="{x1}" x2="{x2}" y1="{y}" y2="{y}"/>'
                '<text class="chart-note" x="{tx}" y="{ty}">baseline {v}</text>',
                x1=_n(left),
                x2=_n(width - right),
                y=_n(by),
                tx=_n(width - right + 5),
                ty=_n(max(by + 4, top + 4)),
                v=fmt(baseline),
            )
        )
    # X-axis: first and last date (and the middle one when there is room).
    labels = [first, last]
    if span_d >= 20:
        labels.insert(1, first + dt.timedelta(days=span_d // 2))
    for i, day in enumerate(labels):
        anchor = "start" if i == 0 else "end" if i == len(labels) - 1 else "middle"
        parts.append(
            format_html(
                '<text class="chart-axis" x="{x}" y="{y}" text-anchor="{a}">{label}</text>',
                x=_n(x(day)),
                y=_n(height - 8),
                a=anchor,
                label=day.strftime("%-d %b"),
            )
        )
    parts.append(
        format_html(
            '<line class="chart-axisline" x1="{x1}" x2="{x2}" y1="{y}" y2="{y}"/>',
            x1=_n(left),
            x2=_n(width - right),
            y=_n(top + plot_h),
        )
    )
    # The series.
    if len(points) > 1:
        path = " ".join(f"{_n(x(p.on))},{_n(y(p.value))}" for p in points)
        parts.append(format_html('<polyline class="chart-line" points="{}"/>', path))
    for p in points:
        parts.append(
            format_html(
                '<circle class="chart-dot" cx="{cx}" cy="{cy}" r="3.5"><title>{t}</title></circle>',
                cx=_n(x(p.on)),
                cy=_n(y(p.value)),
                t=p.label or f"{fmt(p.value)} on {format_date(p.on)}",
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every part is escaped above


def severity_icon(severity: str) -> SafeString:
    """The shape that goes with a severity, so it is not told by colour alone:
    a triangle (urgent), a filled circle (warning), a ring (info). Decorative: the badge
    carries the word."""
    shapes = {
        "urgent": '<path d="M6 1 L11.5 11 H0.5 Z"/>',
        "warning": '<circle cx="6" cy="6.5" r="4.5"/>',
        "info": '<circle cx="6" cy="6.5" r="4" fill="none" stroke-width="1.8"/>',
    }
    shape = shapes.get(severity, shapes["info"])
    return mark_safe(  # noqa: S308 - constant markup chosen from a fixed table
        f'<svg class="sev-icon" viewBox="0 0 12 12" width="12" height="12" aria-hidden="true" '
        f'focusable="false">{shape}</svg>'
    )


__all__ = ["ChartPoint", "fmt", "outcome_chart", "severity_icon", "sparkline"]
