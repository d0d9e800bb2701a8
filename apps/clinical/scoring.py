"""Clinical scoring for CareTeam: pure functions, no database, no Django.

Every score the product shows, stores, exports or alerts on is computed here
(forms, API, rules and tests all call these functions; nothing else computes a
score). The contract and its worked examples live in ``CLINICAL.md`` ("Scoring
module contract").

Sources (see CLINICAL.md for the full references):

- Pain NRS 0-10; meaningful change about 2 points or 30%: Farrar 2001 (Pain 94:149),
  Ostelo 2008.
- PEG (pain, enjoyment of life, general activity; mean of three 0-10 items):
  Krebs 2009. Meaningful change 30% (CDC 2022 definition of clinically meaningful
  improvement).
- Oswestry Disability Index (ODI) v2.1a: 10 sections scored 0-5, percent of the
  maximum for the answered sections; meaningful change 10 points or 30% (Ostelo
  2008 consensus). The ODI item text is proprietary (Mapi Research Trust) and is
  not included here: sections are labelled by topic only (``ODI_SECTIONS``).
- STarT Back Screening Tool: total 0-9, psychosocial subscale (items 5-9) 0-5.
  Its item text is free for non-commercial use only and is not included here.
- PHQ-9 (depression) and GAD-7 (anxiety): published total-score bands.
- Morphine milligram equivalents (MME): CDC Clinical Practice Guideline for Prescribing
  Opioids for Pain, 2022 conversion factors (not the 2016 ones).
- LOINC and SNOMED CT codes as listed in CLINICAL.md.

Boundary choices (published bands are written for whole-number scores):

- ODI percent bands use inclusive upper edges: ``<= 20`` minimal, ``<= 40``
  moderate, ``<= 60`` severe, ``<= 80`` crippled, else bed-bound. So 20.0 is
  minimal and anything above 20 is moderate. With 8-10 sections answered no
  achievable percent falls strictly between 20 and 21 (or 40-41, 60-61, 80-81),
  so this choice never disagrees with the published table.
- PHQ-9 totals (which may be prorated, e.g. 13.5) use inclusive lower edges:
  ``< 5`` minimal, ``< 10`` mild, ``< 15`` moderate, ``< 20`` moderately-severe,
  else severe. A prorated 4.5 has not reached the mild threshold of 5, so it is
  minimal; a prorated 14.625 is moderate.
- Band decisions and meaningful-change comparisons are made in exact rational
  arithmetic (``fractions.Fraction``); floats are produced only for the returned
  values. ODI percents and PHQ-9 totals are returned unrounded: round only for
  display.

Bad input (wrong number of items, a value out of range, a non-whole number where a
whole number is expected, True/False where a number is expected, NaN, an unknown
drug, answer or instrument) raises ``ValueError`` with a message a clinician can
act on.
"""

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "BOTHERSOMENESS_ANSWERS",
    "DEFAULT",
    "DEFAULT_ABSOLUTE_THRESHOLDS",
    "DEFAULT_PERCENT_THRESHOLD",
    "INSTRUMENT_RANGES",
    "LOINC",
    "MCID_INSTRUMENTS",
    "MME_CONVERSION_FACTORS",
    "MME_DRUGS",
    "ODI_SECTIONS",
    "SNOMED",
    "Gad7Band",
    "Gad7Result",
    "OdiBand",
    "OdiResult",
    "Phq9Band",
    "Phq9Result",
    "SelfHarm",
    "StartBackResult",
    "StartBackRisk",
    "daily_mme",
    "is_meaningful_improvement",
    "is_meaningful_worsening",
    "score_gad7",
    "score_nrs",
    "score_odi",
    "score_peg",
    "score_phq9",
    "score_sleep_quality",
    "score_start_back",
]

# ---------------------------------------------------------------------------
# Codes and ranges
# ---------------------------------------------------------------------------

#: LOINC codes (CLINICAL.md). The ODI has no confirmed LOINC code: export it as
#: text only.
LOINC: Final[dict[str, str]] = {
    "nrs": "72514-3",
    "peg": "91147-9",
    "peg_panel": "91148-7",
    "start_back": "91351-7",
    "phq9": "44261-6",
    "phq9_panel": "44249-1",
    "phq9_item9": "44260-8",
    "gad7": "70274-6",
}

#: SNOMED CT concepts (CLINICAL.md).
SNOMED: Final[dict[str, str]] = {
    "low_back_pain": "279039007",
    "chronic_low_back_pain": "278860009",
}

#: Inclusive (lowest, highest) score for each instrument.
INSTRUMENT_RANGES: Final[Mapping[str, tuple[int, int]]] = MappingProxyType(
    {
        "nrs": (0, 10),
        "peg": (0, 10),
        "odi": (0, 100),
        "start_back": (0, 9),
        "phq9": (0, 27),
        "gad7": (0, 21),
        "sleep": (0, 10),
    }
)

#: ODI v2.1a sections in order, by topic only (the item text is licensed; do not
#: ship it).
ODI_SECTIONS: Final[tuple[str, ...]] = (
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

#: STarT Back item 9 answers, in order. "very_much" and "extremely" score 1, the
#: others 0.
BOTHERSOMENESS_ANSWERS: Final[tuple[str, ...]] = (
    "not_at_all",
    "slightly",
    "moderately",
    "very_much",
    "extremely",
)
_BOTHERSOMENESS_SCORE: Final[Mapping[str, int]] = MappingProxyType(
    {"not_at_all": 0, "slightly": 0, "moderately": 0, "very_much": 1, "extremely": 1}
)

# Conversion factors from mg/day to MME/day, CDC Clinical Practice Guideline for
# Prescribing Opioids for Pain - United States, 2022 (Dowell et al., MMWR Recomm Rep
# 2022;71(3)). Do not use the 2016 factors (hydromorphone 4, tiered methadone).
# fentanyl_patch is per mcg/hr of transdermal patch strength, not per mg.
# Buprenorphine is deliberately absent: CDC 2022 does not convert it to MME.
#: mg/day (fentanyl_patch: mcg/hr) -> MME/day factors, CDC 2022. Exact Decimals.
MME_CONVERSION_FACTORS: Final[Mapping[str, Decimal]] = MappingProxyType(
    {
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
)

#: Drugs daily_mme() accepts, in alphabetical order.
MME_DRUGS: Final[tuple[str, ...]] = tuple(MME_CONVERSION_FACTORS)

# ---------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------

StartBackRisk = Literal["low", "medium", "high"]
OdiBand = Literal["minimal", "moderate", "severe", "crippled", "bed-bound"]
Phq9Band = Literal["minimal", "mild", "moderate", "moderately-severe", "severe"]
Gad7Band = Literal["minimal", "mild", "moderate", "severe"]
SelfHarm = Literal["yes", "no", "unknown"]


@dataclass(frozen=True, slots=True)
class StartBackResult:
    total: int
    psychosocial: int
    risk: StartBackRisk


@dataclass(frozen=True, slots=True)
class OdiResult:
    """ODI result: ``percent`` is exact (unrounded); both fields are None when
    fewer than 8 sections are answered.
    """

    percent: float | None
    band: OdiBand | None


@dataclass(frozen=True, slots=True)
class Phq9Result:
    """PHQ-9 result.

    ``total`` may be prorated (e.g. 13.5); ``total`` and ``band`` are None when
    more than 2 items are missing. ``self_harm`` comes from item 9 alone and is
    never imputed.
    """

    total: float | None
    band: Phq9Band | None
    self_harm: SelfHarm


@dataclass(frozen=True, slots=True)
class Gad7Result:
    total: int
    band: Gad7Band


# ---------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------


def _check_whole_number(value: object, what: str, low: int, high: int) -> int:
    """Return ``value`` if it is an int in [low, high]; bools and floats are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be a whole number {low}-{high}, got {value!r}.")
    if not low <= value <= high:
        raise ValueError(f"{what} must be {low}-{high}, got {value}.")
    return value


def _check_answers(values: object, instrument: str, count: int, noun: str) -> list[object]:
    """Check that ``values`` is a list-like sequence of exactly ``count`` answers."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ValueError(
            f"{instrument} needs a list of {count} {noun} answers, got {type(values).__name__}."
        )
    if len(values) != count:
        raise ValueError(f"{instrument} needs {count} {noun} answers, got {len(values)}.")
    return list(values)


def _to_fraction(value: object, what: str) -> Fraction:
    """Exact rational value of a number, using the decimal text of floats.

    ``Fraction(str(4.9)) == Fraction(49, 10)``, so "7 -> 4.9 is exactly 30%" holds,
    which float arithmetic would get wrong.
    """
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, got {value!r}.")
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what} must be a number, got {value!r}.")
        return Fraction(str(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{what} must be a number, got {value!r}.")
        return Fraction(value)
    raise ValueError(f"{what} must be a number, got {value!r}.")


# ---------------------------------------------------------------------------
# Single-item scores
# ---------------------------------------------------------------------------


def score_nrs(value: int) -> int:
    """Pain numeric rating scale: one whole number 0-10; the score is the value."""
    return _check_whole_number(value, "Pain NRS", 0, 10)


def score_sleep_quality(value: int) -> int:
    """Sleep quality rating: one whole number 0-10; the score is the value."""
    return _check_whole_number(value, "Sleep quality", 0, 10)


# ---------------------------------------------------------------------------
# Instruments
# ---------------------------------------------------------------------------


def score_start_back(agree: Sequence[bool], bothersomeness: str) -> StartBackResult:
    """STarT Back Screening Tool.

    ``agree``: items 1-8, True for agree (1) and False for disagree (0).
    ``bothersomeness``: item 9, one of ``BOTHERSOMENESS_ANSWERS``; "very_much" and
    "extremely" score 1, the others 0.

    Total 0-9; psychosocial subscale = items 5-9 (0-5). Risk: total <= 3 low; otherwise
    subscale >= 4 high; otherwise medium.
    """
    answers = _check_answers(agree, "STarT Back", 8, "agree/disagree")
    scores: list[int] = []
    for number, answer in enumerate(answers, start=1):
        if not isinstance(answer, bool):
            raise ValueError(
                f"STarT Back item {number} must be agree (True) or disagree (False), "
                f"got {answer!r}."
            )
        scores.append(1 if answer else 0)
    if not isinstance(bothersomeness, str) or bothersomeness not in _BOTHERSOMENESS_SCORE:
        allowed = ", ".join(BOTHERSOMENESS_ANSWERS)
        raise ValueError(
            f"STarT Back item 9 (bothersomeness) must be one of {allowed}; got {bothersomeness!r}."
        )
    item9 = _BOTHERSOMENESS_SCORE[bothersomeness]
    total = sum(scores) + item9
    psychosocial = sum(scores[4:8]) + item9
    risk: StartBackRisk
    if total <= 3:
        risk = "low"
    elif psychosocial >= 4:
        risk = "high"
    else:
        risk = "medium"
    return StartBackResult(total=total, psychosocial=psychosocial, risk=risk)


def _odi_band(percent: Fraction) -> OdiBand:
    if percent <= 20:
        return "minimal"
    if percent <= 40:
        return "moderate"
    if percent <= 60:
        return "severe"
    if percent <= 80:
        return "crippled"
    return "bed-bound"


def score_odi(sections: Sequence[int | None]) -> OdiResult:
    """Oswestry Disability Index v2.1a.

    ``sections``: the 10 section scores in ``ODI_SECTIONS`` order, each 0-5 or None if
    unanswered. Scored only when at least 8 sections are answered (otherwise percent and
    band are None). percent = sum / (5 x answered) x 100, unrounded.
    """
    answers = _check_answers(sections, "ODI", 10, "section")
    answered: list[int] = []
    for number, (topic, value) in enumerate(zip(ODI_SECTIONS, answers, strict=True), 1):
        if value is not None:
            what = f"ODI section {number} ({topic})"
            answered.append(_check_whole_number(value, what, 0, 5))
    if len(answered) < 8:
        return OdiResult(percent=None, band=None)
    percent = Fraction(100 * sum(answered), 5 * len(answered))
    return OdiResult(percent=float(percent), band=_odi_band(percent))


def score_peg(pain: int, enjoyment: int, activity: int) -> float:
    """PEG (Krebs 2009): mean of pain, enjoyment of life and general activity.

    Each is a whole number 0-10 for the past week. The mean is returned unrounded.
    """
    total = (
        _check_whole_number(pain, "PEG pain", 0, 10)
        + _check_whole_number(enjoyment, "PEG enjoyment of life", 0, 10)
        + _check_whole_number(activity, "PEG general activity", 0, 10)
    )
    return float(Fraction(total, 3))


def _phq9_band(total: Fraction) -> Phq9Band:
    if total < 5:
        return "minimal"
    if total < 10:
        return "mild"
    if total < 15:
        return "moderate"
    if total < 20:
        return "moderately-severe"
    return "severe"


def score_phq9(items: Sequence[int | None]) -> Phq9Result:
    """PHQ-9.

    ``items``: the 9 item answers, each 0-3 or None if missing. With 1-2 missing
    the total is prorated (sum x 9 / answered); with more than 2 missing there is
    no total or band.
    ``self_harm`` comes from item 9 only: "yes" for any answer >= 1 whatever the total,
    "unknown" when item 9 is missing (never imputed), else "no".
    """
    answers = _check_answers(items, "PHQ-9", 9, "item")
    checked: list[int | None] = [
        None if value is None else _check_whole_number(value, f"PHQ-9 item {n}", 0, 3)
        for n, value in enumerate(answers, start=1)
    ]
    item9 = checked[8]
    self_harm: SelfHarm
    if item9 is None:
        self_harm = "unknown"
    elif item9 >= 1:
        self_harm = "yes"
    else:
        self_harm = "no"
    answered = [value for value in checked if value is not None]
    if len(answered) < 7:
        return Phq9Result(total=None, band=None, self_harm=self_harm)
    total = Fraction(sum(answered) * 9, len(answered))
    return Phq9Result(total=float(total), band=_phq9_band(total), self_harm=self_harm)


def score_gad7(items: Sequence[int]) -> Gad7Result:
    """GAD-7: 7 items 0-3, all required. Bands 0-4 minimal, 5-9 mild, 10-14 moderate,
    15-21 severe."""
    answers = _check_answers(items, "GAD-7", 7, "item")
    total = 0
    for number, value in enumerate(answers, start=1):
        if value is None:
            raise ValueError(f"GAD-7 item {number} is missing; all 7 items are required.")
        total += _check_whole_number(value, f"GAD-7 item {number}", 0, 3)
    band: Gad7Band
    if total <= 4:
        band = "minimal"
    elif total <= 9:
        band = "mild"
    elif total <= 14:
        band = "moderate"
    else:
        band = "severe"
    return Gad7Result(total=total, band=band)


# ---------------------------------------------------------------------------
# Opioids
# ---------------------------------------------------------------------------


def daily_mme(drug: str, daily_dose: float | Decimal) -> float:
    """Morphine milligram equivalents per day for one opioid (CDC 2022 factors).

    ``drug``: one of ``MME_DRUGS``. ``daily_dose``: total mg per day, except for
    "fentanyl_patch" where it is the patch strength in mcg/hr. Sum the results over a
    patient's opioids for their total MME/day. Buprenorphine is refused: CDC 2022
    does not convert it to MME.
    """
    if isinstance(drug, str) and drug.strip().lower().startswith("buprenorphine"):
        raise ValueError(
            "Buprenorphine is not converted to MME (CDC 2022): its risk profile "
            "differs from full agonists, so it is not counted towards MME/day "
            "thresholds."
        )
    if not isinstance(drug, str) or drug not in MME_CONVERSION_FACTORS:
        allowed = ", ".join(MME_DRUGS)
        raise ValueError(f"Unknown opioid {drug!r} for MME; expected one of {allowed}.")
    unit = "mcg/hr" if drug == "fentanyl_patch" else "mg/day"
    what = f"Daily dose of {drug} ({unit})"
    if isinstance(daily_dose, bool):
        raise ValueError(f"{what} must be a number, got {daily_dose!r}.")
    if isinstance(daily_dose, (int, Decimal)):
        dose = Decimal(daily_dose)
    elif isinstance(daily_dose, float):
        # str() gives the shortest decimal text, so 2.4 x 25.0 is exactly 60.
        dose = Decimal(str(daily_dose))
    else:
        raise ValueError(f"{what} must be a number, got {daily_dose!r}.")
    if not dose.is_finite():
        raise ValueError(f"{what} must be a number, got {daily_dose!r}.")
    if dose < 0:
        raise ValueError(f"{what} cannot be negative, got {daily_dose}.")
    return float(dose * MME_CONVERSION_FACTORS[drug])


# ---------------------------------------------------------------------------
# Meaningful change (MCID)
# ---------------------------------------------------------------------------


class _Default(enum.Enum):
    DEFAULT = "instrument default"

    def __repr__(self) -> str:
        return "DEFAULT"


#: Sentinel for ``absolute=``: use the instrument's default absolute threshold.
DEFAULT: Final = _Default.DEFAULT

#: Instruments with a meaningful-change rule.
MCID_INSTRUMENTS: Final[tuple[str, ...]] = ("nrs", "odi", "peg")

#: Default absolute thresholds in score points (policy defaults; admins may change
#: them). NRS 2 points (Farrar 2001), ODI 10 points (Ostelo 2008), PEG none: 30%
#: only (CDC 2022).
DEFAULT_ABSOLUTE_THRESHOLDS: Final[Mapping[str, Decimal | None]] = MappingProxyType(
    {"nrs": Decimal("2"), "odi": Decimal("10"), "peg": None}
)

#: Default relative threshold, percent of baseline (policy default; admins may
#: change it).
DEFAULT_PERCENT_THRESHOLD: Final[int] = 30


def _change_rule(
    instrument: str,
    baseline: float | Decimal | Fraction,
    follow_up: float | Decimal | Fraction,
    absolute: Decimal | float | _Default | None,
    percent: Decimal | int,
) -> tuple[Fraction, Fraction, Fraction | None, Fraction]:
    """Validate inputs; return exact (baseline, follow_up, absolute, percent)."""
    if not isinstance(instrument, str) or instrument not in MCID_INSTRUMENTS:
        allowed = ", ".join(MCID_INSTRUMENTS)
        raise ValueError(f"Meaningful change is defined for {allowed}; got {instrument!r}.")
    low, high = INSTRUMENT_RANGES[instrument]
    name = {"nrs": "Pain NRS", "odi": "ODI", "peg": "PEG"}[instrument]
    scores: list[Fraction] = []
    for label, value in (("baseline", baseline), ("follow-up", follow_up)):
        exact = _to_fraction(value, f"{name} {label} score")
        if not low <= exact <= high:
            raise ValueError(f"{name} {label} score must be {low}-{high}, got {value}.")
        scores.append(exact)
    if absolute is DEFAULT:
        default = DEFAULT_ABSOLUTE_THRESHOLDS[instrument]
        threshold = None if default is None else Fraction(default)
    elif absolute is None:
        threshold = None
    else:
        threshold = _to_fraction(absolute, f"{name} absolute threshold")
        if threshold <= 0:
            raise ValueError(
                f"{name} absolute threshold must be more than 0 points, got {absolute}."
            )
    pct = _to_fraction(percent, f"{name} percent threshold")
    if not 0 < pct <= 100:
        raise ValueError(
            f"{name} percent threshold must be more than 0 and at most 100, got {percent}."
        )
    return scores[0], scores[1], threshold, pct


def is_meaningful_improvement(
    instrument: str,
    baseline: float | Decimal | Fraction,
    follow_up: float | Decimal | Fraction,
    *,
    absolute: Decimal | float | _Default | None = DEFAULT,
    percent: Decimal | int = DEFAULT_PERCENT_THRESHOLD,
) -> bool | None:
    """Whether a score fell by a clinically meaningful amount (lower is better).

    ``instrument``: "nrs", "odi" or "peg". Improved when the drop is >= the absolute
    threshold (default NRS 2, ODI 10, PEG none) or >= ``percent`` % of baseline (default
    30). ``absolute=None`` disables the absolute rule. Baseline 0: not applicable
    (None).
    Compared exactly: 7 -> 4.9 is exactly 30% and counts.
    """
    base, follow, threshold, pct = _change_rule(instrument, baseline, follow_up, absolute, percent)
    if base == 0:
        return None
    drop = base - follow
    if threshold is not None and drop >= threshold:
        return True
    return 100 * drop >= pct * base


def is_meaningful_worsening(
    instrument: str,
    baseline: float | Decimal | Fraction,
    follow_up: float | Decimal | Fraction,
    *,
    absolute: Decimal | float | _Default | None = DEFAULT,
    percent: Decimal | int = DEFAULT_PERCENT_THRESHOLD,
) -> bool | None:
    """Whether a score rose by a clinically meaningful amount (same thresholds as
    improvement).

    Worse when the rise is >= the absolute threshold or >= ``percent`` % of baseline.
    Baseline 0: a percentage of 0 is meaningless, so only the absolute rule applies
    (NRS 0 -> 2 is worse, 0 -> 1 is not); with no absolute threshold (PEG by default, or
    ``absolute=None``) the answer is None (not applicable).
    """
    base, follow, threshold, pct = _change_rule(instrument, baseline, follow_up, absolute, percent)
    rise = follow - base
    if base == 0:
        return None if threshold is None else rise >= threshold
    if threshold is not None and rise >= threshold:
        return True
    return 100 * rise >= pct * base
