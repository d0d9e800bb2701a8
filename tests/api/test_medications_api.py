"""/api/v1/medications/: orders, changes, reviews and stops; daily MME computed for opioids."""

import datetime as dt

import pytest

from apps.core.dates import clinic_today
from apps.medications.models import MedicationOrder
from tests.factories import (
    EpisodeFactory,
    MedicationOrderFactory,
    PatientFactory,
    TeamMembershipFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/medications/"


def opioid(episode, **extra):
    return {
        "episode": episode.pk,
        "drug": "oxycodone",
        "drug_class": "opioid_short",
        "opioid": "oxycodone",
        "dose": "10",
        "frequency": "every 6 hours",
        "daily_dose": "40",
        **extra,
    }


def test_order_an_opioid_computes_its_daily_mme(on_team, episode, clinician_on_team):
    response = on_team.post(URL, opioid(episode), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["daily_mme"], body["is_opioid"], body["prescriber"]) == (
        60,
        True,
        clinician_on_team.pk,
    )


def test_order_errors(on_team, episode, other_team, check_error):
    check_error(
        on_team.post(URL, opioid(episode, opioid=""), format="json"), 400, fields=("opioid",)
    )
    check_error(
        on_team.post(URL, opioid(episode, opioid="heroin"), format="json"), 400, fields=("opioid",)
    )
    check_error(on_team.post(URL, opioid(episode, dose="0"), format="json"), 400, fields=("dose",))
    check_error(
        on_team.post(URL, opioid(episode, daily_dose="1e7"), format="json"),
        400,
        fields=("daily_dose",),
    )
    check_error(
        on_team.post(
            URL, opioid(episode, daily_dose="9999999.99", opioid="hydromorphone"), format="json"
        ),
        400,
        fields=("daily_dose",),
    )
    start = clinic_today().isoformat()
    before = (clinic_today() - dt.timedelta(days=1)).isoformat()
    check_error(
        on_team.post(URL, opioid(episode, start_date=start, stop_date=before), format="json"),
        400,
        fields=("stop_date",),
    )
    other = EpisodeFactory(patient=PatientFactory(team=other_team))
    check_error(on_team.post(URL, opioid(other), format="json"), 400, fields=("episode",))


def test_a_multi_team_clinician_cannot_name_another_teams_clinician_as_prescriber(
    on_team, clinician_on_team, episode, other_team, clinician_off_team, check_error
):
    TeamMembershipFactory(team=other_team, clinician=clinician_on_team)  # on both teams

    created = on_team.post(URL, opioid(episode, prescriber=clinician_off_team.pk), format="json")
    order = MedicationOrderFactory(episode=episode, prescriber=clinician_on_team)
    changed = on_team.patch(
        f"{URL}{order.pk}/", {"prescriber": clinician_off_team.pk}, format="json"
    )

    check_error(created, 400, fields=("prescriber",))
    check_error(changed, 400, fields=("prescriber",))
    assert list(MedicationOrder.objects.values_list("prescriber", flat=True)) == [
        clinician_on_team.pk
    ]


def test_a_higher_dose_restarts_the_review_clock(on_team, episode):
    order = on_team.post(
        URL,
        opioid(episode, start_date=(clinic_today() - dt.timedelta(days=10)).isoformat()),
        format="json",
    ).json()

    response = on_team.patch(f"{URL}{order['id']}/", {"daily_dose": "60"}, format="json")

    assert response.status_code == 200
    assert (response.json()["daily_mme"], response.json()["dose_changed_on"]) == (
        90,
        clinic_today().isoformat(),
    )


def test_review_and_stop(on_team, episode, check_error):
    order = MedicationOrderFactory(
        episode=episode, start_date=clinic_today() - dt.timedelta(days=5)
    )
    early = (order.start_date - dt.timedelta(days=1)).isoformat()
    # The service's error on last_reviewed_on comes back under the request's field name.
    check_error(
        on_team.post(f"{URL}{order.pk}/review/", {"reviewed_on": early}, format="json"),
        400,
        fields=("reviewed_on",),
    )

    reviewed = on_team.post(f"{URL}{order.pk}/review/", {"naloxone_offered": True}, format="json")
    assert reviewed.status_code == 200
    assert (
        reviewed.json()["last_reviewed_on"]
        == reviewed.json()["naloxone_offered_on"]
        == clinic_today().isoformat()
    )

    check_error(
        on_team.post(f"{URL}{order.pk}/stop/", {"stop_date": early}, format="json"),
        400,
        fields=("stop_date",),
    )
    stopped = on_team.post(f"{URL}{order.pk}/stop/", {}, format="json")
    assert stopped.json()["stop_date"] == clinic_today().isoformat()


def test_list_retrieve_and_scoping(on_team, off_team, episode, not_found_body):
    order = MedicationOrderFactory(episode=episode)
    assert [m["id"] for m in on_team.get(URL + "?active=true&opioid=false").json()["results"]] == [
        order.pk
    ]
    assert on_team.get(URL + "?opioid=true").json()["count"] == 0
    assert on_team.get(f"{URL}{order.pk}/").json()["drug"] == "celecoxib"
    assert off_team.get(URL).json()["count"] == 0
    for response in (
        off_team.get(f"{URL}{order.pk}/"),
        off_team.patch(f"{URL}{order.pk}/", {"dose": "1"}, format="json"),
        off_team.post(f"{URL}{order.pk}/review/", {}, format="json"),
        off_team.post(f"{URL}{order.pk}/stop/", {}, format="json"),
        off_team.get(f"{URL}{order.pk + 99}/"),
    ):
        assert response.status_code == 404 and response.json() == not_found_body


def test_list_queries_do_not_grow_with_rows(on_team, episode, pinned_list_queries):
    # 1: COUNT(*) of orders of visible patients' episodes; 2: the page (episode joined);
    # 3: the audit read row (one INSERT per request naming the page's patients).
    pinned_list_queries(
        on_team, URL, lambda n: MedicationOrderFactory.create_batch(n, episode=episode), expected=3
    )


def test_no_delete(on_team, episode, check_error):
    check_error(on_team.delete(f"{URL}{MedicationOrderFactory(episode=episode).pk}/"), 405)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("post", ""),
        ("get", "1/"),
        ("patch", "1/"),
        ("post", "1/review/"),
        ("post", "1/stop/"),
    ],
)
def test_unauthenticated_requests_are_401(anon, method, path, check_error):
    check_error(getattr(anon, method)(URL + path), 401, "not_authenticated")
