"""GET /api/v1/patients/{id}/fhir/: a FHIR R4 Bundle of the patient's whole record."""

import json
from collections import Counter
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


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


def assert_valid_bundle(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Valid R4 Bundle (fhir.resources), every reference resolves to a fullUrl in it."""
    Bundle.model_validate(data)
    assert data["type"] == "collection"
    urls = [entry["fullUrl"] for entry in data["entry"]]
    assert len(urls) == len(set(urls))
    assert all(url.startswith("urn:uuid:") for url in urls)
    dangling = set(references(data)) - set(urls)
    assert not dangling
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in data["entry"]:
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return by_type


def test_the_bundle_of_a_rich_patient_is_valid_fhir_r4_with_internal_references(on_team, rich):
    response = on_team.get(f"/api/v1/patients/{rich.patient.pk}/fhir/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    by_type = assert_valid_bundle(json.loads(response.content))
    open("/tmp/bundle.json", "w").write(json.dumps(json.loads(response.content), indent=1))
