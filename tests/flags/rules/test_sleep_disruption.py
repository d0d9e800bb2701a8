"""sleep_disruption: poor sleep (quality <= 4 on 0-10, 0 worst) on the last two sleep
assessments and nothing targets sleep (a sleep item in the plan, or a tricyclic such as
low-dose doxepin). Severity info.

DESIGN.md pathway step 3: poor sleep magnifies pain.
"""

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db

RULE = "sleep_disruption"
ONSET = dt.date(2025, 1, 6)
TODAY = ONSET + dt.timedelta(days=100)


def ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def _sleeping(clinic, *scores):
    """Sleep-quality scores a week apart, the last one yesterday."""
    episode = clinic.episode(onset=ONSET)
    measures = [
        clinic.sleep(episode, score, on=ago(1 + 7 * (len(scores) - 1 - i)))
        for i, score in enumerate(scores)
    ]
    return episode, measures


def test_it_flags_poor_sleep_twice_in_a_row(clinic):
    with clinic.travel(TODAY):
        episode, _ = _sleeping(clinic, 4, 3)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.severity == "info"
    assert flag.summary == "Poor sleep twice in a row (4, 3/10), nothing targets sleep"
    task = clinic.task(flag)
    assert (task.assignee, task.discipline) == (None, "physician")
    assert (task.priority, task.due_on) == ("routine", TODAY + dt.timedelta(days=7))


def test_a_score_of_5_is_not_poor_sleep(clinic):
    with clinic.travel(TODAY):
        episode, _ = _sleeping(clinic, 5, 3)

        assert RULE not in clinic.evaluate(episode)


def test_one_poor_night_after_good_ones_is_not_flagged(clinic):
    with clinic.travel(TODAY):
        episode, _ = _sleeping(clinic, 2, 7, 3)

        assert RULE not in clinic.evaluate(episode)


@pytest.mark.parametrize("status", ["planned", "active"])
def test_it_does_not_flag_when_the_plan_targets_sleep(clinic, status):
    with clinic.travel(TODAY):
        episode, _ = _sleeping(clinic, 4, 3)
        plan = clinic.plan(episode, start=ago(20))
        clinic.intervention(plan, "sleep", start=ago(20), status=status)

        assert RULE not in clinic.evaluate(episode)


def test_it_does_not_flag_when_a_tricyclic_targets_sleep(clinic):
    with clinic.travel(TODAY):
        episode, _ = _sleeping(clinic, 4, 3)
        clinic.medication(
            episode, drug="doxepin", drug_class="tricyclic", daily_dose=10, start=ago(20)
        )

        assert RULE not in clinic.evaluate(episode)


def test_a_stopped_tricyclic_does_not_count(clinic):
    with clinic.travel(TODAY):
        episode, _ = _sleeping(clinic, 4, 3)
        clinic.medication(
            episode,
            drug="doxepin",
            drug_class="tricyclic",
            daily_dose=10,
            start=ago(60),
            stop_date=ago(30),
        )

        assert RULE in clinic.evaluate(episode)


def test_its_evidence_names_the_two_scores_and_threshold(clinic):
    with clinic.travel(TODAY):
        episode, (first, second) = _sleeping(clinic, 4, 3)

        evidence = clinic.evaluate(episode)[RULE].evidence

    assert evidence["reason"] == "Sleep quality ≤ 4 twice in a row."
    assert evidence["last_two"] == [
        {"assessment_id": first.pk, "instrument": "sleep", "value": "4", "taken_on": str(ago(8))},
        {"assessment_id": second.pk, "instrument": "sleep", "value": "3", "taken_on": str(ago(1))},
    ]
    assert evidence["thresholds"] == {"poor_sleep_max": "4"}


def test_an_admin_threshold_changes_the_decision_and_the_evidence(clinic):
    with clinic.travel(TODAY):
        episode, _ = _sleeping(clinic, 5, 5)
        assert RULE not in clinic.evaluate(episode)

        clinic.setting("poor_sleep_max", 5)
        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["thresholds"] == {"poor_sleep_max": "5"}
    assert flag.evidence["reason"] == "Sleep quality ≤ 5 twice in a row."


def test_a_poor_sleep_threshold_changed_in_admin_applies_on_the_next_rule_run(
    clinic, client, admin
):
    from django.urls import reverse

    from apps.clinical.models import ClinicalSetting

    with clinic.travel(TODAY):
        episode, _ = _sleeping(clinic, 5, 3)
        assert RULE not in clinic.evaluate(episode)

        client.force_login(admin)
        client.get(reverse("admin:clinical_clinicalsetting_changelist"))
        setting = ClinicalSetting.objects.get(key="poor_sleep_max")
        response = client.post(
            reverse("admin:clinical_clinicalsetting_change", args=[setting.pk]), {"value": "5"}
        )
        assert response.status_code == 302

        assert RULE in clinic.evaluate(episode)
