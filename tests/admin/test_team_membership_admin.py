"""Team memberships in admin: a membership decides whose patients a clinician sees, so only a
superuser, or a team's lead for their own team, changes one. Staff cannot reach another team's
records by joining it, nor by making themselves superuser."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.teams.models import TeamMembership
from tests.admin.admin_forms import post_data
from tests.factories import ClinicianFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:teams_teammembership_add")


def _staff(clinician):
    clinician.is_staff = True
    clinician.save()
    clinician.user_permissions.set(Permission.objects.all())
    return clinician


def _team_page_with_new_member(client, team, clinician):
    url = reverse("admin:teams_team_change", args=[team.pk])
    data = post_data(client.get(url))
    index = int(data["memberships-TOTAL_FORMS"]) - 1  # the blank extra row
    data[f"memberships-{index}-clinician"] = str(clinician.pk)
    return client.post(url, data)


def test_it_refuses_a_staff_member_adding_themselves_to_another_team(
    client, clinician_on_team, other_team
):
    staff = _staff(clinician_on_team)
    client.force_login(staff)

    direct = client.post(ADD, {"team": other_team.pk, "clinician": staff.pk})
    team_page = client.get(reverse("admin:teams_team_change", args=[other_team.pk]))
    own_page = reverse("admin:accounts_clinician_change", args=[staff.pk])
    data = post_data(client.get(own_page))
    data.update(
        {
            "team_memberships-TOTAL_FORMS": "1",
            "team_memberships-INITIAL_FORMS": "0",
            "team_memberships-0-team": str(other_team.pk),
        }
    )
    via_own_page = client.post(own_page, data)

    assert direct.status_code == 403
    assert team_page.status_code == 302  # another team's page does not open
    assert via_own_page.status_code == 302  # saved, but the teams there are read-only for them
    assert not TeamMembership.objects.filter(team=other_team, clinician=staff).exists()
    assert list(staff.teams.all()) == [clinician_on_team.teams.get()]


def test_it_refuses_a_staff_member_making_themselves_superuser(client, clinician_on_team):
    staff = _staff(clinician_on_team)
    client.force_login(staff)
    url = reverse("admin:accounts_clinician_change", args=[staff.pk])
    data = post_data(client.get(url))

    response = client.post(url, {**data, "is_superuser": "on", "first_name": "Renamed"})

    assert response.status_code == 302
    staff.refresh_from_db()
    assert (staff.first_name, staff.is_superuser) == ("Renamed", False)


def test_a_team_lead_adds_a_colleague_to_their_own_team(client, team, other_team):
    lead = _staff(ClinicianFactory(username="lead"))
    TeamMembershipFactory(team=team, clinician=lead, is_lead=True)
    TeamMembershipFactory(team=other_team, clinician=lead)
    colleague = ClinicianFactory(username="colleague")
    TeamMembershipFactory(team=other_team, clinician=colleague)
    newcomer = ClinicianFactory(username="newcomer")
    TeamMembershipFactory(team=other_team, clinician=newcomer)
    client.force_login(lead)

    added = client.post(ADD, {"team": team.pk, "clinician": colleague.pk})
    via_team_page = _team_page_with_new_member(client, team, newcomer)

    assert added.status_code == 302
    assert via_team_page.status_code == 302
    assert set(team.members.all()) == {lead, colleague, newcomer}


def test_a_team_lead_changes_no_membership_of_a_team_they_do_not_lead(client, team, other_team):
    lead = _staff(ClinicianFactory(username="lead"))
    TeamMembershipFactory(team=team, clinician=lead, is_lead=True)
    TeamMembershipFactory(team=other_team, clinician=lead)  # a member there, not its lead
    colleague = ClinicianFactory(username="colleague")
    theirs = TeamMembershipFactory(team=other_team, clinician=colleague)
    newcomer = ClinicianFactory(username="newcomer")
    TeamMembershipFactory(team=team, clinician=newcomer)
    client.force_login(lead)

    added = client.post(ADD, {"team": other_team.pk, "clinician": newcomer.pk})
    deleted = client.post(
        reverse("admin:teams_teammembership_delete", args=[theirs.pk]), {"post": "yes"}
    )
    moved = client.post(
        reverse("admin:teams_teammembership_change", args=[theirs.pk]),
        {"team": team.pk, "clinician": colleague.pk},
    )
    via_team_page = _team_page_with_new_member(client, other_team, newcomer)

    assert added.status_code == 200
    assert "team" in added.context["adminform"].form.errors
    assert deleted.status_code == 403
    assert moved.status_code == 403
    assert via_team_page.status_code in (200, 302)
    assert set(other_team.members.all()) == {lead, colleague}
    assert set(team.members.all()) == {lead, newcomer}


def test_a_superuser_adds_anyone_to_any_team(client, admin, other_team):
    outsider = ClinicianFactory(username="outsider")
    client.force_login(admin)

    response = client.post(ADD, {"team": other_team.pk, "clinician": outsider.pk})

    assert response.status_code == 302
    assert list(other_team.members.all()) == [outsider]


def test_a_staff_member_who_leads_no_team_only_reads_memberships(
    client, clinician_on_team, team, other_team
):
    staff = _staff(clinician_on_team)
    TeamMembershipFactory(team=other_team)
    client.force_login(staff)

    listed = client.get(reverse("admin:teams_teammembership_changelist"))

    assert listed.status_code == 200
    assert {m.team for m in listed.context["cl"].result_list} == {team}
    assert not listed.context["has_add_permission"]
    assert client.get(ADD).status_code == 403
