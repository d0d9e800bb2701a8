"""/api/v1/flags/: monitoring findings; acknowledge, resolve (with a note), snooze."""

import datetime as dt

import pytest

from apps.core.dates import clinic_today
from apps.flags.models import Flag
from tests.factories import FlagFactory, PatientFactory, TaskFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/flags/"


def test_acknowledge_snooze_and_resolve(on_team, patient, clinician_on_team):
    flag = FlagFactory(patient=patient)
    task = TaskFactory(patient=patient, flag=flag, source="flag")

    acked = on_team.post(f"{URL}{flag.pk}/acknowledge/")
    assert (acked.status_code, acked.json()["status"], acked.json()["acknowledged_by"]) == (
        200,
        "acknowledged",
        clinician_on_team.pk,
    )

    until = (clinic_today() + dt.timedelta(days=7)).isoformat()
    snoozed = on_team.post(f"{URL}{flag.pk}/snooze/", {"snoozed_until": until}, format="json")
    assert (snoozed.json()["status"], snoozed.json()["snoozed_until"]) == ("snoozed", until)

    resolved = on_team.post(
        f"{URL}{flag.pk}/resolve/", {"note": "Reviewed with the patient."}, format="json"
    )
    assert (
        resolved.json()["status"] == "resolved"
        and resolved.json()["resolution_note"] == "Reviewed with the patient."
    )
    task.refresh_from_db()
    assert task.status == "completed"


def test_action_errors(on_team, patient, check_error):
    flag = FlagFactory(patient=patient)
    check_error(
        on_team.post(f"{URL}{flag.pk}/resolve/", {"note": "   "}, format="json"),
        400,
        fields=("note",),
    )
    check_error(on_team.post(f"{URL}{flag.pk}/resolve/", {}, format="json"), 400, fields=("note",))
    check_error(
        on_team.post(
            f"{URL}{flag.pk}/snooze/", {"snoozed_until": clinic_today().isoformat()}, format="json"
        ),
        400,
        fields=("snoozed_until",),
    )
    far = (clinic_today() + dt.timedelta(days=200)).isoformat()
    check_error(
        on_team.post(f"{URL}{flag.pk}/snooze/", {"snoozed_until": far}, format="json"),
        400,
        fields=("snoozed_until",),
    )
    check_error(
        on_team.post(f"{URL}{flag.pk}/snooze/", {"snoozed_until": 12}, format="json"),
        400,
        fields=("snoozed_until",),
    )
    on_team.post(f"{URL}{flag.pk}/resolve/", {"note": "done"}, format="json")
    check_error(on_team.post(f"{URL}{flag.pk}/acknowledge/"), 400, fields=("status",))


def test_list_filters_retrieve_and_scoping(on_team, off_team, patient, not_found_body):
    urgent = FlagFactory(patient=patient, severity="urgent", rule_code="self_harm_risk")
    FlagFactory(patient=patient, status="resolved", resolved_at=urgent.raised_at)
    assert [f["id"] for f in on_team.get(URL + "?severity=urgent").json()["results"]] == [urgent.pk]
    assert on_team.get(URL + "?open=true").json()["count"] == 1
    assert on_team.get(URL + "?rule_code=self_harm_risk").json()["count"] == 1
    assert on_team.get(f"{URL}{urgent.pk}/").json()["evidence"] == {}
    assert off_team.get(URL).json()["count"] == 0
    for response in (
        off_team.get(f"{URL}{urgent.pk}/"),
        off_team.post(f"{URL}{urgent.pk}/acknowledge/"),
        off_team.post(f"{URL}{urgent.pk}/resolve/", {"note": "x"}, format="json"),
        off_team.post(f"{URL}{urgent.pk}/snooze/", {"snoozed_until": "2030-01-01"}, format="json"),
        off_team.get(f"{URL}{urgent.pk + 99}/"),
    ):
        assert response.status_code == 404 and response.json() == not_found_body
    assert Flag.objects.get(pk=urgent.pk).status == "open"


def test_list_queries_do_not_grow_with_rows(on_team, team, pinned_list_queries):
    # 1: COUNT(*) of flags of visible patients; 2: the page;
    # 3: the audit read row (one INSERT per request naming the page's patients).
    pinned_list_queries(
        on_team,
        URL,
        lambda n: [FlagFactory(patient=PatientFactory(team=team)) for _ in range(n)],
        expected=3,
    )


def test_flags_are_not_created_or_deleted_by_hand(on_team, patient, check_error):
    flag = FlagFactory(patient=patient)
    check_error(on_team.post(URL, {"patient": patient.pk}, format="json"), 405)
    check_error(on_team.delete(f"{URL}{flag.pk}/"), 405)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("get", "1/"),
        ("post", "1/acknowledge/"),
        ("post", "1/resolve/"),
        ("post", "1/snooze/"),
    ],
)
def test_unauthenticated_requests_are_401(anon, method, path, check_error):
    check_error(getattr(anon, method)(URL + path), 401, "not_authenticated")


def test_a_safety_flag_cannot_be_snoozed_and_an_urgent_one_needs_a_reason(
    on_team, patient, check_error
):
    flag = FlagFactory(patient=patient, rule_code="self_harm_risk", severity="urgent")
    assert on_team.get(f"{URL}{flag.pk}/").json()["can_snooze"] is False

    until = (clinic_today() + dt.timedelta(days=7)).isoformat()
    check_error(
        on_team.post(f"{URL}{flag.pk}/snooze/", {"snoozed_until": until}, format="json"),
        400,
        fields=("snoozed_until",),
    )
    check_error(on_team.post(f"{URL}{flag.pk}/acknowledge/"), 400, fields=("note",))
    acked = on_team.post(
        f"{URL}{flag.pk}/acknowledge/", {"note": "Crisis line details given"}, format="json"
    )
    assert acked.json()["acknowledgement_note"] == "Crisis line details given"
    flag.refresh_from_db()
    assert flag.status == "acknowledged"
