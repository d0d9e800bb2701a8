"""Tests for apps.clinical.scoring against CLINICAL.md ("Worked examples" and "Policies")."""

import dataclasses
import math
from decimal import Decimal
from fractions import Fraction

import pytest

from apps.clinical import scoring
from apps.clinical.scoring import (
    DEFAULT_ABSOLUTE_THRESHOLDS,
    DEFAULT_PERCENT_THRESHOLD,
    INSTRUMENT_RANGES,
    LOINC,
    MME_CONVERSION_FACTORS,
    MME_DRUGS,
    ODI_SECTIONS,
    SNOMED,
    Gad7Band,
    Gad7Result,
    OdiBand,
    OdiResult,
    Phq9Band,
    Phq9Result,
    SelfHarm,
    StartBackResult,
    StartBackRisk,
    daily_mme,
    is_meaningful_improvement,
    is_meaningful_worsening,
    score_gad7,
    score_nrs,
    score_odi,
    score_peg,
    score_phq9,
    score_sleep_quality,
    score_start_back,
)


def agreed(*items: int) -> list[bool]:
    """STarT Back items 1-8 with the given item numbers agreed."""
    return [number in items for number in range(1, 9)]


# ---------------------------------------------------------------------------
# STarT Back
# ---------------------------------------------------------------------------

START_BACK_EXAMPLES = [
    pytest.param(agreed(), "not_at_all", 0, 0, "low", id="none-not_at_all-low"),
    pytest.param(agreed(1, 2, 3), "moderately", 3, 0, "low", id="1-3-moderately-low"),
    pytest.param(agreed(1, 2, 3, 4), "slightly", 4, 0, "medium", id="1-4-slightly-medium"),
    pytest.param(agreed(5, 6, 7), "very_much", 4, 4, "high", id="5-7-very_much-high"),
    pytest.param(agreed(5, 6), "extremely", 3, 3, "low", id="5-6-extremely-low"),
    pytest.param(agreed(*range(1, 9)), "moderately", 8, 4, "high", id="1-8-moderately-high"),
    pytest.param(agreed(*range(1, 9)), "extremely", 9, 5, "high", id="1-8-extremely-high"),
]


@pytest.mark.parametrize(
    ("agree", "bothersomeness", "total", "psychosocial", "risk"), START_BACK_EXAMPLES
)
def test_it_scores_every_start_back_worked_example(
    agree: list[bool],
    bothersomeness: str,
    total: int,
    psychosocial: int,
    risk: StartBackRisk,
) -> None:
    assert score_start_back(agree, bothersomeness) == StartBackResult(
        total=total, psychosocial=psychosocial, risk=risk
    )


def test_it_scores_start_back_high_risk_when_psychosocial_subscale_is_four() -> None:
    result = score_start_back(agreed(5, 6, 7), "very_much")
    assert (result.psychosocial, result.risk) == (4, "high")


def test_it_scores_start_back_medium_risk_when_total_is_four_and_subscale_below_four() -> None:
    result = score_start_back(agreed(1, 2, 5, 6), "slightly")
    assert (result.total, result.psychosocial, result.risk) == (4, 2, "medium")


def test_it_scores_start_back_low_risk_when_total_is_three_even_with_subscale_three() -> None:
    assert score_start_back(agreed(5, 6), "extremely").risk == "low"


@pytest.mark.parametrize(
    ("answer", "score"),
    [
        ("not_at_all", 0),
        ("slightly", 0),
        ("moderately", 0),
        ("very_much", 1),
        ("extremely", 1),
    ],
)
def test_it_scores_start_back_bothersomeness_one_only_for_very_much_or_extremely(
    answer: str, score: int
) -> None:
    assert score_start_back(agreed(), answer).total == score


def test_it_accepts_a_tuple_of_start_back_answers() -> None:
    assert score_start_back(tuple(agreed(1)), "slightly").total == 1


@pytest.mark.parametrize(
    ("agree", "bothersomeness", "message"),
    [
        pytest.param(
            agreed()[:7],
            "slightly",
            r"^STarT Back needs 8 agree/disagree answers, got 7\.$",
            id="seven-items",
        ),
        pytest.param(
            [*agreed(), False],
            "slightly",
            r"^STarT Back needs 8 agree/disagree answers, got 9\.$",
            id="nine-items",
        ),
        pytest.param(
            [1, 0, 0, 0, 0, 0, 0, 0],
            "slightly",
            r"^STarT Back item 1 must be agree \(True\) or disagree \(False\), got 1\.$",
            id="int-instead-of-bool",
        ),
        pytest.param(
            [False, False, None, False, False, False, False, False],
            "slightly",
            r"STarT Back item 3 must be agree \(True\) or disagree \(False\), got None",
            id="missing-item",
        ),
        pytest.param(
            "10101010",
            "slightly",
            r"STarT Back needs a list of 8 agree/disagree answers, got str",
            id="string-instead-of-list",
        ),
        pytest.param(
            agreed(),
            "very much",
            r"STarT Back item 9 \(bothersomeness\) must be one of not_at_all, slightly, "
            r"moderately, very_much, extremely; got 'very much'\.",
            id="unknown-bothersomeness",
        ),
        pytest.param(
            agreed(),
            None,
            r"STarT Back item 9 \(bothersomeness\) must be one of .*; got None\.",
            id="missing-bothersomeness",
        ),
    ],
)
def test_it_rejects_bad_start_back_answers(
    agree: object, bothersomeness: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        score_start_back(agree, bothersomeness)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# ODI
# ---------------------------------------------------------------------------


def odi_with_sum(total: int) -> list[int | None]:
    """Ten answered ODI sections adding up to ``total`` (0-50)."""
    return [min(5, max(0, total - 5 * n)) for n in range(10)]


ODI_EXAMPLE = [2, 1, 3, 2, 2, 1, 1, 0, 2, 2]
ODI_EXAMPLE_SECTION_8_MISSING = [2, 1, 3, 2, 2, 1, 1, None, 2, 2]

ODI_EXAMPLES = [
    pytest.param(ODI_EXAMPLE, 32.0, "moderate", id="example-32-moderate"),
    pytest.param([0] * 10, 0.0, "minimal", id="all-0-minimal"),
    pytest.param([5] * 10, 100.0, "bed-bound", id="all-5-bed-bound"),
    pytest.param(odi_with_sum(10), 20.0, "minimal", id="sum-10-20-minimal"),
    pytest.param(odi_with_sum(11), 22.0, "moderate", id="sum-11-22-moderate"),
    pytest.param(odi_with_sum(30), 60.0, "severe", id="sum-30-60-severe"),
    pytest.param(odi_with_sum(31), 62.0, "crippled", id="sum-31-62-crippled"),
    pytest.param(odi_with_sum(40), 80.0, "crippled", id="sum-40-80-crippled"),
    pytest.param(odi_with_sum(41), 82.0, "bed-bound", id="sum-41-82-bed-bound"),
]


@pytest.mark.parametrize(("sections", "percent", "band"), ODI_EXAMPLES)
def test_it_scores_every_odi_worked_example(
    sections: list[int | None], percent: float, band: OdiBand
) -> None:
    assert score_odi(sections) == OdiResult(percent=percent, band=band)


@pytest.mark.parametrize("total", [10, 11, 30, 31, 40, 41])
def test_it_builds_odi_boundary_examples_with_the_intended_sum(total: int) -> None:
    sections = odi_with_sum(total)
    assert len(sections) == 10
    assert sum(s for s in sections if s is not None) == total


def test_it_keeps_the_exact_odi_percent_when_section_8_is_missing() -> None:
    result = score_odi(ODI_EXAMPLE_SECTION_8_MISSING)
    assert result.percent == pytest.approx(16 / 45 * 100, rel=1e-12)
    assert result.percent != 35.56
    assert result.percent != 35.6
    assert result.band == "moderate"


def test_it_scores_odi_with_eight_of_ten_sections_answered() -> None:
    result = score_odi([5, 5, 5, 5, 5, 5, 5, 5, None, None])
    assert result == OdiResult(percent=100.0, band="bed-bound")


@pytest.mark.parametrize(
    "sections",
    [
        pytest.param([None] * 10, id="nothing-answered"),
        pytest.param([1, 1, 1, 1, 1, 1, 1, None, None, None], id="seven-answered"),
    ],
)
def test_it_gives_no_odi_score_when_fewer_than_eight_sections_are_answered(
    sections: list[int | None],
) -> None:
    assert score_odi(sections) == OdiResult(percent=None, band=None)


@pytest.mark.parametrize(
    ("sections", "band"),
    [
        # 9 answered: percent = 20 x sum / 9; 8 answered: percent = 2.5 x sum.
        pytest.param([1] * 9 + [None], "minimal", id="9-answered-sum-9-20.0"),
        pytest.param([2, 1, 1, 1, 1, 1, 1, 1, 1, None], "moderate", id="9-answered-sum-10-22.2"),
        pytest.param([1] * 8 + [None, None], "minimal", id="8-answered-sum-8-20.0"),
        pytest.param([2] + [1] * 7 + [None, None], "moderate", id="8-answered-sum-9-22.5"),
        pytest.param([4] * 9 + [None], "crippled", id="9-answered-sum-36-80.0"),
        pytest.param([5] + [4] * 8 + [None], "bed-bound", id="9-answered-sum-37-82.2"),
    ],
)
def test_it_bands_non_integer_odi_percents_with_inclusive_upper_edges(
    sections: list[int | None], band: str
) -> None:
    assert score_odi(sections).band == band


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        pytest.param([0] * 9, r"^ODI needs 10 section answers, got 9\.$", id="nine-sections"),
        pytest.param([0] * 11, r"^ODI needs 10 section answers, got 11\.$", id="eleven-sections"),
        pytest.param(
            [0] * 7 + [6, 0, 0],
            r"^ODI section 8 \(sex life\) must be 0-5, got 6\.$",
            id="section-above-5",
        ),
        pytest.param(
            [-1] + [0] * 9,
            r"^ODI section 1 \(pain intensity\) must be 0-5, got -1\.$",
            id="negative-section",
        ),
        pytest.param(
            [0, 2.5] + [0] * 8,
            r"^ODI section 2 \(personal care\) must be a whole number 0-5, got 2\.5\.$",
            id="fractional-section",
        ),
        pytest.param(
            [0, 0, True] + [0] * 7,
            r"^ODI section 3 \(lifting\) must be a whole number 0-5, got True\.$",
            id="bool-section",
        ),
        pytest.param(
            [0, 0, 0, "3"] + [0] * 6,
            r"^ODI section 4 \(walking\) must be a whole number 0-5, got '3'\.$",
            id="text-section",
        ),
        pytest.param(
            [0] * 9 + [math.nan],
            r"^ODI section 10 \(travelling\) must be a whole number 0-5, got nan\.$",
            id="nan-section",
        ),
        pytest.param(None, r"ODI needs a list of 10 section answers, got NoneType", id="no-list"),
    ],
)
def test_it_rejects_bad_odi_sections(sections: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_odi(sections)  # type: ignore[arg-type]


def test_it_labels_odi_sections_by_topic_only() -> None:
    assert ODI_SECTIONS == (
        "pain intensity",
        "personal care",
        "lifting",
        "walking",
        "sitting",
        "standing",
        "sleeping",
        "sex life",
        "social life",
        "travelling",
    )


# ---------------------------------------------------------------------------
# PEG, NRS, sleep
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        pytest.param((7, 6, 8), 7.0, id="7-6-8-7.0"),
        pytest.param((5, 4, 4), 13 / 3, id="5-4-4-4.333"),
        pytest.param((10, 10, 10), 10.0, id="10-10-10-10.0"),
        pytest.param((2, 0, 1), 1.0, id="2-0-1-1.0"),
    ],
)
def test_it_scores_every_peg_worked_example(answers: tuple[int, int, int], expected: float) -> None:
    assert score_peg(*answers) == pytest.approx(expected, rel=1e-15)


def test_it_returns_peg_as_a_float() -> None:
    assert isinstance(score_peg(7, 6, 8), float)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        pytest.param((11, 0, 0), r"^PEG pain must be 0-10, got 11\.$", id="pain-11"),
        pytest.param(
            (0, -1, 0),
            r"^PEG enjoyment of life must be 0-10, got -1\.$",
            id="enjoyment-neg",
        ),
        pytest.param(
            (0, 0, 7.5),
            r"^PEG general activity must be a whole number 0-10, got 7\.5\.$",
            id="activity-fraction",
        ),
        pytest.param(
            (False, 0, 0),
            r"^PEG pain must be a whole number 0-10, got False\.$",
            id="bool-pain",
        ),
        pytest.param(
            (None, 0, 0),
            r"^PEG pain must be a whole number 0-10, got None\.$",
            id="missing-pain",
        ),
    ],
)
def test_it_rejects_bad_peg_answers(answers: tuple[object, object, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_peg(*answers)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, 5, 10])
def test_it_scores_pain_nrs_as_the_value(value: int) -> None:
    assert score_nrs(value) == value


@pytest.mark.parametrize("value", [0, 5, 10])
def test_it_scores_sleep_quality_as_the_value(value: int) -> None:
    assert score_sleep_quality(value) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(11, r"^Pain NRS must be 0-10, got 11\.$", id="11"),
        pytest.param(-1, r"^Pain NRS must be 0-10, got -1\.$", id="negative"),
        pytest.param(6.5, r"^Pain NRS must be a whole number 0-10, got 6\.5\.$", id="fraction"),
        pytest.param(True, r"^Pain NRS must be a whole number 0-10, got True\.$", id="bool"),
        pytest.param(math.nan, r"^Pain NRS must be a whole number 0-10, got nan\.$", id="nan"),
    ],
)
def test_it_rejects_bad_pain_nrs(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_nrs(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(11, r"^Sleep quality must be 0-10, got 11\.$", id="11"),
        pytest.param(None, r"^Sleep quality must be a whole number 0-10, got None\.$", id="none"),
    ],
)
def test_it_rejects_bad_sleep_quality(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_sleep_quality(value)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# PHQ-9
# ---------------------------------------------------------------------------

PHQ9_EXAMPLES = [
    pytest.param([0] * 9, 0.0, "minimal", "no", id="all-0-minimal-no"),
    pytest.param([1, 1, 1, 1, 1, 0, 0, 0, 0], 5.0, "mild", "no", id="5-mild-no"),
    pytest.param([2, 2, 2, 1, 1, 1, 1, 0, 0], 10.0, "moderate", "no", id="10-moderate-no"),
    pytest.param(
        [3, 3, 2, 2, 2, 1, 1, 0, 1],
        15.0,
        "moderately-severe",
        "yes",
        id="15-mod-severe-yes",
    ),
    pytest.param([0, 0, 0, 0, 0, 0, 0, 0, 2], 2.0, "minimal", "yes", id="2-minimal-yes"),
    pytest.param([3] * 9, 27.0, "severe", "yes", id="all-3-severe-yes"),
    pytest.param(
        [2, 2, 2, 2, 1, 1, 1, 1, None],
        13.5,
        "moderate",
        "unknown",
        id="13.5-moderate-unknown",
    ),
]


@pytest.mark.parametrize(("items", "total", "band", "self_harm"), PHQ9_EXAMPLES)
def test_it_scores_every_phq9_worked_example(
    items: list[int | None], total: float, band: Phq9Band, self_harm: SelfHarm
) -> None:
    assert score_phq9(items) == Phq9Result(total=total, band=band, self_harm=self_harm)


def test_it_reports_phq9_self_harm_whatever_the_total() -> None:
    result = score_phq9([0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert (result.band, result.self_harm) == ("minimal", "yes")


def test_it_never_imputes_phq9_item_9() -> None:
    result = score_phq9([3, 3, 3, 3, 3, 3, 3, 3, None])
    assert result.total == 27.0
    assert result.self_harm == "unknown"


def test_it_prorates_phq9_with_two_items_missing() -> None:
    # 10 over 7 answered -> 10 x 9 / 7
    result = score_phq9([2, 2, 2, 2, 2, None, None, 0, 0])
    assert result.total == pytest.approx(90 / 7, rel=1e-12)
    assert result.band == "moderate"
    assert result.self_harm == "no"


def test_it_gives_no_phq9_total_with_more_than_two_items_missing_but_keeps_self_harm() -> None:
    result = score_phq9([3, 3, 3, None, None, None, 0, 0, 2])
    assert result == Phq9Result(total=None, band=None, self_harm="yes")


def test_it_reports_phq9_self_harm_unknown_when_everything_is_missing() -> None:
    assert score_phq9([None] * 9) == Phq9Result(total=None, band=None, self_harm="unknown")


@pytest.mark.parametrize(
    ("items", "band"),
    [
        # 8 answered: total = sum x 9 / 8.
        pytest.param([1, 1, 1, 1, None, 0, 0, 0, 0], "minimal", id="4.5-minimal"),
        pytest.param([2, 2, 2, 2, None, 0, 0, 0, 0], "mild", id="9.0-mild"),
        pytest.param([2, 2, 2, 2, 1, None, 0, 0, 0], "moderate", id="10.125-moderate"),
        pytest.param([3, 3, 3, 2, 2, None, 0, 0, 0], "moderate", id="14.625-moderate"),
        pytest.param([3, 3, 3, 3, 3, None, 2, 0, 0], "moderately-severe", id="19.125-mod-severe"),
        pytest.param([3, 3, 3, 3, 3, None, 3, 0, 0], "severe", id="20.25-severe"),
    ],
)
def test_it_bands_prorated_phq9_totals_with_inclusive_lower_edges(
    items: list[int | None], band: str
) -> None:
    assert score_phq9(items).band == band


@pytest.mark.parametrize(
    ("items", "message"),
    [
        pytest.param([0] * 8, r"^PHQ-9 needs 9 item answers, got 8\.$", id="eight-items"),
        pytest.param([0] * 10, r"^PHQ-9 needs 9 item answers, got 10\.$", id="ten-items"),
        pytest.param(
            [0, 0, 4, 0, 0, 0, 0, 0, 0],
            r"^PHQ-9 item 3 must be 0-3, got 4\.$",
            id="item-4",
        ),
        pytest.param([0] * 8 + [-1], r"^PHQ-9 item 9 must be 0-3, got -1\.$", id="negative"),
        pytest.param(
            [1.5] + [0] * 8,
            r"^PHQ-9 item 1 must be a whole number 0-3, got 1\.5\.$",
            id="fraction",
        ),
        pytest.param(
            [0] * 8 + [True],
            r"^PHQ-9 item 9 must be a whole number 0-3, got True\.$",
            id="bool",
        ),
        pytest.param(
            [0] * 8 + [math.nan],
            r"^PHQ-9 item 9 must be a whole number 0-3, got nan\.$",
            id="nan",
        ),
        pytest.param(
            "000000000",
            r"PHQ-9 needs a list of 9 item answers, got str",
            id="string-not-list",
        ),
    ],
)
def test_it_rejects_bad_phq9_answers(items: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_phq9(items)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# GAD-7
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "total", "band"),
    [
        pytest.param([1, 1, 1, 1, 0, 0, 0], 4, "minimal", id="4-minimal"),
        pytest.param([1, 1, 1, 1, 1, 0, 0], 5, "mild", id="5-mild"),
        pytest.param([2, 2, 2, 1, 1, 1, 0], 9, "mild", id="9-mild"),
        pytest.param([2, 2, 2, 2, 2, 0, 0], 10, "moderate", id="10-moderate"),
        pytest.param([2, 2, 2, 2, 2, 2, 2], 14, "moderate", id="14-moderate"),
        pytest.param([3, 3, 3, 2, 2, 2, 0], 15, "severe", id="15-severe"),
        pytest.param([3] * 7, 21, "severe", id="21-severe"),
    ],
)
def test_it_scores_gad7_worked_examples_and_band_edges(
    items: list[int], total: int, band: Gad7Band
) -> None:
    assert score_gad7(items) == Gad7Result(total=total, band=band)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        pytest.param([0] * 6, r"^GAD-7 needs 7 item answers, got 6\.$", id="six-items"),
        pytest.param([0] * 8, r"^GAD-7 needs 7 item answers, got 8\.$", id="eight-items"),
        pytest.param(
            [0, 0, None, 0, 0, 0, 0],
            r"^GAD-7 item 3 is missing; all 7 items are required\.$",
            id="missing-item",
        ),
        pytest.param([0, 0, 0, 0, 0, 0, 4], r"^GAD-7 item 7 must be 0-3, got 4\.$", id="item-4"),
        pytest.param(
            [True] + [0] * 6,
            r"^GAD-7 item 1 must be a whole number 0-3, got True\.$",
            id="bool",
        ),
        pytest.param(
            [0.0] * 7,
            r"^GAD-7 item 1 must be a whole number 0-3, got 0\.0\.$",
            id="float",
        ),
    ],
)
def test_it_rejects_bad_gad7_answers(items: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_gad7(items)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# MME
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regimen", "expected_parts", "expected_total"),
    [
        pytest.param(
            [("hydrocodone", 5 * 4), ("oxycodone", 10 * 2)],
            [20.0, 30.0],
            50.0,
            id="hydrocodone+oxycodone-50",
        ),
        pytest.param(
            [("tramadol", 50 * 4), ("morphine", 15 * 3)],
            [40.0, 45.0],
            85.0,
            id="tramadol+morphine-85",
        ),
        pytest.param(
            [("hydromorphone", 2 * 6), ("tapentadol", 50 * 2)],
            [60.0, 40.0],
            100.0,
            id="hydromorphone+tapentadol-100",
        ),
    ],
)
def test_it_computes_every_mme_worked_example_exactly(
    regimen: list[tuple[str, int]], expected_parts: list[float], expected_total: float
) -> None:
    parts = [daily_mme(drug, dose) for drug, dose in regimen]
    assert parts == expected_parts
    assert sum(parts) == expected_total


@pytest.mark.parametrize(
    ("drug", "dose", "expected"),
    [
        ("codeine", 240, 36.0),
        ("fentanyl_patch", 25, 60.0),
        ("fentanyl_patch", 12.5, 30.0),
        ("hydrocodone", 30, 30.0),
        ("hydromorphone", 8, 40.0),
        ("methadone", 10, 47.0),
        ("morphine", 60, 60.0),
        ("oxycodone", 30, 45.0),
        ("oxymorphone", 20, 60.0),
        ("tapentadol", 200, 80.0),
        ("tramadol", 300, 60.0),
        ("oxycodone", 7.5, 11.25),
        ("codeine", Decimal("30"), 4.5),
        ("tramadol", 0, 0.0),
    ],
)
def test_it_uses_the_cdc_2022_factor_for_each_drug(drug: str, dose: float, expected: float) -> None:
    assert daily_mme(drug, dose) == expected


def test_it_uses_the_2022_not_the_2016_factors() -> None:
    assert MME_CONVERSION_FACTORS["hydromorphone"] == Decimal("5")
    assert MME_CONVERSION_FACTORS["methadone"] == Decimal("4.7")


def test_it_exposes_the_cdc_2022_conversion_table() -> None:
    assert dict(MME_CONVERSION_FACTORS) == {
        "codeine": Decimal("0.15"),
        "fentanyl_patch": Decimal("2.4"),
        "hydrocodone": Decimal("1"),
        "hydromorphone": Decimal("5"),
        "methadone": Decimal("4.7"),
        "morphine": Decimal("1"),
        "oxycodone": Decimal("1.5"),
        "oxymorphone": Decimal("3"),
        "tapentadol": Decimal("0.4"),
        "tramadol": Decimal("0.2"),
    }
    assert MME_DRUGS == (
        "codeine",
        "fentanyl_patch",
        "hydrocodone",
        "hydromorphone",
        "methadone",
        "morphine",
        "oxycodone",
        "oxymorphone",
        "tapentadol",
        "tramadol",
    )
    assert "buprenorphine" not in MME_DRUGS


def test_it_does_not_let_callers_change_the_conversion_table() -> None:
    with pytest.raises(TypeError):
        MME_CONVERSION_FACTORS["morphine"] = Decimal("2")  # type: ignore[index]


@pytest.mark.parametrize(
    ("drug", "dose", "message"),
    [
        pytest.param(
            "buprenorphine",
            8,
            r"^Buprenorphine is not converted to MME \(CDC 2022\)",
            id="buprenorphine",
        ),
        pytest.param(
            "Buprenorphine_patch",
            10,
            r"^Buprenorphine is not converted to MME",
            id="buprenorphine-patch",
        ),
        pytest.param(
            "heroin",
            10,
            r"^Unknown opioid 'heroin' for MME; expected one of codeine, fentanyl_patch, "
            r"hydrocodone, hydromorphone, methadone, morphine, oxycodone, oxymorphone, "
            r"tapentadol, tramadol\.$",
            id="unknown-drug",
        ),
        pytest.param(
            "fentanyl",
            25,
            r"^Unknown opioid 'fentanyl' for MME",
            id="fentanyl-not-patch",
        ),
        pytest.param("Morphine", 10, r"^Unknown opioid 'Morphine' for MME", id="wrong-case"),
        pytest.param(
            "morphine",
            -5,
            r"^Daily dose of morphine \(mg/day\) cannot be negative, got -5\.$",
            id="negative",
        ),
        pytest.param(
            "fentanyl_patch",
            -12.5,
            r"^Daily dose of fentanyl_patch \(mcg/hr\) cannot be negative, got -12\.5\.$",
            id="negative-patch",
        ),
        pytest.param(
            "morphine",
            math.nan,
            r"^Daily dose of morphine \(mg/day\) must be a number, got nan\.$",
            id="nan",
        ),
        pytest.param(
            "morphine",
            math.inf,
            r"^Daily dose of morphine \(mg/day\) must be a number, got inf\.$",
            id="inf",
        ),
        pytest.param(
            "morphine",
            True,
            r"^Daily dose of morphine \(mg/day\) must be a number, got True\.$",
            id="bool",
        ),
        pytest.param(
            "morphine",
            "30",
            r"^Daily dose of morphine \(mg/day\) must be a number, got '30'\.$",
            id="text",
        ),
    ],
)
def test_it_rejects_bad_mme_input(drug: object, dose: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        daily_mme(drug, dose)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Meaningful change
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "baseline", "follow_up", "expected"),
    [
        pytest.param("nrs", 8, 5, True, id="nrs-8-to-5-yes"),
        pytest.param("nrs", 8, 6, True, id="nrs-8-to-6-yes-2-points"),
        pytest.param("nrs", 7, 8, False, id="nrs-7-to-8-no-worse"),
        pytest.param("odi", 40, 30, True, id="odi-40-to-30-yes-10-points"),
        pytest.param("peg", 7.0, 4.667, True, id="peg-7.0-to-4.667-yes-33pct"),
        pytest.param("peg", 7.0, 14 / 3, True, id="peg-7.0-to-float-14/3-yes"),
        pytest.param("peg", 7.0, 4.666666666666667, True, id="peg-7.0-to-4.666666666666667-yes"),
        pytest.param("peg", 7.0, 5.0, False, id="peg-sum-21-to-15-no-28.6pct"),
    ],
)
def test_it_decides_every_meaningful_improvement_worked_example(
    instrument: str, baseline: float, follow_up: float, expected: bool
) -> None:
    assert is_meaningful_improvement(instrument, baseline, follow_up) is expected


def test_it_counts_exactly_thirty_percent_as_meaningful_improvement() -> None:
    # 7 -> 4.9 is a drop of exactly 30%; float arithmetic (7 - 4.9) / 7 gives 0.29999...
    assert (7 - 4.9) / 7 < 0.3
    assert is_meaningful_improvement("nrs", 7, 4.9) is True
    assert is_meaningful_improvement("peg", 7, 4.9) is True
    assert is_meaningful_improvement("peg", 7.0, 4.9) is True
    assert is_meaningful_improvement("peg", Decimal("7"), Decimal("4.9")) is True
    assert is_meaningful_improvement("peg", Fraction(7), Fraction(49, 10)) is True  # type: ignore[arg-type]


def test_it_does_not_count_just_under_thirty_percent_as_improvement() -> None:
    assert is_meaningful_improvement("peg", 7, 4.91) is False


def test_it_counts_odi_thirty_percent_below_ten_points_as_improvement() -> None:
    assert is_meaningful_improvement("odi", 20, 14) is True
    assert is_meaningful_improvement("odi", 20, 15) is False


def test_it_does_not_use_an_absolute_threshold_for_peg() -> None:
    # A 2-point PEG drop from 8 is 25%: not meaningful, unlike NRS.
    assert is_meaningful_improvement("peg", 8, 6) is False
    assert is_meaningful_improvement("nrs", 8, 6) is True


@pytest.mark.parametrize("instrument", ["nrs", "odi", "peg"])
def test_it_says_improvement_is_not_applicable_from_a_zero_baseline(
    instrument: str,
) -> None:
    assert is_meaningful_improvement(instrument, 0, 0) is None


def test_it_accepts_admin_overrides_for_improvement_thresholds() -> None:
    assert is_meaningful_improvement("odi", 40, 34, absolute=Decimal("6")) is True
    assert is_meaningful_improvement("odi", 40, 34) is False
    assert is_meaningful_improvement("nrs", 8, 6, absolute=None) is False
    assert is_meaningful_improvement("peg", 8, 6, absolute=2.0) is True
    assert is_meaningful_improvement("peg", 8, 6, percent=25) is True
    assert is_meaningful_improvement("peg", 8, 6, percent=Decimal("25.1")) is False


def test_it_has_the_documented_default_thresholds() -> None:
    assert dict(DEFAULT_ABSOLUTE_THRESHOLDS) == {
        "nrs": Decimal("2"),
        "odi": Decimal("10"),
        "peg": None,
    }
    assert DEFAULT_PERCENT_THRESHOLD == 30


@pytest.mark.parametrize(
    ("instrument", "baseline", "follow_up", "expected"),
    [
        pytest.param("nrs", 5, 7, True, id="nrs-5-to-7-2-points"),
        pytest.param("nrs", 7, 8, False, id="nrs-7-to-8-no"),
        pytest.param("nrs", 8, 5, False, id="nrs-improved-is-not-worse"),
        pytest.param("odi", 30, 40, True, id="odi-30-to-40-10-points"),
        pytest.param("odi", 20, 26, True, id="odi-20-to-26-30pct"),
        pytest.param("odi", 20, 25, False, id="odi-20-to-25-25pct"),
        pytest.param("peg", 7, 9.1, True, id="peg-7-to-9.1-exactly-30pct"),
        pytest.param("peg", 7, 9.09, False, id="peg-7-to-9.09-under-30pct"),
        pytest.param("peg", 5, 6, False, id="peg-5-to-6-20pct"),
    ],
)
def test_it_decides_meaningful_worsening_by_the_same_thresholds(
    instrument: str, baseline: float, follow_up: float, expected: bool
) -> None:
    assert is_meaningful_worsening(instrument, baseline, follow_up) is expected


def test_it_uses_only_the_absolute_threshold_for_worsening_from_a_zero_baseline() -> None:
    assert is_meaningful_worsening("nrs", 0, 2) is True
    assert is_meaningful_worsening("nrs", 0, 1) is False
    assert is_meaningful_worsening("odi", 0, 10) is True
    assert is_meaningful_worsening("peg", 0, 5) is None
    assert is_meaningful_worsening("nrs", 0, 5, absolute=None) is None


def test_it_accepts_admin_overrides_for_worsening_thresholds() -> None:
    assert is_meaningful_worsening("odi", 30, 36, absolute=6) is True
    assert is_meaningful_worsening("peg", 8, 10, percent=25) is True


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda: is_meaningful_improvement("phq9", 10, 5),
            r"^Meaningful change is defined for nrs, odi, peg; got 'phq9'\.$",
            id="unknown-instrument",
        ),
        pytest.param(
            lambda: is_meaningful_worsening("NRS", 5, 7),
            r"^Meaningful change is defined for nrs, odi, peg; got 'NRS'\.$",
            id="wrong-case-instrument",
        ),
        pytest.param(
            lambda: is_meaningful_improvement("nrs", math.nan, 5),
            r"^Pain NRS baseline score must be a number, got nan\.$",
            id="nan-baseline",
        ),
        pytest.param(
            lambda: is_meaningful_improvement("peg", 7, math.nan),
            r"^PEG follow-up score must be a number, got nan\.$",
            id="nan-follow-up",
        ),
        pytest.param(
            lambda: is_meaningful_improvement("nrs", 8, math.inf),
            r"^Pain NRS follow-up score must be a number, got inf\.$",
            id="inf-follow-up",
        ),
        pytest.param(
            lambda: is_meaningful_improvement("odi", Decimal("NaN"), 10),
            r"^ODI baseline score must be a number, got Decimal\('NaN'\)\.$",
            id="decimal-nan",
        ),
        pytest.param(
            lambda: is_meaningful_improvement("nrs", True, 0),
            r"^Pain NRS baseline score must be a number, got True\.$",
            id="bool-baseline",
        ),
        pytest.param(
            lambda: is_meaningful_improvement("nrs", "8", 5),  # type: ignore[arg-type]
            r"^Pain NRS baseline score must be a number, got '8'\.$",
            id="text-baseline",
        ),
        pytest.param(
            lambda: is_meaningful_improvement("nrs", 11, 5),
            r"^Pain NRS baseline score must be 0-10, got 11\.$",
            id="nrs-out-of-range",
        ),
        pytest.param(
            lambda: is_meaningful_worsening("odi", 50, 101),
            r"^ODI follow-up score must be 0-100, got 101\.$",
            id="odi-out-of-range",
        ),
        pytest.param(
            lambda: is_meaningful_improvement("peg", -0.5, 5),
            r"^PEG baseline score must be 0-10, got -0\.5\.$",
            id="peg-negative",
        ),
        pytest.param(
            lambda: is_meaningful_improvement("nrs", 8, 5, absolute=0),
            r"^Pain NRS absolute threshold must be more than 0 points, got 0\.$",
            id="zero-absolute",
        ),
        pytest.param(
            lambda: is_meaningful_improvement("nrs", 8, 5, absolute=math.nan),
            r"^Pain NRS absolute threshold must be a number, got nan\.$",
            id="nan-absolute",
        ),
        pytest.param(
            lambda: is_meaningful_improvement("nrs", 8, 5, percent=0),
            r"^Pain NRS percent threshold must be more than 0 and at most 100, got 0\.$",
            id="zero-percent",
        ),
        pytest.param(
            lambda: is_meaningful_worsening("odi", 8, 5, percent=Decimal("150")),
            r"^ODI percent threshold must be more than 0 and at most 100, got 150\.$",
            id="percent-over-100",
        ),
    ],
)
def test_it_rejects_bad_meaningful_change_input(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


# ---------------------------------------------------------------------------
# Result types and reference constants
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "result",
    [
        pytest.param(score_start_back(agreed(), "slightly"), id="start_back"),
        pytest.param(score_odi([0] * 10), id="odi"),
        pytest.param(score_phq9([0] * 9), id="phq9"),
        pytest.param(score_gad7([0] * 7), id="gad7"),
    ],
)
def test_it_returns_frozen_results(result: object) -> None:
    field = dataclasses.fields(result)[0].name  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(result, field, 1)


def test_it_exposes_the_loinc_codes_from_clinical_md() -> None:
    assert LOINC == {
        "nrs": "72514-3",
        "peg": "91147-9",
        "peg_panel": "91148-7",
        "start_back": "91351-7",
        "phq9": "44261-6",
        "phq9_panel": "44249-1",
        "phq9_item9": "44260-8",
        "gad7": "70274-6",
    }
    assert "odi" not in LOINC


def test_it_exposes_the_snomed_codes_from_clinical_md() -> None:
    assert SNOMED == {
        "low_back_pain": "279039007",
        "chronic_low_back_pain": "278860009",
    }


def test_it_exposes_the_score_range_of_every_instrument() -> None:
    assert dict(INSTRUMENT_RANGES) == {
        "nrs": (0, 10),
        "peg": (0, 10),
        "odi": (0, 100),
        "start_back": (0, 9),
        "phq9": (0, 27),
        "gad7": (0, 21),
        "sleep": (0, 10),
    }


def test_it_exports_its_public_names() -> None:
    for name in scoring.__all__:
        assert hasattr(scoring, name), name
