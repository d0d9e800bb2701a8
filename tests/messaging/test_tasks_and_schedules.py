"""Celery task names, thin wrappers, and their periodic schedules in the database."""

import datetime as dt

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.core.schedules import ensure_periodic_tasks
from apps.messaging import tasks
from apps.messaging.models import OutboundMessage
from careteam.celery import app
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def test_the_tasks_are_registered_under_their_names():
    for name in (
        "messaging.plan_reminders",
        "messaging.dispatch_due",
        "messaging.send_message",
        "messaging.send_daily_digests",
        "messaging.escalate",
    ):
        assert name in app.tasks
    assert app.tasks["messaging.send_message"].acks_late is True


def test_the_schedules_are_created_in_the_database():
    ensure_periodic_tasks()
    schedules = {p.task: p for p in PeriodicTask.objects.filter(task__startswith="messaging.")}
    assert schedules["messaging.plan_reminders"].interval.every == 300
    assert schedules["messaging.dispatch_due"].interval.every == 60
    assert schedules["messaging.escalate"].interval.every == 300
    cron = schedules["messaging.send_daily_digests"].crontab
    assert (cron.minute, cron.hour, cron.day_of_week) == ("0", "7", "*")


def test_the_wrappers_call_the_services(clock, mailoutbox):
    AppointmentFactory(starts_at=timezone.now() + dt.timedelta(hours=3))
    assert tasks.plan_reminders() == {"appointment_reminders": 1, "checkins": 0}
    message = OutboundMessage.objects.get()
    assert tasks.send_message_task(message.pk) == "sent"
    assert tasks.send_message_task(message.pk) == "skipped"
    assert len(mailoutbox) == 1
    assert tasks.escalate() == {"flags": 0, "tasks": 0}
    assert tasks.send_daily_digests() == 0
