"""urgent_flag_notify: in-app at once plus one email per recipient clinician, never twice."""

import datetime as dt

import pytest

from apps.flags.rules import rule_label
from apps.messaging.models import MessageKind, Notification, OutboundMessage
from apps.messaging.services import MESSAGE_KEY_HEADER, SendResult, send_message, urgent_flag_notify
from tests.factories import ClinicianFactory, FlagFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def flag(team):
    patient = PatientFactory(
        team=team, quiet_hours_start=dt.time(0), quiet_hours_end=dt.time(23, 59)
    )
    return FlagFactory(
        patient=patient, severity="urgent", rule_code="mme_high", summary="Opioid dose 120 MME/day"
    )


def test_each_recipient_gets_an_in_app_notification_and_an_email_once(clock, flag, settings):
    settings.SITE_URL = "https://careteam.example.org/"
    doctor = ClinicianFactory(username="doc")
    nurse = ClinicianFactory(username="nurse", discipline="nurse")

    result = urgent_flag_notify(flag=flag, recipients=[doctor, nurse])
    urgent_flag_notify(flag=flag, recipients=[doctor, nurse])  # the rule engine runs again

    assert len(result.notifications) == 2
    assert set(Notification.objects.values_list("idempotency_key", flat=True)) == {
        f"flag:{flag.pk}:{doctor.pk}",
        f"flag:{flag.pk}:{nurse.pk}",
    }
    assert set(OutboundMessage.objects.values_list("idempotency_key", "to_address")) == {
        (f"urgentflag:{flag.pk}:{doctor.pk}", doctor.email),
        (f"urgentflag:{flag.pk}:{nurse.pk}", nurse.email),
    }
    message = OutboundMessage.objects.get(recipient_clinician=doctor)
    assert message.kind == MessageKind.URGENT_FLAG
    for text in (
        "Opioid dose 120 MME/day",
        f"Rule: {rule_label(flag.rule_code)}",  # the rule's name, never its code
        flag.patient.full_name,
        f"https://careteam.example.org/patients/{flag.patient.pk}/",
    ):
        assert text in message.body
    assert "mme_high" not in message.body
    notification = Notification.objects.get(recipient=doctor)
    assert notification.url == flag.patient.get_absolute_url()
    assert notification.read_at is None


def test_patient_quiet_hours_do_not_delay_clinician_email(clock, flag, mailoutbox):
    doctor = ClinicianFactory(username="doc")
    urgent_flag_notify(flag=flag, recipients=[doctor])
    message = OutboundMessage.objects.get()
    assert send_message(message.pk) == SendResult.SENT
    assert mailoutbox[0].to == [doctor.email]
    assert mailoutbox[0].extra_headers[MESSAGE_KEY_HEADER] == message.idempotency_key


def test_a_clinician_without_email_still_gets_the_in_app_notification(clock, flag):
    doctor = ClinicianFactory(username="doc", email="")
    urgent_flag_notify(flag=flag, recipients=[doctor])
    assert Notification.objects.filter(recipient=doctor).exists()
    assert not OutboundMessage.objects.exists()


def test_the_email_is_enqueued_when_the_transaction_commits(
    clock, flag, monkeypatch, django_capture_on_commit_callbacks
):
    from apps.messaging import tasks

    queued = []
    monkeypatch.setattr(
        tasks.send_message_task, "apply_async", lambda args, queue=None: queued.append(args[0])
    )
    with django_capture_on_commit_callbacks(execute=True):
        urgent_flag_notify(flag=flag, recipients=[ClinicianFactory(username="doc")])
    assert queued == [OutboundMessage.objects.get().pk]
