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

__all__ = ["RULES", "RULE_CHOICES", "Outcome", "Route", "Rule", "Thresholds"]
