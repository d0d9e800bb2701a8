"""Patients and episodes are archived, never hard-deleted through the app; archived records
leave caseloads and jobs but keep their history."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.flags import engine
from apps.flags.models import Flag
from apps.patients.models import Episode, Patient
from apps.patients.selectors import patients_visible_to
from apps.patients.services import episode_archive, patient_archive
from tests.factories import AssessmentFactory, EpisodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chronic_episode(patient):
    return EpisodeFactory(patient=patient, onset=dt.date.today() - dt.timedelta(days=200))


def test_an_archived_episode_leaves_the_jobs_and_its_flags_resolve(
    chronic_episode, clinician_on_team
):
    engine.evaluate_all_now()
    assert Flag.objects.filter(patient=chronic_episode.patient, status="open").exists()

    episode_archive(actor=clinician_on_team, episode=chronic_episode)
    summary = engine.evaluate_all_now()

    assert summary.episodes == 0
    assert not Flag.objects.filter(patient=chronic_episode.patient, status="open").exists()
    assert Episode.objects.filter(pk=chronic_episode.pk).exists()  # history kept
    assert AuditEvent.objects.filter(object_type="patients.episode", action="archive").count() == 1


def test_an_archived_patient_leaves_the_caseload_but_keeps_its_records(
    chronic_episode, clinician_on_team
):
    AssessmentFactory(episode=chronic_episode)
    patient_archive(actor=clinician_on_team, patient=chronic_episode.patient)

    assert not patients_visible_to(clinician_on_team).filter(pk=chronic_episode.patient_id).exists()
    assert (
        patients_visible_to(clinician_on_team, include_archived=True)
        .filter(pk=chronic_episode.patient_id)
        .exists()
    )
    assert chronic_episode.patient.assessments.count() == 1
    assert engine.evaluate_all_now().episodes == 0


@pytest.mark.parametrize("model", [Patient, Episode])
def test_admin_offers_no_delete_for_patients_or_episodes(client, admin, chronic_episode, model):
    obj = chronic_episode.patient if model is Patient else chronic_episode
    client.force_login(admin)
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert "delete_selected" not in changelist.content.decode()
    assert model.objects.filter(pk=obj.pk).exists()
