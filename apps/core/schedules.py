"""Periodic schedules, kept in the database (django-celery-beat) and editable in admin.

``ensure_periodic_tasks()`` creates or updates them with ``update_or_create``; it runs after
``migrate`` (post_migrate signal) and from ``manage.py setup_schedules``. An admin's changes to
the interval or the enabled switch are kept: only missing tasks are created, and the task path
is corrected.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicSpec:
    name: str
    task: str
    every_seconds: int | None = None
    crontab: str | None = None  # "minute hour day_of_month month_of_year day_of_week"
    description: str = ""
    kwargs: str = "{}"  # JSON keyword arguments, set when the task is first created


PERIODIC_TASKS: list[PeriodicSpec] = [
    PeriodicSpec(
        name="Evaluate monitoring rules",
        task="flags.evaluate_all",
        crontab="5 * * * *",
        description="Every hour: all active episodes, in batches spread across the workers.",
    ),
    PeriodicSpec(
        name="Worker heartbeat",
        task="core.worker_heartbeat",
        every_seconds=60,
        description="Shows on /healthz that a worker is consuming the queue.",
    ),
    PeriodicSpec(
        name="Plan reminders",
        task="messaging.plan_reminders",
        every_seconds=300,
        description="Appointment reminders (48 h and 2 h before) and check-in invitations.",
    ),
    PeriodicSpec(
        name="Dispatch due messages",
        task="messaging.dispatch_due",
        every_seconds=60,
        description="Reclaims stale claims and enqueues due messages in batches of 50, each sent "
        "over one SMTP connection (docs/performance.md).",
        kwargs='{"batch_size": 50}',
    ),
    PeriodicSpec(
        name="Escalate",
        task="messaging.escalate",
        every_seconds=300,
        description="Unacknowledged urgent flags to the lead physician; overdue tasks to coordinators.",
    ),
    PeriodicSpec(
        name="Purge idempotency keys",
        task="core.purge_idempotency_keys",
        crontab="17 * * * *",
        description="Every hour: forget one-time submission keys (forms: 7 days, API: 24 hours).",
    ),
    PeriodicSpec(
        name="Daily digest",
        task="messaging.send_daily_digests",
        crontab="0 7 * * *",
        description="One email per clinician: new flags, tasks due today, overdue tasks.",
    ),
]


def ensure_periodic_tasks() -> list[str]:
    from django.conf import settings
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    done = []
    for spec in PERIODIC_TASKS:
        defaults: dict[str, object] = {"task": spec.task, "description": spec.description}
        existing = PeriodicTask.objects.filter(name=spec.name).first()
        if existing is None:
            defaults["kwargs"] = spec.kwargs
            if spec.every_seconds is not None:
                interval, _ = IntervalSchedule.objects.get_or_create(
                    every=spec.every_seconds, period=IntervalSchedule.SECONDS
                )
                defaults["interval"] = interval
            else:
                assert spec.crontab is not None
                minute, hour, dom, month, dow = spec.crontab.split()
                cron, _ = CrontabSchedule.objects.get_or_create(
                    minute=minute,
                    hour=hour,
                    day_of_month=dom,
                    month_of_year=month,
                    day_of_week=dow,
                    timezone=settings.TIME_ZONE,
                )
                defaults["crontab"] = cron
        PeriodicTask.objects.update_or_create(name=spec.name, defaults=defaults)
        done.append(spec.name)
    return done
