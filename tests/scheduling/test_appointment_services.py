"""Booking appointments (apps.scheduling.services): the clinician is one of the patient's team."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.scheduling.models import Appointment
from apps.scheduling.services import appointment_book
from tests.factories import EpisodeFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_a_clinician_of_another_team_even_for_a_multi_team_actor(
    clinician_on_team, clinician_off_team, other_team, patient
):
    TeamMembershipFactory(team=other_team, clinician=clinician_on_team)  # on both teams

    with pytest.raises(ValidationError) as caught:
        appointment_book(
            actor=clinician_on_team,
            patient=patient,
            episode=EpisodeFactory(patient=patient),
            clinician=clinician_off_team,
            discipline=clinician_off_team.discipline,
            kind="physician_visit",
            starts_at=timezone.now() + dt.timedelta(days=2),
        )

    assert list(caught.value.message_dict) == ["clinician"]
    assert not Appointment.objects.exists()
