"""Every clinical number the product uses, with its default and its source.

Admins change them in Django admin (``ClinicalSetting``); a missing row means the default below.
Read them with ``apps.clinical.selectors.threshold(key)``.
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ThresholdSpec:
    key: str
    default: Decimal
    minimum: Decimal
    maximum: Decimal
    unit: str
    source: str
    description: str


def _spec(
    key: str, default: str, minimum: str, maximum: str, unit: str, source: str, desc: str
) -> ThresholdSpec:
    return ThresholdSpec(
        key, Decimal(default), Decimal(minimum), Decimal(maximum), unit, source, desc
    )


THRESHOLDS: dict[str, ThresholdSpec] = {
    s.key: s
    for s in [
        _spec(
            "acute_check_day",
            "7",
            "4",
            "7",
            "days",
            "CLINICAL.md: pain usually subsides in 4-7 days; no improvement after 4-7 days -> contact the doctor",
            "Day of an acute episode by which pain should have meaningfully improved.",
        ),
        _spec(
            "acute_recent_measure_day",
            "4",
            "0",
            "7",
            "days",
            "CLINICAL.md acute conservative care (policy)",
            "An acute episode needs a pain measure taken on or after this day.",
        ),
        _spec(
            "acute_settled_pain_max",
            "3",
            "0",
            "10",
            "points (NRS)",
            "CareTeam policy: mild pain (NRS 0-3) counts as subsided",
            "A single acute pain score at or below this counts as settled.",
        ),
        _spec(
            "stalled_plan_weeks",
            "4",
            "1",
            "12",
            "weeks",
            "CLINICAL.md: most improvement in weeks 1-4 (Pengel 2003; Kongsted)",
            "Weeks on a plan without meaningful improvement before recovery counts as stalled.",
        ),
        _spec(
            "mcid_nrs_points",
            "2",
            "0.5",
            "10",
            "points",
            "Farrar 2001; Ostelo 2008",
            "Pain NRS: absolute drop that is meaningful.",
        ),
        _spec(
            "mcid_odi_points",
            "10",
            "0.5",
            "100",
            "points",
            "Ostelo 2008 consensus",
            "ODI: absolute drop that is meaningful.",
        ),
        _spec(
            "mcid_percent",
            "30",
            "1",
            "100",
            "%",
            "Farrar 2001; Ostelo 2008; CDC 2022",
            "Relative drop from baseline that is meaningful (NRS, ODI, PEG).",
        ),
        _spec(
            "assessment_interval_days",
            "14",
            "1",
            "90",
            "days",
            "CareTeam policy",
            "Maximum days without an outcome measure (subacute/chronic).",
        ),
        _spec(
            "assessment_interval_acute_days",
            "7",
            "1",
            "30",
            "days",
            "CareTeam policy",
            "Maximum days without an outcome measure in the acute phase.",
        ),
        _spec(
            "pt_visit_gap_days",
            "21",
            "1",
            "90",
            "days",
            "DESIGN.md: follow-up visits fine-tune the programme (policy)",
            "An exercise programme needs a PT visit at least this often.",
        ),
        _spec(
            "noshow_rebook_days",
            "7",
            "1",
            "30",
            "days",
            "CareTeam policy",
            "A no-show must be rebooked within this many days.",
        ),
        _spec(
            "opioid_first_review_days",
            "28",
            "7",
            "28",
            "days",
            "CDC 2022: re-evaluate within 1-4 weeks",
            "Review due within this many days of starting or increasing an opioid.",
        ),
        _spec(
            "opioid_review_interval_days",
            "90",
            "30",
            "180",
            "days",
            "CDC 2022: re-evaluate regularly (at least every 3 months)",
            "Review due at least this often while an opioid continues.",
        ),
        _spec(
            "mme_warning",
            "50",
            "1",
            "500",
            "MME/day",
            "CDC 2022: pause and reassess before >= 50 MME/day",
            "Daily MME at or above which a warning is raised.",
        ),
        _spec(
            "mme_urgent",
            "90",
            "1",
            "1000",
            "MME/day",
            "CDC 2016 guideline: avoid >= 90 MME/day",
            "Daily MME at or above which the flag is urgent.",
        ),
        _spec(
            "naloxone_mme",
            "50",
            "1",
            "500",
            "MME/day",
            "CDC 2022: offer naloxone at >= 50 MME/day or with benzodiazepines",
            "Daily MME at or above which naloxone should be offered.",
        ),
        _spec(
            "passive_only_days",
            "14",
            "1",
            "90",
            "days",
            "DESIGN.md: passive modalities rarely give long-term benefit (policy)",
            "Days of passive-only care before it is flagged.",
        ),
        _spec(
            "work_absence_days",
            "28",
            "1",
            "180",
            "days",
            "DESIGN.md: returning to work in any capacity is strongly recommended (policy)",
            "Days off work without a return-to-work plan before it is flagged.",
        ),
        _spec(
            "poor_sleep_max",
            "4",
            "0",
            "10",
            "points (0-10)",
            "CareTeam policy: sleep quality 0 worst, 10 best",
            "Sleep quality at or below this counts as poor sleep.",
        ),
        _spec(
            "reminder_early_hours",
            "48",
            "1",
            "168",
            "hours",
            "CareTeam policy",
            "First appointment reminder, hours before.",
        ),
        _spec(
            "reminder_late_hours",
            "2",
            "1",
            "24",
            "hours",
            "CareTeam policy",
            "Second appointment reminder, hours before.",
        ),
        _spec(
            "urgent_ack_hours",
            "4",
            "1",
            "72",
            "hours",
            "CareTeam policy",
            "An urgent flag unacknowledged this long escalates to the team's lead physician.",
        ),
        _spec(
            "task_escalation_days",
            "3",
            "1",
            "30",
            "days",
            "CareTeam policy",
            "A task this many days overdue escalates to the care coordinator.",
        ),
        _spec(
            "checkin_link_days",
            "7",
            "1",
            "30",
            "days",
            "CareTeam policy",
            "How long a patient check-in link stays valid.",
        ),
    ]
}
