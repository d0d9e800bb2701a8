"""/api/v1/assessments/: answers in, scores out (apps.clinical.scoring via assessment_record)."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.assessments.models import Assessment
from tests.factories import AssessmentFactory, EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/assessments/"


@pytest.mark.parametrize(
    ("instrument", "answers", "score", "subscore", "band", "self_harm"),
    [
        ("nrs", {"value": 6}, 6, None, "", ""),
        ("peg", {"pain": 5, "enjoyment": 4, "activity": 4}, 4.3333, None, "", ""),
        ("odi", {"sections": [2, 1, 3, 2, 2, 1, 1, None, 2, 2]}, 35.5556, None, "moderate", ""),
        (
            "start_back",
            {
                "agree": [False, False, False, False, True, True, True, False],
                "bothersomeness": "very_much",
            },
            4,
            4,
            "high",
            "",
        ),
        ("phq9", {"items": [3, 3, 2, 2, 2, 1, 1, 0, 1]}, 15, None, "moderately-severe", "yes"),
        ("phq9", {"items": [2, 2, 2, 2, 1, 1, 1, 1, None]}, 13.5, None, "moderate", "unknown"),
        ("gad7", {"items": [2, 2, 2, 1, 1, 1, 0]}, 9, None, "mild", ""),
        ("sleep", {"value": 3}, 3, None, "", ""),
        ("work_status", {"status": "off_work"}, None, None, "off_work", ""),
    ],
)
def test_record_answers_and_read_the_computed_scores(
    on_team, episode, instrument, answers, score, subscore, band, self_harm
):
    response = on_team.post(
        URL,
        {"patient": episode.patient_id, "instrument": instrument, "answers": answers},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["score"], body["subscore"], body["band"], body["self_harm"]) == (
        score,
        subscore,
        band,
        self_harm,
    )
    assert body["episode"] == episode.pk


def test_scores_cannot_be_typed_in(on_team, episode):
    response = on_team.post(
        URL,
        {
            "patient": episode.patient_id,
            "instrument": "nrs",
            "answers": {"value": 2},
            "score": 9,
            "band": "severe",
        },
        format="json",
    )
    assert response.json()["score"] == 2
    assert Assessment.objects.get().score == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"instrument": "nrs", "answers": {"value": 11}}, "answers"),
        ({"instrument": "nrs", "answers": {"value": "6"}}, "answers"),
        ({"instrument": "nrs", "answers": [6]}, "answers"),
        ({"instrument": "odi", "answers": {"sections": [1, 2]}}, "answers"),
        ({"instrument": "peg", "answers": {"pain": 1}}, "answers"),
        ({"instrument": "gad7", "answers": {"items": [1, 1, 1, 1, 1, 1, None]}}, "answers"),
        # Incomplete instruments (CLINICAL.md): a blank PHQ-9, three PHQ-9 items missing,
        # an ODI with 7 of 10 sections.
        ({"instrument": "phq9", "answers": {"items": [None] * 9}}, "answers"),
        (
            {"instrument": "phq9", "answers": {"items": [1, None, None, None, 1, 1, 1, 1, 1]}},
            "answers",
        ),
        ({"instrument": "odi", "answers": {"sections": [1] * 7 + [None] * 3}}, "answers"),
        (
            {"instrument": "start_back", "answers": {"agree": [1] * 8, "bothersomeness": "lots"}},
            "answers",
        ),
        ({"instrument": "mood", "answers": {"value": 1}}, "instrument"),
        ({"instrument": "nrs", "answers": {"value": 1}, "taken_at": "yesterday"}, "taken_at"),
        (
            {"instrument": "nrs", "answers": {"value": 1}, "taken_at": "0001-01-01T00:00:00Z"},
            "taken_at",
        ),
        ({"instrument": "nrs", "answers": {"value": 1}, "reported_by": "robot"}, "reported_by"),
    ],
)
def test_bad_answers_are_400_under_their_field(on_team, episode, payload, field, check_error):
    check_error(
        on_team.post(URL, {"patient": episode.patient_id, **payload}, format="json"),
        400,
        "invalid",
        fields=(field,),
    )
    assert not Assessment.objects.exists()


def test_future_and_foreign_episode_errors(on_team, episode, team, other_team, check_error):
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    check_error(
        on_team.post(
            URL,
            {
                "patient": episode.patient_id,
                "instrument": "nrs",
                "answers": {"value": 1},
                "taken_at": future,
            },
            format="json",
        ),
        400,
        fields=("taken_at",),
    )
    another = EpisodeFactory(patient=PatientFactory(team=team))
    check_error(
        on_team.post(
            URL,
            {
                "patient": episode.patient_id,
                "episode": another.pk,
                "instrument": "nrs",
                "answers": {"value": 1},
            },
            format="json",
        ),
        400,
        fields=("episode",),
    )
    stranger = PatientFactory(team=other_team)
    check_error(
        on_team.post(
            URL,
            {"patient": stranger.pk, "instrument": "nrs", "answers": {"value": 1}},
            format="json",
        ),
        400,
        fields=("patient",),
    )


def test_list_retrieve_and_scoping(on_team, off_team, episode, not_found_body):
    measure = AssessmentFactory(episode=episode)
    assert [a["id"] for a in on_team.get(URL + "?instrument=nrs").json()["results"]] == [measure.pk]
    assert on_team.get(URL + "?instrument=odi").json()["count"] == 0
    assert (
        on_team.get(URL + f"?taken_after={timezone.localdate().isoformat()}").json()["count"] == 1
    )
    assert on_team.get(f"{URL}{measure.pk}/").json()["answers"] == {"value": 5}
    assert off_team.get(URL).json()["count"] == 0
    forbidden, missing = (
        off_team.get(f"{URL}{measure.pk}/"),
        off_team.get(f"{URL}{measure.pk + 9}/"),
    )
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json() == not_found_body


def test_list_queries_do_not_grow_with_rows(on_team, episode, pinned_list_queries):
    # 1: COUNT(*) of assessments of visible patients; 2: the page;
    # 3: the audit read row (one INSERT per request naming the page's patients).
    pinned_list_queries(
        on_team, URL, lambda n: AssessmentFactory.create_batch(n, episode=episode), expected=3
    )


def test_never_edited_or_deleted(on_team, episode, check_error):
    measure = AssessmentFactory(episode=episode)
    check_error(on_team.patch(f"{URL}{measure.pk}/", {"answers": {"value": 1}}, format="json"), 405)
    check_error(on_team.delete(f"{URL}{measure.pk}/"), 405)


@pytest.mark.parametrize(("method", "path"), [("get", ""), ("post", ""), ("get", "1/")])
def test_unauthenticated_requests_are_401(anon, method, path, check_error):
    check_error(getattr(anon, method)(URL + path), 401, "not_authenticated")
