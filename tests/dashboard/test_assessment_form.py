"""Recording an assessment: one form per instrument (ODI and STarT Back by number and topic only),
scored by apps.clinical.scoring through assessment_record; errors next to the field, typed values
kept, nothing saved."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.assessments.models import Assessment
from tests.factories import EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(team):
    p = PatientFactory(team=team)
    EpisodeFactory(patient=p)
    return p


def url(patient, instrument: str) -> str:
    return reverse("dashboard:assessment_new", args=[patient.pk, instrument])


def now_text(hours_ago: int = 1) -> str:
    return (timezone.localtime() - dt.timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M")


def post(client, patient, instrument, **answers):
    data = {
        "taken_at": now_text(),
        "reported_by": "clinician",
        **{k: str(v) for k, v in answers.items()},
    }
    return client.post(url(patient, instrument), data)


def test_login_required(client, patient):
    response = client.get(url(patient, "peg"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_off_team_patient_is_404(client, clinician_off_team, patient):
    client.force_login(clinician_off_team)
    assert client.get(url(patient, "peg")).status_code == 404
    assert post(client, patient, "peg", pain=5, enjoyment=5, activity=5).status_code == 404
    assert not Assessment.objects.exists()


def test_unknown_instrument_is_404(logged_in, patient):
    assert logged_in.get(url(patient, "sf36")).status_code == 404


def test_every_form_is_labelled(logged_in, patient):
    for instrument in ("nrs", "peg", "odi", "start_back", "phq9", "gad7", "sleep", "work_status"):
        html = logged_in.get(url(patient, instrument)).content.decode()
        assert 'for="id_taken_at"' in html and 'for="id_reported_by"' in html, instrument


def test_peg_is_recorded_and_scored(logged_in, patient, clinician_on_team):
    response = post(logged_in, patient, "peg", pain=7, enjoyment=6, activity=8)

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:patient", args=[patient.pk]) + "#outcomes"
    a = Assessment.objects.get()
    assert (a.instrument, a.score, a.recorded_by) == ("peg", 7, clinician_on_team)
    assert a.answers == {"pain": 7, "enjoyment": 6, "activity": 8}
    assert "PEG recorded: 7." in logged_in.get(response["Location"]).content.decode()


def test_odi_by_section_with_topic_labels_only(logged_in, patient):
    html = logged_in.get(url(patient, "odi")).content.decode()
    assert "Section 1 — pain intensity" in html and "Section 10 — travelling" in html
    sections = {f"section_{i}": v for i, v in enumerate([2, 1, 3, 2, 2, 1, 1, "", 2, 2], start=1)}

    response = post(logged_in, patient, "odi", **sections)

    assert response.status_code == 302
    a = Assessment.objects.get()
    assert a.answers["sections"] == [2, 1, 3, 2, 2, 1, 1, None, 2, 2]
    assert float(a.score) == pytest.approx(35.5556) and a.band == "moderate"


def test_start_back_by_item_number(logged_in, patient):
    items = {f"item_{i}": "agree" if i in (5, 6, 7) else "disagree" for i in range(1, 9)}
    response = post(logged_in, patient, "start_back", item_9="very_much", **items)
    assert response.status_code == 302
    a = Assessment.objects.get()
    assert (a.score, a.subscore, a.band) == (4, 4, "high")


def test_phq9_with_item_9_left_blank_by_the_patient_is_unknown(logged_in, patient):
    """Item 9 is never blank by default: "left blank by the patient" is chosen explicitly."""
    items = {f"item_{i}": v for i, v in enumerate([2, 2, 2, 2, 1, 1, 1, 1, "blank"], start=1)}
    response = post(logged_in, patient, "phq9", **items)
    assert response.status_code == 302
    a = Assessment.objects.get()
    assert float(a.score) == 13.5 and a.self_harm == "unknown"


def test_gad7_nrs_sleep_and_work_status(logged_in, patient):
    assert (
        post(
            logged_in,
            patient,
            "gad7",
            **{f"item_{i}": v for i, v in enumerate([2, 2, 2, 1, 1, 1, 0], 1)},
        ).status_code
        == 302
    )
    assert post(logged_in, patient, "nrs", value=6).status_code == 302
    assert post(logged_in, patient, "sleep", value=3).status_code == 302
    assert post(logged_in, patient, "work_status", status="off_work").status_code == 302
    assert sorted(Assessment.objects.values_list("instrument", flat=True)) == [
        "gad7",
        "nrs",
        "sleep",
        "work_status",
    ]
    patient.refresh_from_db()
    assert patient.work_status == "off_work"


def test_validation_errors_sit_next_to_the_field_and_keep_what_was_typed(logged_in, patient):
    response = post(logged_in, patient, "peg", pain=7, enjoyment="", activity=12)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_enjoyment_error"' in html and "Choose a number from 0 to 10." in html
    assert (
        'aria-invalid="true"' in html
        and 'aria-describedby="id_enjoyment_help id_enjoyment_error"' in html
    )
    assert '<option value="7" selected>7</option>' in html  # the pain score typed is kept
    assert not Assessment.objects.exists()


def test_a_service_error_maps_onto_the_form(logged_in, patient):
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = logged_in.post(
        url(patient, "nrs"), {"taken_at": future, "reported_by": "clinician", "value": "5"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_taken_at_error"' in html and "cannot be taken in the future" in html
    assert f'value="{future}"' in html
    assert not Assessment.objects.exists()


def test_odi_with_nothing_answered_is_refused(logged_in, patient):
    response = post(logged_in, patient, "odi")
    assert response.status_code == 200
    assert "The ODI needs at least 8 of its 10 sections answered; 0 answered" in (
        response.content.decode()
    )
    assert not Assessment.objects.exists()


def test_odi_with_seven_sections_marks_each_unanswered_section(logged_in, patient):
    response = post(logged_in, patient, "odi", **{f"section_{i}": 2 for i in range(1, 8)})

    html = response.content.decode()
    assert response.status_code == 200
    for i in (8, 9, 10):
        assert f'id="id_section_{i}_error"' in html
    assert 'id="id_section_7_error"' not in html
    assert 'value="2" selected' in html  # what was typed is kept
    assert not Assessment.objects.exists()


def test_a_blank_phq9_is_refused_beside_the_fields_and_nothing_is_raised(logged_in, patient):
    """The defect: an empty PHQ-9 said "PHQ-9 recorded", replaced the trend and raised a
    self-harm warning with a task and a notice."""
    from apps.flags.models import Flag
    from apps.messaging.models import Notification
    from apps.worklist.models import Task

    response = post(logged_in, patient, "phq9")

    html = response.content.decode()
    assert response.status_code == 200
    assert "PHQ-9 recorded" not in html
    assert 'id="id_item_9_error"' in html and "or that the patient left it blank" in html
    assert not Assessment.objects.exists()
    assert not (Flag.objects.exists() or Task.objects.exists() or Notification.objects.exists())


def test_a_phq9_with_three_items_unanswered_is_refused_beside_them(logged_in, patient):
    answers = {f"item_{i}": 1 for i in (1, 5, 6, 7, 8)}
    response = post(logged_in, patient, "phq9", item_9=0, **answers)

    html = response.content.decode()
    assert "at least 7 of its 9 items answered; 6 answered (items 2, 3, 4 unanswered)" in html
    for i in (2, 3, 4):
        assert f'id="id_item_{i}_error"' in html
    assert not Assessment.objects.exists()


def test_assessment_detail_is_scoped_to_the_patients_team(
    client, clinician_on_team, clinician_off_team, patient
):
    client.force_login(clinician_on_team)
    post(client, patient, "odi", **{f"section_{i}": 2 for i in range(1, 11)})
    a = Assessment.objects.get()
    detail = reverse("dashboard:assessment", args=[a.pk])
    html = client.get(detail).content.decode()
    assert "Section 3 — lifting" in html and "40" in html
    client.force_login(clinician_off_team)
    assert client.get(detail).status_code == 404


def test_reading_an_assessment_detail_page_is_audited_once_naming_the_patient(
    client, clinician_on_team, clinician_off_team, patient
):
    from apps.audit.models import AuditEvent

    client.force_login(clinician_on_team)
    post(client, patient, "phq9", **{f"item_{i}": 1 for i in range(1, 10)})
    a = Assessment.objects.get()
    detail = reverse("dashboard:assessment", args=[a.pk])
    before = AuditEvent.objects.filter(action="view").count()
    assert client.get(detail).status_code == 200
    reads = AuditEvent.objects.filter(action="view").order_by("pk")[before:]
    assert [(e.actor, e.patient, e.object_type, e.object_id, e.surface) for e in reads] == [
        (clinician_on_team, patient, "assessments.assessment", str(a.pk), "page")
    ]
    client.force_login(clinician_off_team)
    assert client.get(detail).status_code == 404
    assert AuditEvent.objects.filter(action="view").count() == before + 1
