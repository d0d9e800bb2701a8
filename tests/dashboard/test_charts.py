"""apps.dashboard.charts and the meaningful-change line: SVG markup with accessible titles, and
the band drawn exactly where apps.clinical.scoring says improvement begins."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from apps.clinical import scoring
from apps.clinical.thresholds import THRESHOLDS
from apps.dashboard import charts
from apps.dashboard.selectors import improvement_line

DEFAULTS = {key: spec.default for key, spec in THRESHOLDS.items()}


def test_sparkline_is_svg_with_a_title():
    svg = str(charts.sparkline([8, 7, 7.5, 6], low=0, high=10, label="Pain NRS"))
    assert svg.startswith('<svg class="spark"') and 'role="img"' in svg
    assert "<title>Pain NRS trend, oldest to latest: 8, 7, 7.5, 6</title>" in svg
    assert str(charts.sparkline([], low=0, high=10, label="x")) == ""


def test_outcome_chart_escapes_text_and_draws_the_band():
    day = dt.date(2026, 3, 1)
    svg = str(
        charts.outcome_chart(
            chart_id="c",
            title="Pain <NRS>",
            description="a & b",
            points=[charts.ChartPoint(day, 7), charts.ChartPoint(day + dt.timedelta(days=14), 6)],
            low=0,
            high=10,
            baseline=7,
            improve_at=5,
        )
    )
    assert '<title id="c-title">Pain &lt;NRS&gt;</title>' in svg and "a &amp; b" in svg
    assert 'class="chart-band"' in svg and "baseline 7" in svg and "improved ≤ 5" in svg
    assert svg.count('class="chart-dot"') == 2 and 'class="chart-line"' in svg


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (0, 0, "0"),
        (10, 0, "10"),
        (100, 0, "100"),
        (20.0, 1, "20"),
        (4.333, 1, "4.3"),
        (-0.01, 1, "0"),
        (None, 1, "—"),
    ],
)
def test_fmt_keeps_whole_numbers_whole(value, places, text):
    assert charts.fmt(value, places) == text


@pytest.mark.parametrize(
    ("instrument", "baseline", "line"),
    [
        ("nrs", Fraction(8), Fraction(6)),  # 2 points < 30% (2.4): 6 counts
        ("nrs", Fraction(5), Fraction(7, 2)),  # 30% (1.5) < 2 points
        ("odi", Fraction(40), Fraction(30)),  # 10 points < 30% (12)
        ("odi", Fraction(20), Fraction(14)),  # 30% (6) < 10 points
        ("peg", Fraction(7), Fraction(49, 10)),  # PEG: 30% only
    ],
)
def test_the_band_ends_exactly_where_scoring_says_improvement_begins(instrument, baseline, line):
    drawn = improvement_line(instrument, baseline, DEFAULTS)
    assert drawn == line
    assert scoring.is_meaningful_improvement(instrument, baseline, drawn) is True
    just_above = drawn + Fraction(1, 1000)
    assert scoring.is_meaningful_improvement(instrument, baseline, just_above) is False


def test_admin_thresholds_move_the_band():
    t = DEFAULTS | {"mcid_nrs_points": Decimal("3"), "mcid_percent": Decimal("50")}
    assert improvement_line("nrs", Fraction(8), t) == Fraction(5)
    assert improvement_line("nrs", Fraction(0), DEFAULTS) is None


def test_sparkline_draws_the_baseline_and_names_the_direction():
    svg = str(
        charts.sparkline(
            [6, 5, 4], low=0, high=10, label="Pain NRS", baseline=8, direction="better"
        )
    )
    # The baseline 8 of 0..10 on a 20 px high chart with 3 px padding: y = 20 - 3 - 0.8 * 14.
    assert '<line class="spark-base" x1="0" y1="5.8" x2="52" y2="5.8"/>' in svg
    assert "<title>Pain NRS trend, oldest to latest: 6, 5, 4; baseline 8; improved " in svg
    assert 'class="spark-dot spark-better"' in svg
    assert '<span class="spark-arrow spark-better" aria-hidden="true">↓</span>' in svg


def test_sparkline_says_worse_and_no_change_too():
    worse = str(charts.sparkline([5, 8], low=0, high=10, label="x", baseline=5, direction="worse"))
    assert "worse by a meaningful amount since baseline" in worse and "↑" in worse
    same = str(charts.sparkline([5, 5], low=0, high=10, label="x", baseline=5, direction="same"))
    assert "no meaningful change since baseline" in same and "→" in same
