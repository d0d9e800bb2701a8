"""Schemathesis against the live schema on a live server, with a knox token: generated requests to
every operation (valid and invalid data, real and random ids) never get a 5xx, and every
response matches the schema (status code, content type and body)."""

import random
from collections import Counter
from typing import Any

import pytest
import schemathesis
from django.db import connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.settings import api_settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.assessments.models import Assessment
from apps.careplans.models import CarePlan, Goal, Intervention, PlanTemplate
from apps.flags.models import Flag
from apps.medications.models import MedicationOrder
from apps.messaging.models import Notification
from apps.patients.models import CareTeamMember, Episode, Patient
from apps.scheduling.models import Appointment
from apps.worklist.models import Task
from tests.api.builders import build_rich_patient
from tests.factories import ClinicianFactory, TeamFactory, TeamMembershipFactory

# serialized_rollback: the data migrations (plan templates) are back for the tests that follow.
pytestmark = [
    pytest.mark.schemathesis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# Logging out would revoke the token the run uses (tested in test_auth_tokens.py).
SKIPPED = {"/api/v1/auth/logout/", "/api/v1/auth/logoutall/"}
POSITIVE_EXAMPLES = 12
NEGATIVE_EXAMPLES = 6
# Request fields (body or query) that carry an id, and where real ids of that kind come from.
ID_FIELDS = {
    "patient": "patients",
    "episode": "episodes",
    "plan": "care-plans",
    "team": "team",
    "clinician": "clinician",
    "assignee": "clinician",
    "prescriber": "clinician",
}
RESOURCE_MODELS = {
    "patients": Patient,
    "episodes": Episode,
    "care-team-members": CareTeamMember,
    "care-plans": CarePlan,
    "goals": Goal,
    "interventions": Intervention,
    "plan-templates": PlanTemplate,
    "medications": MedicationOrder,
    "assessments": Assessment,
    "appointments": Appointment,
    "tasks": Task,
    "flags": Flag,
    "notifications": Notification,
}


@pytest.fixture(scope="module", autouse=True)
def _restore_migrated_data(django_db_blocker):
    """The transactional test ends with every table flushed; once it is done, put back what the
    migrations wrote (the plan templates...) for the tests that run after this module."""
    yield
    with django_db_blocker.unblock():
        for alias in connections:
            contents = getattr(connections[alias], "_test_serialized_contents", None)
            if contents:
                connections[alias].creation.deserialize_db_from_string(contents)


@pytest.fixture
def world(settings):
    """Two teams' worth of real records, so generated requests hit real objects."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **api_settings.DEFAULT_THROTTLE_RATES,
            "token": "1000000/hour",
            "login": "1000000/hour",
        },
    }
    team = TeamFactory(name="Fuzz team")
    people = {}
    for discipline in (
        "physician",
        "physical_therapist",
        "psychologist",
        "pain_specialist",
        "care_coordinator",
        "nurse",
    ):
        people[discipline] = ClinicianFactory(username=f"fuzz_{discipline}", discipline=discipline)
        TeamMembershipFactory(team=team, clinician=people[discipline])
    for n in range(3):
        build_rich_patient(team, people, mrn=f"FUZZ-{n}")
    other = TeamFactory(name="Someone else's team")
    stranger = ClinicianFactory(username="fuzz_stranger")
    TeamMembershipFactory(team=other, clinician=stranger)
    build_rich_patient(
        other, dict.fromkeys(people, stranger) | {"physician": stranger}, mrn="FUZZ-OTHER"
    )
    ids = {
        name: list(model.objects.values_list("pk", flat=True))
        for name, model in RESOURCE_MODELS.items()
    }
    ids["clinician"] = [c.pk for c in people.values()] + [stranger.pk]
    ids["team"] = [team.pk, other.pk]
    return people["physician"], ids


def test_the_api_matches_its_schema_under_generated_requests(
    live_server, world, token_for, monkeypatch
):
    user, ids = world
    token = token_for(user)
    headers = {"Authorization": f"Token {token}"}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    calls: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    rng = random.Random(20241127)

    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path not in SKIPPED]
    assert len(operations) >= 50

    def substitute(case: Any, use_real: bool) -> None:
        """Point ids at real records (half of the cases), so the requests do real work."""
        if not use_real:
            return
        resource = case.operation.path.split("/")[3]
        if (
            "id" in (case.path_parameters or {})
            and ids.get(resource)
            and not case.path.endswith("/archive/")
        ):
            case.path_parameters["id"] = rng.choice(ids[resource])
        for container in (case.body if isinstance(case.body, dict) else None, case.query):
            if not container:
                continue
            for field in ID_FIELDS:
                if field in container:
                    container[field] = rng.choice(ids[ID_FIELDS[field]])

    for operation in operations:
        for mode, examples in (
            (GenerationMode.POSITIVE, POSITIVE_EXAMPLES),
            (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES),
        ):

            @hypothesis_settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode), use_real=st.booleans())
            def run(case: Any, use_real: bool) -> None:
                substitute(case, use_real)
                response = case.call(base_url=live_server.url, headers=headers)
                statuses[response.status_code] += 1
                calls[f"{case.operation.method.upper()} {case.operation.path}"] += 1
                case.validate_response(response, checks=CHECKS, headers=headers)

            try:
                run()
            except Unsatisfiable:
                # Nothing to make invalid (no parameters, no body): only positive cases.
                assert mode is GenerationMode.NEGATIVE, operation.label

    total = sum(calls.values())
    print(
        f"\nschemathesis: {total} generated requests over {len(calls)} operations; statuses {dict(sorted(statuses.items()))}"
    )
    assert total >= 300
    assert not any(code >= 500 for code in statuses)
    assert statuses[200] + statuses[201] >= 100, statuses  # real objects were hit
