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
