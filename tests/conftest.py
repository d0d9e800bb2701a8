"""Shared fixtures: the people every access test needs, built with factories."""

import uuid
from typing import Any

import pytest
from django.test import Client

from apps.core.choices import Discipline
from apps.core.idempotency import FORM_FIELD
from tests.factories import ClinicianFactory, PatientFactory, TeamFactory, TeamMembershipFactory


class FormClient(Client):
    """Django's test client, posting a form as a browser does: with the one-time submission key
    that every create form renders (``{% submission_key %}``, apps/core/idempotency.py), a fresh
    one for each POST unless the test gives it (``submission_key=None``: send none). That every
    create form does render it is tested in tests/dashboard/test_one_time_submission.py."""

    def post(self, path: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("content_type") is None and (data is None or isinstance(data, dict)):
            data = dict(data or {})
            if FORM_FIELD not in data:
                data[FORM_FIELD] = uuid.uuid4().hex
            elif data[FORM_FIELD] is None:
                del data[FORM_FIELD]
        return super().post(path, data, *args, **kwargs)


@pytest.fixture
def client() -> FormClient:
    return FormClient()


@pytest.fixture
def team(db):
    return TeamFactory(name="North spine team")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="South spine team")


@pytest.fixture
def clinician_on_team(team):
    clinician = ClinicianFactory(username="dr_on_team", discipline=Discipline.PHYSICIAN)
    TeamMembershipFactory(team=team, clinician=clinician)
    return clinician


@pytest.fixture
def clinician_off_team(other_team):
    clinician = ClinicianFactory(username="dr_off_team", discipline=Discipline.PHYSICIAN)
    TeamMembershipFactory(team=other_team, clinician=clinician)
    return clinician


@pytest.fixture
def admin(db):
    return ClinicianFactory(username="admin", is_staff=True, is_superuser=True, discipline="")


@pytest.fixture
def patient(team):
    return PatientFactory(team=team)
