"""The caseload (home page): one row per visible patient, filters in the URL, sorting, paging,
urgent first then most overdue — and a fixed number of queries however big the caseload."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.assessments.services import assessment_record
from apps.core.dates import clinic_today
from apps.patients.models import CareTeamMember
from tests.factories import (
    EpisodeFactory,
    FlagFactory,
    PatientFactory,
    TaskFactory,
    TeamFactory,
    TeamMembershipFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:caseload")


def _names(response) -> list[str]:
    return re.findall(r'class="patient-link" href="[^"]+">([^<]+)</a>', response.content.decode())


def test_login_required(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_shows_the_users_patients_and_not_other_teams(
    logged_in, team, clinician_on_team, make, off_team_patient
):
    mine = make(team, clinician_on_team, measures=3, flags=1, last_name="Ashworth")

    response = logged_in.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ashworth" in html and mine.mrn in html
    assert off_team_patient.mrn not in html
    # One row: age, phase and day, latest scores with sparklines (SVG with a title), flags.
    assert f"day {(clinic_today() - mine.episodes.get().onset).days}" in html
    assert 'class="spark"' in html and "Pain NRS trend, oldest to latest: 7, 6, 7" in html
    assert "Stalled recovery" in html and "sev-warning" in html
    assert "overdue by 4 days" in html  # the open task due 4 days ago
    assert "<caption" in html and 'scope="col"' in html


def test_the_sparkline_shows_the_episode_baseline_and_the_direction_of_change(
    logged_in, team, clinician_on_team
):
    """Ten pain scores, 8 at the episode's start falling to 4: the sparkline keeps the last
    eight points but its dashed baseline is the first score (8), and it says "improved"."""
    patient = PatientFactory(team=team, last_name="Improving")
    EpisodeFactory(patient=patient, onset=clinic_today() - dt.timedelta(days=40))
    start = timezone.now() - dt.timedelta(days=30)
    for i, pain in enumerate([8, 8, 7, 7, 6, 6, 5, 5, 4, 4]):
        assessment_record(
            actor=clinician_on_team,
            patient=patient,
            instrument="nrs",
            answers={"value": pain},
            taken_at=start + dt.timedelta(days=3 * i),
        )
    stalled = PatientFactory(team=team, last_name="Stalled")
    EpisodeFactory(patient=stalled, onset=clinic_today() - dt.timedelta(days=40))
    for i, pain in enumerate([6, 6, 5]):
        assessment_record(
            actor=clinician_on_team,
            patient=stalled,
            instrument="nrs",
            answers={"value": pain},
            taken_at=start + dt.timedelta(days=7 * i),
        )

    html = logged_in.get(URL).content.decode()

    assert (
        "Pain NRS trend, oldest to latest: 7, 7, 6, 6, 5, 5, 4, 4; baseline 8; "
        "improved meaningfully since baseline" in html
    )
    assert "Pain NRS trend, oldest to latest: 6, 6, 5; baseline 6; no meaningful change" in html
    assert html.count('class="spark-base"') == 2
    assert 'class="spark-arrow spark-better"' in html and 'class="spark-arrow spark-same"' in html


def test_severity_is_shown_by_text_and_icon(logged_in, team, clinician_on_team):
    patient = PatientFactory(team=team)
    EpisodeFactory(patient=patient)
    FlagFactory(
        patient=patient,
        rule_code="red_flag",
        severity="urgent",
        summary="Red flag: saddle anaesthesia",
    )

    html = logged_in.get(URL).content.decode()

    badge = re.search(r'<span class="badge sev sev-urgent">(.*?)</span></span>', html, re.S).group(
        1
    )
    assert 'class="sev-icon"' in badge and 'aria-hidden="true"' in badge
    assert "<span>Urgent" in badge


def test_urgent_first_then_most_overdue(logged_in, team):
    calm = PatientFactory(team=team, last_name="Calm")
    EpisodeFactory(patient=calm)
    late = PatientFactory(team=team, last_name="Late")
    EpisodeFactory(patient=late)
    TaskFactory(patient=late, due_on=clinic_today() - dt.timedelta(days=9))
    later = PatientFactory(team=team, last_name="Later")
    EpisodeFactory(patient=later)
    TaskFactory(patient=later, due_on=clinic_today() - dt.timedelta(days=2))
    urgent = PatientFactory(team=team, last_name="Urgent")
    EpisodeFactory(patient=urgent)
    FlagFactory(patient=urgent, severity="urgent", rule_code="red_flag")

    names = _names(logged_in.get(URL))

    assert [n.split(",")[0] for n in names] == ["Urgent", "Late", "Later", "Calm"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("phase=acute", {"Acute"}),
        ("phase=chronic", {"Chronic"}),
        ("phase=none", {"Noepisode"}),
        ("rule=red_flag", {"Chronic"}),
        ("severity=urgent", {"Chronic"}),
        ("severity=warning", {"Acute"}),
        ("risk=high", {"Acute"}),
        ("role=any", {"Acute"}),
        ("role=physician", {"Acute"}),
        ("role=psychologist", set()),
        ("q=chron", {"Chronic"}),
        ("q=MRN-ACUTE", {"Acute"}),
        ("q=zzz", set()),
        ("phase=nonsense", {"Acute", "Chronic", "Noepisode"}),  # an invalid filter is ignored
    ],
)
def test_filters_live_in_the_url(logged_in, team, clinician_on_team, query, expected):
    acute = PatientFactory(team=team, last_name="Acute", mrn="MRN-ACUTE")
    episode = EpisodeFactory(patient=acute, onset=clinic_today() - dt.timedelta(days=5))
    CareTeamMember.objects.create(episode=episode, clinician=clinician_on_team, role="physician")
    assessment_record(
        actor=clinician_on_team,
        patient=acute,
        instrument="start_back",
        answers={
            "agree": [False, False, False, False, True, True, True, True],
            "bothersomeness": "extremely",
        },
    )
    FlagFactory(patient=acute, severity="warning", rule_code="acute_no_improvement")
    chronic = PatientFactory(team=team, last_name="Chronic")
    EpisodeFactory(patient=chronic, onset=clinic_today() - dt.timedelta(days=200))
    FlagFactory(patient=chronic, severity="urgent", rule_code="red_flag")
    PatientFactory(team=team, last_name="Noepisode")

    response = logged_in.get(f"{URL}?{query}")

    assert response.status_code == 200
    assert {n.split(",")[0] for n in _names(response)} == expected


def test_team_filter_only_offers_and_accepts_the_users_teams(
    client, clinician_on_team, team, other_team
):
    second = TeamFactory(name="Second team")
    TeamMembershipFactory(team=second, clinician=clinician_on_team)
    PatientFactory(team=team, last_name="North")
    PatientFactory(team=second, last_name="Second")
    PatientFactory(team=other_team, last_name="South")
    client.force_login(clinician_on_team)

    html = client.get(URL).content.decode()
    assert "South spine team" not in html  # not offered as a filter
    assert {n.split(",")[0] for n in _names(client.get(f"{URL}?team={second.pk}"))} == {"Second"}
    # Another team's id is not a valid choice: ignored, not a way in.
    assert {n.split(",")[0] for n in _names(client.get(f"{URL}?team={other_team.pk}"))} == {
        "North",
        "Second",
    }


def test_sort_by_any_column_and_reverse(logged_in, team, clinician_on_team):
    for name, pain in (("Bravo", 3), ("Alpha", 8), ("Charlie", 5)):
        p = PatientFactory(team=team, last_name=name)
        EpisodeFactory(patient=p)
        assessment_record(
            actor=clinician_on_team, patient=p, instrument="nrs", answers={"value": pain}
        )
    PatientFactory(team=team, last_name="Delta")  # no score: always last

    assert [n.split(",")[0] for n in _names(logged_in.get(f"{URL}?sort=pain"))] == [
        "Bravo",
        "Charlie",
        "Alpha",
        "Delta",
    ]
    assert [n.split(",")[0] for n in _names(logged_in.get(f"{URL}?sort=-pain"))] == [
        "Alpha",
        "Charlie",
        "Bravo",
        "Delta",
    ]
    assert [n.split(",")[0] for n in _names(logged_in.get(f"{URL}?sort=name"))] == [
        "Alpha",
        "Bravo",
        "Charlie",
        "Delta",
    ]
    html = logged_in.get(f"{URL}?sort=pain&phase=acute").content.decode()
    # The header link reverses the order and keeps the filters; aria-sort says the state.
    assert 'aria-sort="ascending"' in html
    assert "?phase=acute&amp;sort=-pain" in html


def test_pagination_keeps_the_filters(logged_in, team):
    for i in range(30):
        PatientFactory(team=team, last_name=f"Patient{i:02d}")

    first = logged_in.get(f"{URL}?sort=name")
    second = logged_in.get(f"{URL}?sort=name&page=2")

    assert len(_names(first)) == 25 and len(_names(second)) == 5
    assert "sort=name&amp;page=2" in first.content.decode()
    assert _names(second)[0].startswith("Patient25")
    assert logged_in.get(f"{URL}?page=999").status_code == 200  # out of range: last page


def test_no_get_side_effects_and_no_post(logged_in):
    assert logged_in.post(URL).status_code == 405


@pytest.mark.parametrize("n", [2, 6])
def test_query_count_does_not_grow_with_patients_measures_or_flags(
    client, team, clinician_on_team, make, django_assert_num_queries, n
):
    """Render the caseload with N patients each with N NRS, PEG and ODI and N/2 open flags (plus
    appointments, a task and a note), then with 3N of each: the same 13 queries."""
    for _ in range(n):
        make(team, clinician_on_team, measures=n, flags=n // 2)
    client.force_login(clinician_on_team)
    client.get(URL)  # the first request of a session writes its idle-timeout timestamp
    # 1 session; 2 user; 3 the user's two-factor devices (OTP middleware);
    # 4 the user's teams (team filter choices);
    # 5 clinical thresholds (the outcome-measure interval behind "overdue");
    # 6 the patients, every column an annotation (latest NRS/ODI/PEG, STarT Back risk,
    #   last measure, flag counts by severity, next appointment, overdue tasks, last contact);
    # 7 the page's last outcome measures for the sparklines (window function, 8 per series);
    # 8 the page's open flags (badges);
    # 9 the page's care-plan goals with their latest measures (goal status);
    # 10 unread notifications (header count, context processor);
    # 11-13 savepoint, session update (idle-timeout timestamp), release savepoint;
    # 14 the audit read row (one INSERT per request naming the page's patients).
    with django_assert_num_queries(14):
        response = client.get(URL)
    assert len(_names(response)) == n
    assert response.content.decode().count('class="spark"') == 3 * n
