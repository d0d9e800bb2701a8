"""The patient page: header, care team, plan, medications, outcome charts with the
meaningful-change band, timeline, open flags with readable evidence and their actions — for
patients on the user's teams only, in a fixed number of queries."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.dates import clinic_today
from apps.medications.services import medication_order_create
from apps.messaging.models import OutboundMessage
from apps.patients.services import note_add, red_flag_record
from tests.factories import AppointmentFactory, FlagFactory, TaskFactory

pytestmark = pytest.mark.django_db


def url(patient) -> str:
    return reverse("dashboard:patient", args=[patient.pk])


def test_login_required(client, full_patient):
    response = client.get(url(full_patient))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_off_team_and_missing_patients_are_the_same_404(client, clinician_off_team, full_patient):
    client.force_login(clinician_off_team)
    forbidden = client.get(url(full_patient))
    missing = client.get(reverse("dashboard:patient", args=[full_patient.pk + 999]))
    assert forbidden.status_code == missing.status_code == 404
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub(b"", forbidden.content) == token.sub(b"", missing.content)
    assert full_patient.last_name.encode() not in forbidden.content


def test_admin_sees_any_patient(client, admin, full_patient):
    client.force_login(admin)
    assert client.get(url(full_patient)).status_code == 200


def test_header_care_team_plan_and_medications(logged_in, full_patient, clinician_on_team):
    episode = full_patient.episodes.get()
    red_flag_record(actor=clinician_on_team, episode=episode, sign="night_pain")
    clinician_on_team.phone = "+1-617-555-0100"
    clinician_on_team.save()

    html = logged_in.get(url(full_patient)).content.decode()

    assert f"<h1>{full_patient.full_name}</h1>" in html
    assert full_patient.mrn in html
    assert (
        "Subacute (4–12 weeks)" in html and f"Day {(clinic_today() - episode.onset).days}" in html
    )
    assert 'class="redflag-banner" role="alert"' in html and "Night pain" in html
    assert f"mailto:{clinician_on_team.email}" in html and "tel:+1-617-555-0100" in html
    assert "Lead" in html and "Physician" in html
    # Care plan: goal with progress, interventions grouped by kind, with their discipline.
    assert "Pain at or below 3/10" in html and "<progress" in html
    assert "Exercise programme (home)" in html and "Psychological therapy" in html
    assert "Psychologist" in html and "CBT for pain" in html
    # Medications: class and daily MME (oxycodone 20 mg/day x 1.5 = 30).
    assert "Opioid, long-acting" in html and "30 MME/day" in html


def test_outcome_charts_are_svg_with_title_summary_band_and_data(logged_in, full_patient):
    html = logged_in.get(url(full_patient)).content.decode()

    assert '<svg class="chart" id="chart-nrs"' in html
    assert '<title id="chart-nrs-title">Pain NRS (0–10) over time</title>' in html
    assert 'aria-labelledby="chart-nrs-title chart-nrs-desc"' in html
    assert 'class="chart-band"' in html and 'class="chart-baseline"' in html
    # Baseline NRS 7 (the plan's start): meaningful improvement at 5 or lower (2 points < 30%).
    assert "baseline 7" in html and "improved ≤ 5</text>" in html
    # PEG baseline 19/3: 30% only -> 4.43; ODI 40%: 10 points < 30% -> 30.
    assert "improved ≤ 4.4</text>" in html and "improved ≤ 30</text>" in html
    assert "Meaningful improvement means 5 or lower. No meaningful change." in html
    assert "Data table (4 measures)" in html


def test_open_flags_show_readable_evidence_and_actions(logged_in, full_patient):
    flag = full_patient.flags.get(rule_code="stalled_recovery")

    html = logged_in.get(url(full_patient)).content.decode()

    assert f'id="flag-{flag.pk}"' in html
    assert (
        "Why:</strong> No meaningful improvement in NRS, PEG since the plan&#x27;s baseline."
        in html
    )
    assert "Compared with baseline" in html
    assert "7 (20 Feb 2026)" in html and "6 (30 Mar 2026)" in html and "-1 (-14%)" in html
    assert "a change of 2 points or 30% of baseline" in html and "Not meaningfully improved" in html
    assert "Thresholds used" in html and "Pain NRS: absolute drop that is meaningful" in html
    assert reverse("dashboard:flag_acknowledge", args=[flag.pk]) in html
    assert reverse("dashboard:flag_resolve", args=[flag.pk]) in html
    assert reverse("dashboard:flag_snooze", args=[flag.pk]) in html
    assert f'<label for="resolve-note-{flag.pk}">Resolution note</label>' in html
    assert "csrfmiddlewaretoken" in html


def test_timeline_has_assessments_appointments_notes_flags_and_messages(logged_in, full_patient):
    html = logged_in.get(url(full_patient)).content.decode()
    timeline = html[html.index('id="timeline"') :]
    for kind in ("tl-assessment", "tl-appointment", "tl-note", "tl-flag", "tl-message"):
        assert kind in timeline
    assert "Discussed pacing and graded activity." in timeline
    assert "Appointment reminder by Email" in timeline


def test_viewing_a_patient_is_audited(logged_in, full_patient, clinician_on_team):
    logged_in.get(url(full_patient))
    event = AuditEvent.objects.filter(action="view", patient=full_patient).get()
    assert event.actor == clinician_on_team and event.surface == "page"


def test_get_changes_nothing_else(logged_in, full_patient):
    flags = list(full_patient.flags.values_list("status", flat=True))
    logged_in.get(url(full_patient))
    assert list(full_patient.flags.values_list("status", flat=True)) == flags


def _grow(patient, clinician, n):
    """n more of everything the page lists: flags, appointments, notes, tasks, messages,
    medication orders (measures come from make_patient)."""
    episode = patient.episodes.get()
    for i in range(n):
        FlagFactory(
            patient=patient,
            episode=episode,
            rule_code=f"extra_{i}",
            severity="info",
            evidence={"reason": "x"},
        )
        AppointmentFactory(
            episode=episode,
            patient=patient,
            clinician=clinician,
            starts_at=timezone.now() + dt.timedelta(days=i + 1),
        )
        note_add(actor=clinician, patient=patient, body=f"Note {i}", episode=episode)
        TaskFactory(
            patient=patient, team=patient.team, due_on=clinic_today() + dt.timedelta(days=i)
        )
        OutboundMessage.objects.create(
            idempotency_key=f"grow-{patient.pk}-{i}",
            kind="checkin",
            channel="sms",
            patient=patient,
            to_address="+15550000",
            body="x",
        )
        medication_order_create(
            actor=clinician,
            episode=episode,
            drug=f"drug {i}",
            drug_class="nsaid",
            dose=Decimal("200"),
            frequency="daily",
            daily_dose=Decimal("200"),
        )


@pytest.mark.parametrize("n", [3, 9])
def test_query_count_does_not_grow(
    client, team, clinician_on_team, make, django_assert_num_queries, n
):
    """N measures of each outcome, N flags and N of everything else, then 3N: 25 queries."""
    patient = make(team, clinician_on_team, measures=n, flags=2, onset_days=80)
    _grow(patient, clinician_on_team, n)
    client.force_login(clinician_on_team)
    client.get(reverse("dashboard:caseload"))  # the first request of a session writes its timestamp
    # 1 session; 2 user; 3 the user's two-factor devices (OTP middleware);
    # 4 the patient, through the access rule (patient_get_for_user);
    # 5 clinical thresholds; 6 the patient's episodes;
    # 7 team memberships with clinicians and the team (contacts, task assignees);
    # 8 uncleared red flags; 9 care team with clinicians;
    # 10 care plan with its template; 11 its goals; 12 its interventions;
    # 13 medication orders with prescribers; 14 assessments with who recorded them;
    # 15 flags with who acknowledged/resolved them; 16 open tasks with assignees;
    # 17 appointments with clinicians; 18 notes with authors; 19 outbound messages;
    # 20 the latest views of the record (shown to the care-team lead, as this user is);
    # 21 unread notifications (header);
    # 22 the audit read row (who viewed this patient: one INSERT by the audit middleware);
    # 23-25 savepoint, session update, release.
    with django_assert_num_queries(25):
        response = client.get(url(patient))
    assert response.status_code == 200
    assert response.content.decode().count('class="flag flag-') == n + 2


def test_the_care_team_lead_sees_who_viewed_the_record(
    client, full_patient, clinician_on_team, colleague
):
    client.force_login(colleague)
    client.get(url(full_patient))
    client.force_login(clinician_on_team)  # the episode's care-team lead

    html = client.get(url(full_patient)).content.decode()

    assert "Who viewed this record" in html
    assert colleague.display_name in html


def test_other_clinicians_do_not_see_who_viewed_the_record(client, full_patient, colleague):
    client.force_login(colleague)
    html = client.get(url(full_patient)).content.decode()
    assert "Who viewed this record" not in html


def test_it_lists_the_patients_tasks_by_urgency_then_due_date(logged_in, patient):
    from tests.factories import TaskFactory

    today = clinic_today()
    TaskFactory(patient=patient, title="Urgent opioid review", priority="urgent", due_on=today)
    TaskFactory(patient=patient, title="Routine call", due_on=today - dt.timedelta(days=4))
    TaskFactory(
        patient=patient,
        title="Cauda equina assessment",
        priority="stat",
        due_on=today + dt.timedelta(days=1),
    )

    html = logged_in.get(reverse("dashboard:patient", args=[patient.pk])).content.decode()
    tasks = html[html.index('id="tasks-title"') :]

    titles = re.findall(r"<div><strong>([^<]+)</strong></div>", tasks)[:3]
    assert titles == ["Cauda equina assessment", "Urgent opioid review", "Routine call"]


def test_the_goal_status_is_derived_from_the_measures_not_the_stored_field(logged_in, full_patient):
    from apps.careplans.models import Goal

    goal = Goal.objects.get(plan__episode__patient=full_patient)
    goal.target = Decimal("0")  # not reached by the latest pain score
    goal.due_on = clinic_today() - dt.timedelta(days=1)
    goal.achievement_status = "in-progress"
    goal.save()

    html = logged_in.get(url(full_patient)).content.decode()
    assert '<span class="badge goal-overdue">Overdue</span>' in html
    assert "In progress" not in html

    goal.target = Decimal("10")  # reached by any score
    goal.save()
    html = logged_in.get(url(full_patient)).content.decode()
    assert '<span class="badge goal-met">Met</span>' in html
