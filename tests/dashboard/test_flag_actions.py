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
