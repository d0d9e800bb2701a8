"""Opening and closing an episode, applying a plan template (episode_open, episode_close,
plan_template_apply)."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.careplans.models import CarePlan, PlanTemplate
from apps.core.dates import clinic_today
from apps.patients.models import Episode
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(db):
    t = PlanTemplate.objects.create(name="Test acute template", slug="test-acute-template")
    t.interventions.create(
        kind="activity_advice", discipline="physician", description="Stay active"
    )
    t.goals.create(measure="nrs", description="Pain 3 or less", due_offset_days=28)
    t.follow_ups.create(
        discipline="physician",
        appointment_kind="physician_visit",
        title="Book the day-7 review",
        offset_days=7,
    )
    return t


def test_login_required(client, patient):
    assert client.get(reverse("dashboard:episode_open", args=[patient.pk])).status_code == 302


def test_open_an_episode(logged_in, patient):
    onset = (clinic_today() - dt.timedelta(days=3)).isoformat()
    response = logged_in.post(
        reverse("dashboard:episode_open", args=[patient.pk]),
        {"onset": onset, "summary": "Lifting injury"},
    )
    assert response.status_code == 302
    assert patient.episodes.get().summary == "Lifting injury"


def test_a_second_active_episode_is_refused_on_the_onset_field(logged_in, patient):
    EpisodeFactory(patient=patient)
    response = logged_in.post(
        reverse("dashboard:episode_open", args=[patient.pk]),
        {"onset": clinic_today().isoformat(), "summary": "Again"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_onset_error"' in html and "already has an active episode" in html
    assert 'value="Again"' in html
    assert patient.episodes.count() == 1


def test_onset_in_the_future_is_refused(logged_in, patient):
    response = logged_in.post(
        reverse("dashboard:episode_open", args=[patient.pk]),
        {"onset": (clinic_today() + dt.timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 200 and 'id="id_onset_error"' in response.content.decode()
    assert not Episode.objects.exists()


def test_close_an_episode(logged_in, patient):
    episode = EpisodeFactory(patient=patient)
    close = reverse("dashboard:episode_close", args=[episode.pk])
    assert logged_in.post(close, {"closed_on": clinic_today().isoformat()}).status_code == 302
    episode.refresh_from_db()
    assert episode.status == "closed"
    again = logged_in.post(close, {"closed_on": clinic_today().isoformat()})
    assert again.status_code == 200 and "already closed" in again.content.decode()


def test_close_before_onset_is_refused(logged_in, patient):
    episode = EpisodeFactory(patient=patient)
    response = logged_in.post(
        reverse("dashboard:episode_close", args=[episode.pk]),
        {"closed_on": (episode.onset - dt.timedelta(days=1)).isoformat()},
    )
    assert (
        response.status_code == 200 and "cannot close before its onset" in response.content.decode()
    )
    episode.refresh_from_db()
    assert episode.status == "active"


def test_apply_a_plan_template(logged_in, patient, template):
    episode = EpisodeFactory(patient=patient)
    response = logged_in.post(
        reverse("dashboard:plan_apply", args=[episode.pk]),
        {"template": str(template.pk), "start_date": clinic_today().isoformat()},
    )
    assert response.status_code == 302 and response["Location"].endswith("#plan")
    plan = CarePlan.objects.get()
    assert plan.interventions.count() == 1 and plan.goals.count() == 1
    assert patient.tasks.get().title == "Book the day-7 review"
    # A second plan on the same episode: the service's error lands on the template field.
    # (Another start date: the same content again is a resubmission, "Already saved".)
    again = logged_in.post(
        reverse("dashboard:plan_apply", args=[episode.pk]),
        {
            "template": str(template.pk),
            "start_date": (clinic_today() + dt.timedelta(days=1)).isoformat(),
        },
    )
    assert again.status_code == 200
    assert 'id="id_template_error"' in again.content.decode()
    assert CarePlan.objects.count() == 1


def test_plan_before_onset_maps_onto_start_date(logged_in, patient, template):
    episode = EpisodeFactory(patient=patient)
    response = logged_in.post(
        reverse("dashboard:plan_apply", args=[episode.pk]),
        {
            "template": str(template.pk),
            "start_date": (episode.onset - dt.timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 200 and 'id="id_start_date_error"' in response.content.decode()
    assert not CarePlan.objects.exists()


def test_another_teams_episode_is_404(client, clinician_off_team, patient, template):
    episode = EpisodeFactory(patient=patient)
    client.force_login(clinician_off_team)
    assert (
        client.post(
            reverse("dashboard:episode_close", args=[episode.pk]),
            {"closed_on": clinic_today().isoformat()},
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("dashboard:plan_apply", args=[episode.pk]),
            {"template": str(template.pk), "start_date": clinic_today().isoformat()},
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("dashboard:episode_open", args=[patient.pk]),
            {"onset": clinic_today().isoformat()},
        ).status_code
        == 404
    )
    episode.refresh_from_db()
    assert episode.status == "active" and not CarePlan.objects.exists()
