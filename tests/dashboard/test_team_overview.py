"""Team overview: patients by phase, improving vs stalled, open flags by rule, median time to
acknowledge urgent flags, overdue tasks per discipline."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.assessments.services import assessment_record
from apps.core.dates import clinic_today
from tests.factories import EpisodeFactory, FlagFactory, PatientFactory, TaskFactory

pytestmark = pytest.mark.django_db


def test_login_required(client, team):
    assert client.get(reverse("dashboard:team", args=[team.pk])).status_code == 302


def test_redirects_to_the_first_team(logged_in, team):
    assert logged_in.get(reverse("dashboard:team_overview"))["Location"] == reverse(
        "dashboard:team", args=[team.pk]
    )


def test_another_team_is_404(logged_in, other_team):
    assert logged_in.get(reverse("dashboard:team", args=[other_team.pk])).status_code == 404


def test_the_numbers(logged_in, team, clinician_on_team):
    today = clinic_today()
    now = timezone.now()
    improving = PatientFactory(team=team)
    EpisodeFactory(patient=improving, onset=today - dt.timedelta(days=10))
    for days, value in ((8, 8), (1, 4)):
        assessment_record(
            actor=clinician_on_team,
            patient=improving,
            instrument="nrs",
            answers={"value": value},
            taken_at=now - dt.timedelta(days=days),
        )
    stalled = PatientFactory(team=team)
    EpisodeFactory(patient=stalled, onset=today - dt.timedelta(days=50))
    FlagFactory(patient=stalled, rule_code="stalled_recovery")
    chronic = PatientFactory(team=team)
    EpisodeFactory(patient=chronic, onset=today - dt.timedelta(days=200))
    FlagFactory(
        patient=chronic,
        rule_code="red_flag",
        severity="urgent",
        raised_at=now - dt.timedelta(hours=6),
        acknowledged_at=now - dt.timedelta(hours=2),
        status="acknowledged",
    )
    other = PatientFactory(team=team)
    FlagFactory(
        patient=other,
        rule_code="self_harm_risk",
        severity="urgent",
        raised_at=now - dt.timedelta(hours=10),
        acknowledged_at=now - dt.timedelta(hours=8),
        status="acknowledged",
    )
    TaskFactory(
        patient=stalled, discipline="physical_therapist", due_on=today - dt.timedelta(days=3)
    )
    TaskFactory(
        patient=stalled, discipline="physical_therapist", due_on=today - dt.timedelta(days=1)
    )
    TaskFactory(patient=chronic, discipline="psychologist", due_on=today + dt.timedelta(days=1))

    html = logged_in.get(reverse("dashboard:team", args=[team.pk])).content.decode()

    assert "3 patients with an active episode" in html
    for label in ("Acute (&lt; 4 weeks)", "Subacute (4–12 weeks)", "Chronic (&gt; 12 weeks)"):
        assert label in html
    assert 'Improving</span></th><td class="num">1</td>' in html
    assert 'Stalled</span></th><td class="num">1</td>' in html
    assert ">3 h</p>" in html  # median of 4 h and 2 h
    assert '<th scope="row">Physical therapist</th><td class="num">2</td>' in html
    assert "Psychologist" not in html.split("Overdue tasks by discipline")[1].split("</section>")[0]
    assert "Red flag" in html and "Stalled recovery" in html


def test_team_overview_queries_do_not_grow(
    client, team, clinician_on_team, make, django_assert_max_num_queries
):
    for _ in range(5):
        make(team, clinician_on_team, measures=3, flags=2)
    client.force_login(clinician_on_team)
    client.get("/")
    with django_assert_max_num_queries(17):
        client.get(reverse("dashboard:team", args=[team.pk]))


def test_it_says_no_urgent_flag_was_acknowledged_rather_than_median_over_0(logged_in, team):
    html = logged_in.get(reverse("dashboard:team", args=[team.pk])).content.decode()

    assert "over 0" not in html
    assert "No urgent flags acknowledged in the last 90 days." in html
