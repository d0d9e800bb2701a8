"""/api/v1/notifications/: my in-app notifications; mark read."""

import itertools

import pytest

from apps.messaging.models import Notification
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/"
_keys = itertools.count()


def notify(user, patient=None, **extra):
    return Notification.objects.create(
        recipient=user,
        patient=patient,
        kind="urgent_flag",
        title="Urgent flag",
        idempotency_key=f"k{next(_keys)}",
        **extra,
    )


def test_only_my_notifications_about_patients_i_can_see(
    on_team, clinician_on_team, clinician_off_team, patient, other_team
):
    mine = notify(clinician_on_team, patient)
    notify(clinician_off_team, patient)
    notify(clinician_on_team, PatientFactory(team=other_team))  # a patient I can no longer see

    body = on_team.get(URL).json()

    assert [n["id"] for n in body["results"]] == [mine.pk]
    assert body["results"][0]["is_read"] is False


def test_mark_one_and_all_read(on_team, clinician_on_team, patient):
    first, *_ = [notify(clinician_on_team, patient) for _ in range(3)]

    response = on_team.post(f"{URL}{first.pk}/read/")
    assert response.status_code == 200 and response.json()["is_read"] is True
    read_at = response.json()["read_at"]
    assert (
        on_team.post(f"{URL}{first.pk}/read/").json()["read_at"] == read_at
    )  # the first read time stays
    assert on_team.get(URL + "?unread=true").json()["count"] == 2

    assert on_team.post(f"{URL}read-all/").json() == {"marked": 2}
    assert on_team.get(URL + "?unread=true").json()["count"] == 0


def test_someone_elses_notification_is_a_404(
    on_team, off_team, clinician_on_team, patient, not_found_body, check_error
):
    note = notify(clinician_on_team, patient)
    for response in (
        off_team.get(f"{URL}{note.pk}/"),
        off_team.post(f"{URL}{note.pk}/read/"),
        off_team.get(f"{URL}{note.pk + 9}/"),
    ):
        assert response.status_code == 404 and response.json() == not_found_body
    note.refresh_from_db()
    assert note.read_at is None
    check_error(on_team.get(URL + "?kind=gossip"), 400, fields=("kind",))


def test_list_queries_do_not_grow_with_rows(
    on_team, clinician_on_team, patient, pinned_list_queries
):
    # 1: COUNT(*) of my notifications; 2: the page (patient joined);
    # 3: the audit read row (one INSERT per request naming the page's patients).
    pinned_list_queries(
        on_team, URL, lambda n: [notify(clinician_on_team, patient) for _ in range(n)], expected=3
    )


def test_no_create_or_delete(on_team, clinician_on_team, check_error):
    check_error(on_team.post(URL, {}, format="json"), 405)
    check_error(on_team.delete(f"{URL}{notify(clinician_on_team).pk}/"), 405)


@pytest.mark.parametrize(
    ("method", "path"), [("get", ""), ("get", "1/"), ("post", "1/read/"), ("post", "read-all/")]
)
def test_unauthenticated_requests_are_401(anon, method, path, check_error):
    check_error(getattr(anon, method)(URL + path), 401, "not_authenticated")
