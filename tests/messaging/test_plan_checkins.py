"""plan_checkins: one invitation per patient per due date, by phase interval, with a link."""

import datetime as dt
from urllib.parse import urlparse

import pytest
from django.urls import resolve
from django.utils import timezone

from apps.messaging.models import CheckIn, MessageKind, OutboundMessage
from apps.messaging.selectors import checkin_from_token
from apps.messaging.services import plan_checkins
from tests.factories import AssessmentFactory, EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db

D = dt.timedelta(days=1)


def episode(*, onset_days_ago, patient=None, **patient_fields):
    patient = patient or PatientFactory(**patient_fields)
    return EpisodeFactory(patient=patient, onset=timezone.localdate() - onset_days_ago * D)


def measured(ep, *, days_ago, instrument="nrs"):
    answers = {"nrs": {"value": 5}, "phq9": {"items": [0] * 9}}[instrument]
    return AssessmentFactory(
        episode=ep, instrument=instrument, answers=answers, taken_at=timezone.now() - days_ago * D
    )


def test_an_acute_patient_is_invited_a_day_before_the_7_day_measure_falls_due(clock):
    ep = episode(onset_days_ago=10)
    measured(ep, days_ago=6)

    assert plan_checkins() == 1
    assert plan_checkins() == 0  # one per patient per due date

    message = OutboundMessage.objects.get()
    due = timezone.localdate() + D  # measured 6 days ago, due after 7
    assert message.idempotency_key == f"checkin:{ep.patient_id}:{due.isoformat()}"
    assert message.kind == MessageKind.CHECKIN
    assert message.to_address == ep.patient.email
    assert message.checkin.patient == ep.patient
    assert message.checkin.episode == ep
    assert CheckIn.objects.count() == 1


def test_an_acute_patient_measured_5_days_ago_is_not_invited_yet(clock):
    measured(episode(onset_days_ago=10), days_ago=5)
    assert plan_checkins() == 0


def test_subacute_and_chronic_patients_are_invited_on_the_14_day_interval(clock):
    not_yet = episode(onset_days_ago=60)
    measured(not_yet, days_ago=12)
    due = episode(onset_days_ago=200)
    measured(due, days_ago=13)

    assert plan_checkins() == 1
    assert OutboundMessage.objects.get().patient == due.patient


def test_a_patient_never_measured_is_invited_once_the_episode_is_old_enough(clock):
    episode(onset_days_ago=5)
    assert plan_checkins() == 0
    ready = episode(onset_days_ago=6)
    assert plan_checkins() == 1
    due = ready.onset + 7 * D
    assert OutboundMessage.objects.get().idempotency_key == f"checkin:{ready.patient_id}:{due}"


def test_only_outcome_measures_count(clock):
    ep = episode(onset_days_ago=30)
    measured(ep, days_ago=1, instrument="phq9")  # not NRS/PEG/ODI
    assert plan_checkins() == 1


def test_a_patient_who_does_not_answer_gets_a_new_invitation_one_interval_later(clock):
    ep = episode(onset_days_ago=10)
    measured(ep, days_ago=6)
    plan_checkins()
    clock.shift(3 * D)
    assert plan_checkins() == 0  # same due date
    clock.shift(4 * D)
    assert plan_checkins() == 1
    first_due = timezone.localdate() - 6 * D
    assert set(OutboundMessage.objects.values_list("idempotency_key", flat=True)) == {
        f"checkin:{ep.patient_id}:{first_due}",
        f"checkin:{ep.patient_id}:{first_due + 7 * D}",
    }


def test_no_invitation_without_a_channel_or_an_active_episode(clock):
    episode(onset_days_ago=30, preferred_channel="none")
    episode(onset_days_ago=30, preferred_channel="sms", phone="")
    closed = episode(onset_days_ago=30)
    closed.status, closed.closed_on = "closed", timezone.localdate()
    closed.save()
    assert plan_checkins() == 0
    assert not CheckIn.objects.exists()


def test_invitations_respect_quiet_hours(clock):
    clock.move_to(dt.datetime(2026, 5, 12, 2, 0, tzinfo=dt.UTC))  # 22:00 in New York
    episode(onset_days_ago=30, quiet_hours_start=dt.time(21), quiet_hours_end=dt.time(8))
    plan_checkins()
    assert OutboundMessage.objects.get().send_after == dt.datetime(
        2026, 5, 12, 12, 0, tzinfo=dt.UTC
    )


def test_the_message_links_to_the_patients_own_check_in_page(clock, settings):
    settings.SITE_URL = "https://careteam.example.org"
    ep = episode(onset_days_ago=30)
    plan_checkins()
    message = OutboundMessage.objects.get()
    url = next(w for w in message.body.split() if w.startswith("https://"))
    assert url.startswith("https://careteam.example.org/checkin/")
    match = resolve(urlparse(url).path)
    assert match.view_name == "messaging:checkin"
    assert checkin_from_token(match.kwargs["token"]) == message.checkin
    assert message.checkin.expires_at == timezone.now() + 7 * D  # checkin_link_days
    assert ep.patient.first_name in message.body
    assert ep.patient.last_name not in message.body
