"""The one access rule: who may see which patient (apps.patients.selectors).

A clinician sees the caseloads of the teams they belong to; a superuser sees all; nobody else
sees anyone. Missing and forbidden patients look the same: the same 404.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from apps.patients.selectors import patient_get_for_user, patients_visible_to
from tests.factories import ClinicianFactory, PatientFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db


def _404_of(user, patient_id):
    with pytest.raises(Http404) as caught:
        patient_get_for_user(user, patient_id)
    return caught.value


def test_a_clinician_sees_their_own_teams_patients_only(
    clinician_on_team, team, other_team, patient
):
    colleague_patient = PatientFactory(team=team)
    PatientFactory(team=other_team)

    visible = patients_visible_to(clinician_on_team)

    assert set(visible) == {patient, colleague_patient}


def test_a_clinician_opens_a_patient_on_their_teams_caseload(clinician_on_team, patient):
    assert patient_get_for_user(clinician_on_team, patient.pk) == patient
    assert patient_get_for_user(clinician_on_team, str(patient.pk)) == patient


def test_a_clinician_off_the_team_gets_404_for_another_teams_patient(clinician_off_team, patient):
    assert patient not in patients_visible_to(clinician_off_team)
    with pytest.raises(Http404):
        patient_get_for_user(clinician_off_team, patient.pk)


def test_a_missing_patient_gives_404(clinician_on_team, patient):
    with pytest.raises(Http404):
        patient_get_for_user(clinician_on_team, patient.pk + 1000)


def test_forbidden_and_missing_patients_are_indistinguishable(clinician_off_team, patient):
    forbidden = _404_of(clinician_off_team, patient.pk)
    missing = _404_of(clinician_off_team, patient.pk + 1000)

    assert type(forbidden) is type(missing)
    assert str(forbidden) == str(missing)
    assert forbidden.args == missing.args


def test_a_superuser_sees_every_team(admin, team, other_team, patient):
    elsewhere = PatientFactory(team=other_team)

    assert set(patients_visible_to(admin)) == {patient, elsewhere}
    assert patient_get_for_user(admin, elsewhere.pk) == elsewhere


def test_an_inactive_clinician_sees_nobody(clinician_on_team, patient):
    clinician_on_team.is_active = False
    clinician_on_team.save()

    assert not patients_visible_to(clinician_on_team).exists()
    with pytest.raises(Http404):
        patient_get_for_user(clinician_on_team, patient.pk)


def test_an_inactive_superuser_sees_nobody(admin, patient):
    admin.is_active = False
    admin.save()

    assert not patients_visible_to(admin).exists()


@pytest.mark.parametrize("user", [AnonymousUser(), None], ids=["anonymous", "no-user"])
def test_an_anonymous_visitor_sees_nobody(user, patient):
    assert not patients_visible_to(user).exists()
    with pytest.raises(Http404):
        patient_get_for_user(user, patient.pk)


def test_a_clinician_with_no_team_sees_nobody(patient):
    loner = ClinicianFactory(username="no_team")

    assert not patients_visible_to(loner).exists()


def test_a_clinician_on_two_teams_sees_both_caseloads_once_each(team, other_team, patient):
    both = ClinicianFactory(username="on_two_teams")
    TeamMembershipFactory(team=team, clinician=both)
    TeamMembershipFactory(team=other_team, clinician=both, is_lead=True)
    # Colleagues on the same teams must not multiply the rows either.
    TeamMembershipFactory(team=team)
    TeamMembershipFactory(team=other_team)
    south = PatientFactory(team=other_team)

    visible = patients_visible_to(both)
    pks = list(visible.values_list("pk", flat=True))

    assert sorted(pks) == sorted({patient.pk, south.pk})
    assert visible.count() == 2
    assert patient_get_for_user(both, south.pk) == south


def test_archived_patients_are_left_out_unless_asked_for(clinician_on_team, team, patient):
    archived = PatientFactory(team=team, archived_at=timezone.now())

    assert list(patients_visible_to(clinician_on_team)) == [patient]
    assert archived in patients_visible_to(clinician_on_team, include_archived=True)
    with pytest.raises(Http404):
        patient_get_for_user(clinician_on_team, archived.pk)
    assert patient_get_for_user(clinician_on_team, archived.pk, include_archived=True) == archived


def test_include_archived_does_not_widen_the_access_rule(clinician_off_team, team):
    archived = PatientFactory(team=team, archived_at=timezone.now())

    assert archived not in patients_visible_to(clinician_off_team, include_archived=True)


@pytest.mark.parametrize(
    "bad_id",
    ["abc", "", " ", "1.5", "1e3", "0x1", "-", None, [], {}, 1.0, True, "١"],
    ids=repr,
)
def test_an_id_that_is_not_a_whole_number_gives_404_not_500(admin, patient, bad_id):
    with pytest.raises(Http404):
        patient_get_for_user(admin, bad_id)


def test_a_float_id_is_not_rounded_to_a_patient(admin, patient):
    with pytest.raises(Http404):
        patient_get_for_user(admin, patient.pk + 0.4)


@pytest.mark.parametrize("huge", [2**63, 10**30, -(2**70)], ids=["2**63", "10**30", "-2**70"])
def test_an_id_out_of_the_databases_range_gives_404(admin, patient, huge):
    with pytest.raises(Http404):
        patient_get_for_user(admin, huge)
    with pytest.raises(Http404):
        patient_get_for_user(admin, str(huge))
