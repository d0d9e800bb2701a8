"""The rule jobs on a real Celery worker over the configured broker (Redis in CI)."""

import datetime as dt

import pytest
from django.db import transaction

from apps.assessments.services import assessment_record
from apps.core.enqueue import send_task_now
from apps.flags.models import Flag
from careteam.celery import app
from tests.celery_worker import celery_worker, wait_until
from tests.factories import EpisodeFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_queue():
    """A worker on its own queue; tasks enqueued by the code under test are routed to it."""
    default = app.conf.task_default_queue
    with celery_worker(concurrency=2) as queue:
        app.conf.task_default_queue = queue
        try:
            yield queue
        finally:
            app.conf.task_default_queue = default


def test_recording_a_phq9_reevaluates_that_patient_on_commit(
    worker_queue, patient, clinician_on_team
):
    EpisodeFactory(patient=patient, onset=dt.date.today() - dt.timedelta(days=100))
    with transaction.atomic():
        assessment_record(
            actor=clinician_on_team,
            patient=patient,
            instrument="phq9",
            answers={"items": [2, 2, 2, 1, 1, 1, 1, 0, 1]},
        )
        # Nothing is sent before the commit: the worker could not see the assessment yet.
        assert not Flag.objects.filter(patient=patient).exists()

    wait_until(lambda: Flag.objects.filter(patient=patient, rule_code="self_harm_risk").exists())
    flag = Flag.objects.get(patient=patient, rule_code="self_harm_risk")
    assert flag.severity == "urgent"


def test_evaluate_all_splits_episodes_into_batches_across_the_workers(worker_queue, team):
    episodes = [
        EpisodeFactory(patient__team=team, onset=dt.date.today() - dt.timedelta(days=200))
        for _ in range(5)
    ]

    assert send_task_now("flags.evaluate_all", 2)

    # Chronic episodes with nobody on the care team: every one gets a team_gap flag.
    wait_until(lambda: Flag.objects.filter(rule_code="team_gap").count() == len(episodes))
    assert set(Flag.objects.filter(rule_code="team_gap").values_list("episode_id", flat=True)) == {
        e.id for e in episodes
    }
