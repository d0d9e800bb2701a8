"""A real Celery worker, started by the test on the configured broker (Redis in CI), runs tasks."""

import pytest
from django.conf import settings

from apps.core.models import WorkerHeartbeat
from apps.core.tasks import worker_heartbeat
from tests.celery_worker import celery_worker, wait_until

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_it_runs_a_task_on_a_real_worker_over_the_configured_broker():
    with celery_worker() as queue:
        worker_heartbeat.apply_async(queue=queue)
        wait_until(lambda: WorkerHeartbeat.objects.filter(worker__startswith=queue).exists())
    beat = WorkerHeartbeat.objects.get(worker__startswith=queue)
    assert beat.beats == 1


def test_the_broker_is_redis_when_redis_url_is_set():
    if settings.REDIS_URL:
        assert settings.CELERY_BROKER_URL.startswith("redis://")
    else:
        assert settings.CELERY_BROKER_URL.startswith("filesystem://")


def test_the_schedules_live_in_the_database_and_keep_an_admins_edits():
    from django_celery_beat.models import PeriodicTask

    from apps.core.schedules import PERIODIC_TASKS, ensure_periodic_tasks

    ensure_periodic_tasks()
    tasks = {t.name: t for t in PeriodicTask.objects.all()}
    assert {s.name for s in PERIODIC_TASKS} <= set(tasks)
    assert tasks["Evaluate monitoring rules"].task == "flags.evaluate_all"
    assert tasks["Dispatch due messages"].kwargs == '{"batch_size": 50}'

    dispatch = tasks["Dispatch due messages"]
    dispatch.enabled = False
    dispatch.interval.every = 120
    dispatch.interval.save()
    dispatch.save()
    ensure_periodic_tasks()  # runs after every migrate
    dispatch.refresh_from_db()
    assert dispatch.enabled is False and dispatch.interval.every == 120
    assert PeriodicTask.objects.filter(name="Dispatch due messages").count() == 1
