"""Celery messages carry database ids only, never patient data, and no results are stored."""

import inspect

from django.conf import settings

from careteam.celery import app

# Every argument a task of ours accepts: ids, or plain options that are not patient data.
ALLOWED_OPTIONS = {"queue", "batch_size"}


def _our_tasks():
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_every_task_takes_only_ids_or_plain_options():
    tasks = _our_tasks()
    assert {"flags.evaluate_patient", "messaging.send_message", "messaging.send_batch"} <= set(
        tasks
    )
    for name, task in tasks.items():
        params = [p for p in inspect.signature(task.run).parameters if p != "self"]
        for param in params:
            assert param.endswith(("_id", "_ids")) or param in ALLOWED_OPTIONS, (
                f"{name} takes {param!r}: pass ids and re-read state in the task"
            )


def test_results_are_not_stored_or_extended():
    assert settings.CELERY_TASK_IGNORE_RESULT is True
    assert settings.CELERY_RESULT_BACKEND is None
    assert settings.CELERY_RESULT_EXTENDED is False
    assert settings.CELERY_TASK_SERIALIZER == "json"
