"""Adding a note (note_add)."""

import pytest
from django.urls import reverse

from apps.patients.models import ClinicalNote
from tests.factories import EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(team):
    p = PatientFactory(team=team)
    EpisodeFactory(patient=p)
    return p


def test_login_required(client, patient):
    assert (
        client.post(reverse("dashboard:note_new", args=[patient.pk]), {"body": "x"}).status_code
        == 302
    )
    assert not ClinicalNote.objects.exists()


def test_add_a_note(logged_in, patient, clinician_on_team):
    response = logged_in.post(
        reverse("dashboard:note_new", args=[patient.pk]), {"body": "Phoned: pain easing."}
    )
    assert response.status_code == 302 and response["Location"].endswith("#timeline")
    note = ClinicalNote.objects.get()
    assert (note.author, note.episode, note.body) == (
        clinician_on_team,
        patient.episodes.get(),
        "Phoned: pain easing.",
    )


def test_an_empty_note_is_refused_next_to_the_field(logged_in, patient):
    response = logged_in.post(reverse("dashboard:note_new", args=[patient.pk]), {"body": "   "})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="id_body_error"' in html
    assert "Write the note before saving it." in html
    assert not ClinicalNote.objects.exists()


def test_off_team_is_404(client, clinician_off_team, patient):
    client.force_login(clinician_off_team)
    assert (
        client.post(reverse("dashboard:note_new", args=[patient.pk]), {"body": "x"}).status_code
        == 404
    )
    assert not ClinicalNote.objects.exists()
