"""The monitoring rules, by code. Each module documents its source and thresholds."""

from .acute_no_improvement import AcuteNoImprovement
from .assessment_overdue import AssessmentOverdue
from .base import Outcome, Route, Rule, Thresholds
from .followup_overdue import FollowupOverdue
from .naloxone_not_offered import NaloxoneNotOffered
from .opioid_high_dose import OpioidHighDose
from .opioid_review_due import OpioidReviewDue
from .passive_only_care import PassiveOnlyCare
from .red_flag import RedFlag
from .self_harm_risk import SelfHarmRisk
from .sleep_disruption import SleepDisruption
from .stalled_recovery import StalledRecovery
from .team_gap import TeamGap
from .work_absence import WorkAbsence
from .worsening import Worsening

RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        AcuteNoImprovement(),
        StalledRecovery(),
        Worsening(),
        AssessmentOverdue(),
        FollowupOverdue(),
        OpioidReviewDue(),
        OpioidHighDose(),
        NaloxoneNotOffered(),
        TeamGap(),
        PassiveOnlyCare(),
        WorkAbsence(),
        SelfHarmRisk(),
        RedFlag(),
        SleepDisruption(),
    )
}

RULE_CHOICES = [(code, rule.title) for code, rule in RULES.items()]


def rule_label(code: str) -> str:
    """The human name of a rule (never its code) — the one registry every text uses."""
    rule = RULES.get(code)
    return rule.title if rule else code.replace("_", " ").capitalize()


def without_title(code: str, summary: str) -> str:
    """A flag's summary without its rule's title in front ("Red flag: X" -> "X")."""
    prefix = f"{rule_label(code)}: "
    return summary[len(prefix) :] if summary.startswith(prefix) else summary


def headline(code: str, summary: str) -> str:
    """ "<Rule title>: <summary>", with the title once even when the summary already starts with it."""
    detail = without_title(code, summary)
    return f"{rule_label(code)}: {detail}" if detail else rule_label(code)


__all__ = [
    "RULES",
    "RULE_CHOICES",
    "Outcome",
    "Route",
    "Rule",
    "Thresholds",
    "headline",
    "rule_label",
    "without_title",
]
