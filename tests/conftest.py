"""Shared fixtures: the people every access test needs, built with factories."""

import pytest

from apps.core.choices import Discipline
from tests.factories import ClinicianFactory, PatientFactory, TeamFactory, TeamMembershipFactory


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
