"""manage.py send_reminders: plan and send in-process, print a summary."""

import datetime as dt
import io
import smtplib

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.utils import timezone

from apps.messaging.models import MessageStatus, OutboundMessage
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db


def run() -> str:
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    return out.getvalue().strip()


def test_it_plans_sends_and_prints_a_summary(clock, mailoutbox):
    ep = EpisodeFactory(onset=timezone.localdate() - dt.timedelta(days=30))  # check-in due
    AppointmentFactory(episode=ep, starts_at=timezone.now() + dt.timedelta(hours=20))
    AppointmentFactory(
        episode=EpisodeFactory(patient=PatientFactory(preferred_channel="sms", phone="+15550100")),
        starts_at=timezone.now() + dt.timedelta(hours=1),
    )

    assert run() == "Planned 2 appointment reminders, 1 check-ins; sent 3, retried 0, failed 0."
    assert len(mailoutbox) == 2
    assert run() == "Planned 0 appointment reminders, 0 check-ins; sent 0, retried 0, failed 0."


def test_it_counts_retries_and_failures(clock, monkeypatch):
    def refuse(self, messages):
        raise smtplib.SMTPConnectError(421, b"Try again later")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    AppointmentFactory(starts_at=timezone.now() + dt.timedelta(hours=20))
    OutboundMessage.objects.create(
        idempotency_key="last-try",
        kind="digest",
        channel="email",
        to_address="doc@clinic.example",
        body="Digest",
        attempts=4,
    )
    assert run() == "Planned 1 appointment reminders, 0 check-ins; sent 0, retried 1, failed 1."
    assert OutboundMessage.objects.get(idempotency_key="last-try").status == MessageStatus.FAILED
