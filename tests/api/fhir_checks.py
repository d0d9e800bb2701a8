"""Shared checks of exported FHIR (imported by the FHIR tests)."""

from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

STATUS_VALUE_SETS = {
    "Flag": {"active", "inactive", "entered-in-error"},
    "Task": {"requested", "in-progress", "completed", "cancelled"},
    "Appointment": {"booked", "arrived", "fulfilled", "cancelled", "noshow"},
    "MedicationRequest": {"active", "stopped", "completed"},
    "CarePlan": {"active", "completed", "revoked"},
    "CareTeam": {"active", "inactive"},
    "Observation": {"final"},
}
GOAL_LIFECYCLE = {
    "proposed",
    "planned",
    "accepted",
    "active",
    "on-hold",
    "completed",
    "cancelled",
    "entered-in-error",
    "rejected",
}
GOAL_ACHIEVEMENT = {
    "in-progress",
    "improving",
    "worsening",
    "no-change",
    "achieved",
    "sustaining",
    "not-achieved",
    "no-progress",
    "not-attainable",
}
ACTIVITY_STATUS = {
    "not-started",
    "scheduled",
    "in-progress",
    "on-hold",
    "completed",
    "cancelled",
    "stopped",
    "unknown",
    "entered-in-error",
}
GENDERS = {"male", "female", "other", "unknown"}


def references(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            found.append(node["reference"])
        for value in node.values():
            found.extend(references(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(references(item))
    return found


def check_value_sets(resource: dict[str, Any]) -> None:
    kind = resource["resourceType"]
    if kind in STATUS_VALUE_SETS:
        assert resource["status"] in STATUS_VALUE_SETS[kind], (kind, resource["status"])
    if kind == "Goal":
        assert resource["lifecycleStatus"] in GOAL_LIFECYCLE
        assert resource["achievementStatus"]["coding"][0]["code"] in GOAL_ACHIEVEMENT
    if kind == "CarePlan":
        assert resource["intent"] == "plan"
        for activity in resource.get("activity", []):
            assert activity["detail"]["status"] in ACTIVITY_STATUS
    if kind == "Patient":
        assert resource["gender"] in GENDERS
    if kind == "Observation":
        assert resource["category"][0]["coding"][0]["code"] == "survey"
    if kind == "Condition":
        assert resource["code"]["coding"][0] in (
            {"system": "http://snomed.info/sct", "code": "279039007", "display": "Low back pain"},
            {
                "system": "http://snomed.info/sct",
                "code": "278860009",
                "display": "Chronic low back pain",
            },
        )


def check_bundle(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """A valid R4 Bundle (fhir.resources) whose every reference resolves to one of its fullUrls,
    with the status value sets CareTeam promises. Returns the resources by type."""
    Bundle.model_validate(data)
    assert data["resourceType"] == "Bundle" and data["type"] == "collection"
    urls = [entry["fullUrl"] for entry in data["entry"]]
    assert len(urls) == len(set(urls)), "duplicate fullUrl"
    assert all(url.startswith("urn:uuid:") for url in urls)
    dangling = set(references(data)) - set(urls)
    assert not dangling, dangling
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in data["entry"]:
        check_value_sets(entry["resource"])
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return by_type


def check_resource(resource: dict[str, Any]) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    check_value_sets(resource)
