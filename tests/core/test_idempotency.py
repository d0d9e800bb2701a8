"""apps/core/idempotency.py: a key runs once per user; only a success is kept; old keys are
purged on a schedule."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.core.idempotency import Outcome, Replay, idempotency_keys_purge, run_once
from apps.core.models import IdempotencyKey
from apps.core.schedules import PERIODIC_TASKS
from apps.core.tasks import purge_idempotency_keys

pytestmark = pytest.mark.django_db


def once(user, key, *, fingerprint="f", ok=True, calls=None):
    calls = calls if calls is not None else []

    def run():
        calls.append(key)
        return "done" if ok else "failed"

    return run_once(
        user=user,
        key=key,
        surface=IdempotencyKey.Surface.API,
        scope="POST /api/v1/tasks/",
        request_fingerprint=fingerprint,
        run=run,
        keep=lambda result: Outcome(status=201, body={"id": 1}) if result == "done" else None,
    )


def test_it_runs_once_and_replays_the_stored_outcome(clinician_on_team):
    calls = []
    assert once(clinician_on_team, "k", calls=calls) == "done"
    replay = once(clinician_on_team, "k", calls=calls)
    assert isinstance(replay, Replay) and replay.same_request
    assert (replay.record.response_status, replay.record.response_body) == (201, {"id": 1})
    assert calls == ["k"]


def test_another_request_with_the_key_is_a_replay_of_a_different_request(clinician_on_team):
    once(clinician_on_team, "k", fingerprint="a")
    replay = once(clinician_on_team, "k", fingerprint="b")
    assert isinstance(replay, Replay) and not replay.same_request


def test_a_failure_is_forgotten_so_the_next_attempt_runs(clinician_on_team):
    calls = []
    assert once(clinician_on_team, "k", ok=False, calls=calls) == "failed"
    assert not IdempotencyKey.objects.exists()
    assert once(clinician_on_team, "k", calls=calls) == "done"
    assert calls == ["k", "k"]


def test_an_exception_leaves_no_key(clinician_on_team):
    def boom():
        raise RuntimeError("service failed")

    with pytest.raises(RuntimeError):
        run_once(
            user=clinician_on_team,
            key="k",
            surface=IdempotencyKey.Surface.FORM,
            scope="POST /x/",
            request_fingerprint="f",
            run=boom,
            keep=lambda r: Outcome(status=302, location="/"),
        )
    assert not IdempotencyKey.objects.exists()


def test_old_keys_are_purged_by_surface(clinician_on_team):
    now = timezone.now()
    for surface, age, key in [
        ("api", dt.timedelta(hours=25), "old-api"),
        ("api", dt.timedelta(hours=23), "new-api"),
        ("form", dt.timedelta(days=8), "old-form"),
        ("form", dt.timedelta(days=6), "new-form"),
    ]:
        IdempotencyKey.objects.create(
            user=clinician_on_team,
            key=key,
            surface=surface,
            scope="POST /",
            fingerprint="f",
            response_status=201,
            created_at=now - age,
        )
    assert idempotency_keys_purge(now=now) == 2
    assert set(IdempotencyKey.objects.values_list("key", flat=True)) == {"new-api", "new-form"}


def test_the_purge_runs_hourly_from_beat(clinician_on_team):
    spec = next(s for s in PERIODIC_TASKS if s.task == "core.purge_idempotency_keys")
    assert spec.crontab and spec.crontab.split()[1] == "*"
    IdempotencyKey.objects.create(
        user=clinician_on_team,
        key="old",
        surface="api",
        scope="POST /",
        fingerprint="f",
        response_status=201,
        created_at=timezone.now() - dt.timedelta(days=2),
    )
    assert purge_idempotency_keys() == 1
