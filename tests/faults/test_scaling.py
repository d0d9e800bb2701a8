"""Scaling out: two worker processes (two "machines") on one Redis and one PostgreSQL, with
separate queues (docs/scaling.md).

- ``alpha`` consumes the rules queue only; ``beta`` consumes the rules queue and the messages
  queue. Both use the rules queue as their default queue, so the batches that
  ``flags.evaluate_all`` splits the run into go there, and both workers take them.
- Reminders are dispatched to the messages queue: only ``beta`` sends them.

Shows: the batches are spread over both workers (read from each worker's log), the flags equal
those of a clean run with no duplicate, and every reminder is delivered exactly once.
"""

import pytest

from apps.core.enqueue import send_task_now
from apps.messaging.services import dispatch_due
from faults import report
from faults.harness import unique_queue, wait_for
from faults.scenario import (
    chronic_episodes,
    clean_run_flags,
    duplicate_open_flags,
    email_keys,
    open_flags,
    plan_reminders,
    staffed_team,
    wait_sent,
)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

EPISODES = 80
BATCH = 5
REMINDERS = 12


def test_two_workers_share_the_rule_batches_and_only_one_sends_messages(
    redis_server, smtp, start_worker
):
    team = staffed_team("Scale team")
    chronic_episodes(team, EPISODES)
    keys = set(plan_reminders(team, REMINDERS, tag="scale"))
    rules, messages = unique_queue("rules"), unique_queue("messages")
    env = {**smtp.env(), "MESSAGE_CLAIM_TIMEOUT_SECONDS": "30"}
    alpha = start_worker("alpha", queues=[rules], default_queue=rules, env=env)
    beta = start_worker("beta", queues=[rules, messages], default_queue=rules, env=env)

    assert send_task_now("flags.evaluate_all", BATCH, queue=rules)
    dispatch_due(queue=messages)
    batches = -(-(EPISODES + REMINDERS) // BATCH)  # every reminder patient has an episode too

    def batches_done() -> int:
        return alpha.succeeded("flags.evaluate_batch") + beta.succeeded("flags.evaluate_batch")

    wait_for(lambda: batches_done() == batches, timeout=120, what=f"{batches} batches")
    wait_for(lambda: wait_sent(keys), timeout=60, what="the reminders to be sent")
    per_worker = {
        "alpha": alpha.succeeded("flags.evaluate_batch"),
        "beta": beta.succeeded("flags.evaluate_batch"),
    }
    sends = {
        "alpha": alpha.succeeded("messaging.send_message"),
        "beta": beta.succeeded("messaging.send_message"),
    }

    flags = report.flag_row(
        "2 workers, 2 queues",
        expected=clean_run_flags(),
        present=open_flags(),
        details={"batches": batches, "batches_per_worker": per_worker},
    )
    sent = report.message_row(
        "2 workers, 2 queues",
        expected_keys=email_keys(),
        received=smtp.handler.delivered(),
        details={"send_message_tasks_per_worker": sends},
    )
    assert per_worker["alpha"] >= 1 and per_worker["beta"] >= 1, per_worker
    assert sends["alpha"] == 0 and sends["beta"] >= REMINDERS, sends
    assert flags.lost == 0 and flags.duplicated == 0 and flags.delivered == flags.expected
    assert duplicate_open_flags() == 0
    assert sent.lost == 0 and sent.duplicated == 0, sent
