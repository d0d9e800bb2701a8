"""A worker killed with SIGKILL in the middle of a batch of reminders.

The SMTP server is slow (each message takes 1.5 s to be accepted), so the kill lands while the
worker's processes are each in the middle of a send: their rows stay ``sending``, claimed by a
process that no longer exists, and the server never gave them a "250 accepted" (SMTP does not
deliver those). A replacement worker starts; once a claim is older than
``MESSAGE_CLAIM_TIMEOUT_SECONDS`` (8 s here, 300 s by default), ``dispatch_due`` puts the row
back to ``pending`` and it is sent again — once.
"""

import datetime as dt
import time

import pytest

from apps.messaging.models import MessageStatus, OutboundMessage
from faults import report
from faults.scenario import Beat, message_statuses, plan_reminders, staffed_team, wait_sent

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

MESSAGES = 20
SMTP_DELAY = 1.5
CLAIM_TIMEOUT = 8  # must exceed the longest live send (here 1.5 s), or a slow send is resent


def test_a_worker_killed_mid_batch_has_its_claims_retried_and_delivered_once(
    redis_server, smtp, start_worker, default_queue
):
    team = staffed_team("Kill team")
    keys = set(plan_reminders(team, MESSAGES, tag="kill"))
    smtp.handler.delay = SMTP_DELAY
    env = {
        **smtp.env(),
        "MESSAGE_RETRY_BASE_SECONDS": "1",
        "MESSAGE_CLAIM_TIMEOUT_SECONDS": str(CLAIM_TIMEOUT),
    }
    victim = start_worker("victim", queues=[default_queue], concurrency=2, env=env)
    beat = Beat(queue=default_queue, dispatch_every=2.0)

    def both_processes_mid_send() -> bool:
        ages = smtp.handler.in_flight_ages()
        delivered = sum(smtp.handler.delivered().values())
        return delivered >= 4 and len(ages) == 2 and max(ages) < SMTP_DELAY / 2

    assert beat.run_for(60, until=both_processes_mid_send, step=0.05)
    victim.kill()
    killed_at = time.monotonic()
    delivered_at_kill = sum(smtp.handler.delivered().values())

    orphaned = dict(
        OutboundMessage.objects.filter(status=MessageStatus.SENDING).values_list(
            "idempotency_key", "claimed_at"
        )
    )
    assert len(orphaned) == 2, message_statuses()
    time.sleep(SMTP_DELAY)  # the server finishes the two sessions: no 250 was ever sent
    assert sum(smtp.handler.aborted.values()) == 2

    start_worker("replacement", queues=[default_queue], concurrency=2, env=env)
    assert beat.run_for(90, until=lambda: wait_sent(keys))
    recovered = time.monotonic() - killed_at
    time.sleep(2)

    rows = {m.idempotency_key: m for m in OutboundMessage.objects.all()}
    result = report.message_row(
        "worker SIGKILL mid-batch",
        expected_keys=keys,
        received=smtp.handler.delivered(),
        details={
            "delivered_before_kill": delivered_at_kill,
            "orphaned_claims": len(orphaned),
            "reclaimed_and_sent": sum(
                1 for k in orphaned if rows[k].status == "sent" and rows[k].attempts == 2
            ),
            "claim_timeout_s": CLAIM_TIMEOUT,
            "recovery_s": round(recovered),
        },
    )
    assert message_statuses() == {MessageStatus.SENT: MESSAGES}
    assert result.lost == 0 and result.duplicated == 0, result
    for key in orphaned:  # claimed twice (the dead worker's attempt counts), sent once
        assert (rows[key].status, rows[key].attempts, rows[key].last_error) == ("sent", 2, "")
        # Reclaimed only once the claim had timed out: nothing is taken from a live worker.
        assert rows[key].claimed_at - orphaned[key] >= dt.timedelta(seconds=CLAIM_TIMEOUT)
