"""`manage.py seed_demo` starts the demo's messages: it queues one planning run on commit.

(Its own file: tests/core/test_seed_demo.py keeps one seeded caseload open in a module-wide
transaction, whose pending on-commit planning run would hide this one.)"""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_seed_demo_asks_the_worker_to_plan_reminders_once_it_has_committed(
    django_capture_on_commit_callbacks, monkeypatch
):
    """Beat's "Plan reminders" first runs a full interval after beat starts; the demo does not
    wait for it: seeding enqueues one planning run, which the worker picks up as it starts."""
    sent: list[str] = []
    monkeypatch.setattr(
        "apps.core.enqueue.send_task_now", lambda name, *a, **k: sent.append(name) or True
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "seed_demo", "--force", "--patients", "2", stdout=StringIO(), stderr=StringIO()
        )
    assert sent.count("messaging.plan_reminders") == 1
