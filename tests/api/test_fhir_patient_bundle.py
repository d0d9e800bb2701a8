"""GET /api/v1/patients/{id}/fhir/: the patient's record as a FHIR R4 Bundle (collection)."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from apps.assessments.services import assessment_record
from apps.audit.models import AuditEvent
from apps.careplans.services import goal_add
from apps.core.dates import clinic_today
from tests.api.fhir_checks import check_bundle
from tests.factories import CarePlanFactory, PatientFactory

pytestmark = pytest.mark.django_db

LOINC = "http://loinc.org"


def bundle_of(client, patient):
    response = client.get(f"/api/v1/patients/{patient.pk}/fhir/")
    assert response.status_code == 200, response.content[:500]
    return response, json.loads(response.content)


def codes(resource):
    return [c["code"] for c in resource["code"].get("coding", [])]


def test_the_bundle_of_a_rich_patient_is_valid_r4_with_internal_references(on_team, rich):
    response, data = bundle_of(on_team, rich.patient)

    assert response["Content-Type"] == "application/fhir+json"
    by_type = check_bundle(data)
    assert {t: len(v) for t, v in by_type.items()} == {
        "Patient": 1,
        "Organization": 1,
        "Practitioner": 5,
        "Condition": 2,
        "CareTeam": 1,
        "CarePlan": 1,
        "Goal": 3,
        "MedicationRequest": 4,
        "Observation": 24,
        "Flag": 4,
        "Task": 7,
        "Appointment": 5,
    }
    patient = by_type["Patient"][0]
    assert patient["identifier"][0]["value"] == rich.patient.mrn
    assert (patient["gender"], patient["birthDate"]) == ("female", "1970-03-04")


def test_conditions_are_snomed_low_back_pain_by_phase(on_team, rich):
    _, data = bundle_of(on_team, rich.patient)
    conditions = {c["id"]: c for c in check_bundle(data)["Condition"]}

    old, current = conditions[str(rich.old_episode.pk)], conditions[str(rich.episode.pk)]
    assert (codes(old), old["clinicalStatus"]["coding"][0]["code"]) == (["279039007"], "resolved")
    assert old["abatementDateTime"] == rich.old_episode.closed_on.isoformat()
    assert (codes(current), current["clinicalStatus"]["coding"][0]["code"]) == (
        ["278860009"],
        "active",
    )


def test_every_scored_assessment_is_a_survey_observation_with_its_loinc_code(on_team, rich):
    _, data = bundle_of(on_team, rich.patient)
    observations = {o["id"]: o for o in check_bundle(data)["Observation"]}
    expected = {
        "nrs": ["72514-3"],
        "peg": ["91147-9"],
        "start_back": ["91351-7"],
        "phq9": ["44261-6"],
        "gad7": ["70274-6"],
    }

    for measure in rich.patient.assessments.exclude(score=None).exclude(instrument="work_status"):
        observation = observations[f"assessment-{measure.pk}"]
        assert observation["category"][0]["coding"][0]["code"] == "survey"
        if measure.instrument == "odi":
            assert "coding" not in observation["code"]
            assert observation["code"]["text"] == "Oswestry Disability Index"
            assert observation["valueQuantity"]["unit"] == "%"
        elif measure.instrument in expected:
            assert codes(observation) == expected[measure.instrument]
            assert observation["code"]["coding"][0]["system"] == LOINC
        assert observation["valueQuantity"]["value"] == float(measure.score)
    # An ODI with fewer than 8 sections is not scored, so it is not exported as a value.
    unscored = rich.patient.assessments.get(instrument="odi", score=None)
    assert f"assessment-{unscored.pk}" not in observations


def test_peg_and_phq9_panels(on_team, rich):
    _, data = bundle_of(on_team, rich.patient)
    by_type = check_bundle(data)
    urls = {
        (e["resource"]["resourceType"], e["resource"]["id"]): e["fullUrl"] for e in data["entry"]
    }
    observations = {o["id"]: o for o in by_type["Observation"]}

    peg = rich.patient.assessments.filter(instrument="peg").first()
    panel = observations[f"assessment-{peg.pk}-panel"]
    assert codes(panel) == ["91148-7"]
    assert panel["hasMember"] == [{"reference": urls[("Observation", f"assessment-{peg.pk}")]}]
    assert len(panel["component"]) == 3

    phq9 = rich.patient.assessments.filter(instrument="phq9").order_by("taken_at")
    first, missing_item9, no_total = list(phq9)
    assert codes(observations[f"assessment-{first.pk}-panel"]) == ["44249-1"]
    item9 = observations[f"assessment-{first.pk}-item9"]
    assert (codes(item9), item9["valueInteger"]) == (["44260-8"], 1)
    assert (
        observations[f"assessment-{missing_item9.pk}-item9"]["dataAbsentReason"]["coding"][0][
            "code"
        ]
        == "asked-unknown"
    )
    assert f"assessment-{no_total.pk}" not in observations  # no total with 3 items missing…
    assert (
        observations[f"assessment-{no_total.pk}-item9"]["valueInteger"] == 0
    )  # …but item 9 is there


def test_care_team_plan_and_goals(on_team, rich):
    _, data = bundle_of(on_team, rich.patient)
    by_type = check_bundle(data)

    team = by_type["CareTeam"][0]
    roles = sorted(p["role"][0]["coding"][0]["code"] for p in team["participant"])
    assert roles == [
        "care_coordinator",
        "pain_specialist",
        "physical_therapist",
        "physician",
        "psychologist",
    ]
    assert sum(1 for p in team["participant"] if len(p["role"]) == 2) == 1  # one lead
    plan = by_type["CarePlan"][0]
    assert plan["status"] == "active" and len(plan["activity"]) == rich.plan.interventions.count()
    assert len(plan["goal"]) == 3
    status = {
        g["description"]["text"]: g["achievementStatus"]["coding"][0]["code"]
        for g in by_type["Goal"]
    }
    assert status == {
        "PEG improved by 30% or more": "improving",  # 7 → 4: a 43% drop
        "ODI down by 10 points or 30%": "worsening",  # 46.7 → 64
        "Back at work in any capacity": "achieved",  # modified duties
    }


def test_medications_flags_tasks_and_appointments_statuses(on_team, rich):
    _, data = bundle_of(on_team, rich.patient)
    by_type = check_bundle(data)

    meds = {m["medicationCodeableConcept"]["text"]: m for m in by_type["MedicationRequest"]}
    assert meds["celecoxib"]["status"] == "stopped"
    assert meds["oxycodone ER"]["status"] == "active"
    assert any("Daily MME 60" in n["text"] for n in meds["oxycodone ER"]["note"])
    assert sorted(f["status"] for f in by_type["Flag"]) == [
        "active",
        "active",
        "active",
        "inactive",
    ]
    assert sorted({t["status"] for t in by_type["Task"]}) == [
        "completed",
        "in-progress",
        "requested",
    ]
    assert sorted(a["status"] for a in by_type["Appointment"]) == [
        "arrived",
        "booked",
        "cancelled",
        "fulfilled",
        "noshow",
    ]


def test_goal_achieved_when_the_target_is_met_and_no_change_otherwise(
    on_team, episode, clinician_on_team
):
    plan = CarePlanFactory(episode=episode, started_on=episode.onset)
    due = clinic_today() + dt.timedelta(days=20)
    met = goal_add(
        actor=clinician_on_team,
        plan=plan,
        measure="nrs",
        description="Pain at or below 3",
        baseline=7,
        target=3,
        due_on=due,
    )
    flat = goal_add(
        actor=clinician_on_team,
        plan=plan,
        measure="odi",
        description="ODI down",
        baseline=40,
        due_on=due,
    )
    waiting = goal_add(
        actor=clinician_on_team,
        plan=plan,
        measure="peg",
        description="PEG down",
        baseline=6,
        due_on=due,
    )
    for instrument, answers in (
        ("nrs", {"value": 3}),
        ("odi", {"sections": [2, 2, 2, 2, 2, 2, 2, 2, 1, 2]}),
    ):
        assessment_record(
            actor=clinician_on_team,
            patient=episode.patient,
            instrument=instrument,
            answers=answers,
            taken_at=timezone.now() - dt.timedelta(hours=1),
        )

    _, data = bundle_of(on_team, episode.patient)
    goals = {g["id"]: g for g in check_bundle(data)["Goal"]}

    assert goals[str(met.pk)]["achievementStatus"]["coding"][0]["code"] == "achieved"
    assert goals[str(flat.pk)]["achievementStatus"]["coding"][0]["code"] == "no-change"  # 40 → 38
    assert (
        goals[str(waiting.pk)]["achievementStatus"]["coding"][0]["code"] == "in-progress"
    )  # no PEG yet
    assert goals[str(met.pk)]["target"][0]["measure"]["coding"][0]["code"] == "72514-3"


def test_reading_the_bundle_is_audited(on_team, patient, clinician_on_team):
    bundle_of(on_team, patient)
    event = AuditEvent.objects.get(action="view", patient=patient)
    assert (event.actor, event.path) == (clinician_on_team, f"/api/v1/patients/{patient.pk}/fhir/")


def test_a_plain_json_client_gets_application_json(on_team, patient):
    response = on_team.get(f"/api/v1/patients/{patient.pk}/fhir/", HTTP_ACCEPT="application/json")
    assert response["Content-Type"] == "application/json"
    check_bundle(response.json())


def test_another_teams_patient_is_a_404(off_team, patient, not_found_body):
    forbidden = off_team.get(f"/api/v1/patients/{patient.pk}/fhir/")
    missing = off_team.get(f"/api/v1/patients/{patient.pk + 99}/fhir/")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden["Content-Type"] == "application/json"
    assert forbidden.json() == missing.json() == not_found_body


def test_unauthenticated_is_401(anon, patient, check_error):
    check_error(anon.get(f"/api/v1/patients/{patient.pk}/fhir/"), 401, "not_authenticated")


def test_the_bundle_costs_a_fixed_number_of_queries(
    on_team, team, colleagues, make_rich, django_assert_num_queries
):
    small = make_rich(team, colleagues, mrn="RICH-S")
    # 1 the patient (access rule); 2 the audit INSERT; 3 the clinical thresholds; 4 the patient
    # again with its team; 5 episodes; 6 care teams (+clinicians); 7 care plans; 8 goals;
    # 9 interventions; 10 medications; 11 assessments; 12 flags; 13 tasks; 14 appointments.
    with django_assert_num_queries(14):
        bundle_of(on_team, small.patient)
    big = make_rich(team, colleagues, mrn="RICH-B")
    make_rich(team, colleagues, mrn="RICH-C")
    with django_assert_num_queries(14):
        bundle_of(on_team, big.patient)


def test_a_patient_with_nothing_yet(on_team, team):
    patient = PatientFactory(team=team, sex="unknown")
    _, data = bundle_of(on_team, patient)
    assert set(check_bundle(data)) == {"Patient", "Organization"}


def test_goal_achievement_agrees_with_the_status_the_screens_show(
    on_team, episode, clinician_on_team
):
    """Met after the due date -> "achieved" (the screens say "Met"), due date passed without
    meeting it -> "not-achieved" (the screens say "Overdue"), whatever status was stored."""
    plan = CarePlanFactory(episode=episode, started_on=episode.onset)
    yesterday = clinic_today() - dt.timedelta(days=1)
    met = goal_add(
        actor=clinician_on_team,
        plan=plan,
        measure="nrs",
        description="Pain at or below 3",
        baseline=7,
        target=3,
        due_on=clinic_today() + dt.timedelta(days=1),
    )
    missed = goal_add(
        actor=clinician_on_team,
        plan=plan,
        measure="odi",
        description="ODI at or below 10",
        baseline=40,
        target=10,
        due_on=clinic_today() + dt.timedelta(days=1),
    )
    for instrument, answers in (
        ("nrs", {"value": 3}),
        ("odi", {"sections": [2, 2, 2, 2, 2, 2, 2, 2, 1, 2]}),
    ):
        assessment_record(
            actor=clinician_on_team,
            patient=episode.patient,
            instrument=instrument,
            answers=answers,
            taken_at=timezone.now() - dt.timedelta(hours=1),
        )
    type(met).objects.filter(pk__in=[met.pk, missed.pk]).update(
        due_on=yesterday, achievement_status="in-progress"
    )

    _, data = bundle_of(on_team, episode.patient)
    goals = {g["id"]: g for g in check_bundle(data)["Goal"]}

    assert goals[str(met.pk)]["achievementStatus"]["coding"][0]["code"] == "achieved"
    assert goals[str(missed.pk)]["achievementStatus"]["coding"][0]["code"] == "not-achieved"
