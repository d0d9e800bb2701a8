"""Acting on a flag from the patient page: acknowledge, resolve with a note, snooze until a date
(flag_acknowledge / flag_resolve / flag_snooze). POST only; another team's flag is a 404."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.core.dates import clinic_today
from tests.factories import EpisodeFactory, FlagFactory, PatientFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def flag(team):
    patient = PatientFactory(team=team)
    episode = EpisodeFactory(patient=patient)
    return FlagFactory(
        patient=patient,
        episode=episode,
        rule_code="stalled_recovery",
        evidence={"reason": "No change"},
    )


def test_login_required(client, flag):
    response = client.post(reverse("dashboard:flag_acknowledge", args=[flag.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    flag.refresh_from_db()
    assert flag.status == "open"


def test_acknowledge(logged_in, flag, clinician_on_team):
    response = logged_in.post(reverse("dashboard:flag_acknowledge", args=[flag.pk]))
    assert response["Location"].endswith(f"#flag-{flag.pk}")
    flag.refresh_from_db()
    assert (flag.status, flag.acknowledged_by) == ("acknowledged", clinician_on_team)
    page = logged_in.get(response["Location"]).content.decode()
    assert "Flag “Stalled recovery” acknowledged." in page
    assert "Acknowledged by" in page


def test_acknowledge_is_post_only(logged_in, flag):
    assert logged_in.get(reverse("dashboard:flag_acknowledge", args=[flag.pk])).status_code == 405
    flag.refresh_from_db()
    assert flag.status == "open"


def test_resolve_with_a_note_completes_its_task(logged_in, flag, clinician_on_team):
    task = TaskFactory(patient=flag.patient, flag=flag)
    response = logged_in.post(
        reverse("dashboard:flag_resolve", args=[flag.pk]), {"note": "Plan changed at review."}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    task.refresh_from_db()
    assert (flag.status, flag.resolution_note, flag.resolved_by) == (
        "resolved",
        "Plan changed at review.",
        clinician_on_team,
    )
    assert task.status == "completed"


def test_resolve_without_a_note_shows_the_error_next_to_the_field(logged_in, flag):
    response = logged_in.post(reverse("dashboard:flag_resolve", args=[flag.pk]), {"note": "  "})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_note_error"' in html and "Say how the flag was resolved." in html
    flag.refresh_from_db()
    assert flag.status == "open"


def test_resolving_twice_is_a_message_not_a_500(logged_in, flag):
    url = reverse("dashboard:flag_resolve", args=[flag.pk])
    logged_in.post(url, {"note": "Done"})
    response = logged_in.post(url, {"note": "Again"})
    assert response.status_code == 200 and "already resolved" in response.content.decode()


def test_snooze_and_its_limits(logged_in, flag):
    url = reverse("dashboard:flag_snooze", args=[flag.pk])
    too_far = (clinic_today() + dt.timedelta(days=120)).isoformat()
    response = logged_in.post(url, {"snoozed_until": too_far})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="id_snoozed_until_error"' in html
    assert "at most 90 days" in html and f'value="{too_far}"' in html
    flag.refresh_from_db()
    assert flag.status == "open"

    until = clinic_today() + dt.timedelta(days=14)
    assert logged_in.post(url, {"snoozed_until": until.isoformat()}).status_code == 302
    flag.refresh_from_db()
    assert (flag.status, flag.snoozed_until) == ("snoozed", until)


def test_another_teams_flag_is_404(client, clinician_off_team, flag):
    client.force_login(clinician_off_team)
    assert client.post(reverse("dashboard:flag_acknowledge", args=[flag.pk])).status_code == 404
    assert (
        client.post(reverse("dashboard:flag_resolve", args=[flag.pk]), {"note": "x"}).status_code
        == 404
    )
    assert client.get(reverse("dashboard:flag_snooze", args=[flag.pk])).status_code == 404
    flag.refresh_from_db()
    assert flag.status == "open"


@pytest.fixture
def self_harm_flag(team):
    patient = PatientFactory(team=team)
    episode = EpisodeFactory(patient=patient)
    return FlagFactory(
        patient=patient,
        episode=episode,
        rule_code="self_harm_risk",
        severity="urgent",
        evidence={"reason": "PHQ-9 item 9 answered 2"},
    )


def test_the_page_offers_no_snooze_for_a_safety_flag_and_asks_a_reason_to_acknowledge(
    logged_in, self_harm_flag, flag
):
    html = logged_in.get(self_harm_flag.patient.get_absolute_url()).content.decode()

    section = html[html.index(f'id="flag-{self_harm_flag.pk}"') :]
    section = section[: section.index("</article>")]
    assert reverse("dashboard:flag_snooze", args=[self_harm_flag.pk]) not in section
    assert "Safety flag: it cannot be snoozed." in section
    assert f'id="ack-note-{self_harm_flag.pk}"' in section and "required" in section


def test_a_snooze_post_for_a_safety_flag_is_refused_with_a_message(logged_in, self_harm_flag):
    """The defect: the urgent self-harm flag could be snoozed with one click."""
    until = (clinic_today() + dt.timedelta(days=7)).isoformat()
    response = logged_in.post(
        reverse("dashboard:flag_snooze", args=[self_harm_flag.pk]), {"snoozed_until": until}
    )

    self_harm_flag.refresh_from_db()
    assert self_harm_flag.status == "open" and self_harm_flag.snoozed_until is None
    page = logged_in.get(response["Location"]).content.decode()
    assert "is a safety flag and cannot be snoozed" in page


def test_acknowledging_an_urgent_flag_without_a_reason_is_refused(logged_in, self_harm_flag):
    response = logged_in.post(reverse("dashboard:flag_acknowledge", args=[self_harm_flag.pk]))

    self_harm_flag.refresh_from_db()
    assert self_harm_flag.status == "open"
    assert "Say why you are acknowledging" in logged_in.get(response["Location"]).content.decode()

    logged_in.post(
        reverse("dashboard:flag_acknowledge", args=[self_harm_flag.pk]),
        {"note": "Called the patient; safety plan reviewed with the psychologist"},
    )
    self_harm_flag.refresh_from_db()
    assert self_harm_flag.status == "acknowledged"
    assert self_harm_flag.acknowledgement_note.startswith("Called the patient")
