"""One error body for every error, and never a 500 for bad input."""

import json

import pytest

from apps.patients.models import Episode

pytestmark = pytest.mark.django_db

EPISODES = "/api/v1/episodes/"


def post_raw(client, url, body, content_type="application/json"):
    return client.post(url, body, content_type=content_type)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"onset": NaN}',
        b'{"patient": Infinity}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"patient": 1' + b"0" * 5000 + b"}",
        b'{"summary": "\\ud800"}',
        b'{"summary": "\\u0000"}',
        b"\xff\xfe{}",
    ],
    ids=["syntax", "nan", "infinity", "deep", "huge-int", "lone-surrogate", "nul", "not-utf8"],
)
def test_malformed_json_is_a_400_parse_error(on_team, body, check_error):
    check_error(post_raw(on_team, EPISODES, body), 400, "parse_error")


def test_the_body_of_a_validation_error(on_team, patient):
    response = on_team.post(EPISODES, {"patient": patient.pk, "onset": "not-a-date"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "status": 400,
            "code": "invalid",
            "message": "onset: Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
            "fields": {
                "onset": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]
            },
        }
    }


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"patient": [1], "onset": "2024-01-01"}, "patient"),
        ({"patient": {"id": 1}, "onset": "2024-01-01"}, "patient"),
        ({"patient": 1.5, "onset": "2024-01-01"}, "patient"),
        ({"patient": 2**70, "onset": "2024-01-01"}, "patient"),
        ({"patient": -1, "onset": "2024-01-01"}, "patient"),
        ({"patient": None, "onset": "2024-01-01"}, "patient"),
        ({"patient": "1", "onset": 20240101}, "onset"),
        ({"patient": "1", "onset": "2024-13-45"}, "onset"),
        ({"patient": "1", "onset": "2024-01-01", "summary": "x" * 201}, "summary"),
        ({"patient": "1", "onset": "2024-01-01", "summary": ["a"]}, "summary"),
    ],
)
def test_wrong_types_are_400_under_the_field(on_team, patient, payload, field, check_error):
    check_error(on_team.post(EPISODES, payload, format="json"), 400, "invalid", fields=(field,))
    assert not Episode.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(on_team, check_error):
    check_error(
        post_raw(on_team, EPISODES, b"[1, 2]"), 400, "invalid", fields=("non_field_errors",)
    )
    check_error(
        post_raw(on_team, EPISODES, b'"text"'), 400, "invalid", fields=("non_field_errors",)
    )


def test_nested_errors_are_flattened_to_dotted_names(on_team, patient, check_error):
    # A list field's item errors: "agree.3"-style keys, always {name: [messages]}.
    from apps.api.exceptions import flatten_errors

    assert flatten_errors({"answers": {"items": {3: ["Too big."]}}, "x": ["a", {"y": ["b"]}]}) == {
        "answers.items.3": ["Too big."],
        "x": ["a"],
        "x.1.y": ["b"],
    }


def test_a_body_over_the_size_limit_is_a_413(on_team, patient, settings, check_error):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"patient": patient.pk, "onset": "2024-01-01", "summary": "x" * 2000})
    check_error(post_raw(on_team, EPISODES, body), 413, "request_too_large")


def test_the_default_limit_is_one_megabyte(on_team, patient, check_error):
    body = json.dumps(
        {"patient": patient.pk, "onset": "2024-01-01", "summary": "x" * (1024 * 1024)}
    )
    check_error(post_raw(on_team, EPISODES, body), 413, "request_too_large")


def test_a_form_body_is_a_415(on_team, patient, check_error):
    check_error(
        post_raw(on_team, EPISODES, "patient=1", "application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
    )
    check_error(
        post_raw(on_team, EPISODES, b"<xml/>", "application/xml"), 415, "unsupported_media_type"
    )


def test_an_unacceptable_accept_header_is_a_406(on_team, check_error):
    check_error(on_team.get(EPISODES, HTTP_ACCEPT="application/xml"), 406, "not_acceptable")


def test_unsupported_methods_are_405(on_team, patient, check_error):
    check_error(on_team.delete(f"/api/v1/patients/{patient.pk}/"), 405, "method_not_allowed")
    check_error(
        on_team.put(f"/api/v1/patients/{patient.pk}/", {}, format="json"), 405, "method_not_allowed"
    )
    check_error(on_team.get("/api/v1/patients/1/archive/"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here/", "/api/v1/patients", "/api/v2/patients/", "/api/"]
)
def test_unknown_api_urls_are_a_json_404(on_team, path, check_error):
    check_error(on_team.get(path), 404, "not_found")


def test_a_page_past_the_end_is_a_404(on_team, patient, check_error):
    check_error(on_team.get("/api/v1/patients/?page=99"), 404, "not_found")
    check_error(on_team.get("/api/v1/patients/?page=abc"), 404, "not_found")


@pytest.mark.parametrize(
    "query",
    [
        "?patient=abc",
        "?patient=1.5",
        "?patient=" + "9" * 30,
        "?status=open",
        "?onset_after=2024-02-30",
    ],
)
def test_bad_query_parameters_are_400_under_their_name(on_team, query, check_error):
    name = query[1:].split("=")[0]
    check_error(on_team.get(EPISODES + query), 400, "invalid", fields=(name,))


def test_extreme_dates_in_filters_are_fine(on_team, episode):
    assert on_team.get(EPISODES + "?onset_after=0001-01-01").json()["count"] == 1
    assert on_team.get(EPISODES + "?onset_before=0001-01-01").json()["count"] == 0
    assert on_team.get("/api/v1/assessments/?taken_after=9999-12-31").json()["count"] == 0
    assert on_team.get("/api/v1/appointments/?starts_before=0001-01-01").json()["count"] == 0
    assert (
        on_team.get(EPISODES + "?ordering=-nonexistent_field&search=" + "x" * 500).status_code
        == 200
    )


def test_a_post_to_an_unknown_api_url_is_a_json_404_not_a_csrf_page(clinician_on_team, check_error):
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(clinician_on_team)
    check_error(browser.post("/api/v1/flags/1.5/acknowledge/"), 404, "not_found")
