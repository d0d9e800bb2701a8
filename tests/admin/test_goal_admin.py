"""Goals in admin: a staff member adds goals to their own teams' plans only."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.careplans.models import Goal
from apps.core.dates import clinic_today
from tests.factories import CarePlanFactory

pytestmark = pytest.mark.django_db


def _staff(clinician):
    clinician.is_staff = True
    clinician.save()
    clinician.user_permissions.set(Permission.objects.filter(codename__endswith="_goal"))
    clinician.user_permissions.add(*Permission.objects.filter(codename="view_careplan"))
    return clinician


def test_it_refuses_a_goal_on_another_teams_plan(client, clinician_on_team, other_team):
    staff = _staff(clinician_on_team)
    theirs = CarePlanFactory(episode__patient__team=other_team)
    client.force_login(staff)

    response = client.post(
        reverse("admin:careplans_goal_add"),
        {
            "plan": theirs.pk,
            "measure": "nrs",
            "description": "Pain at or below 3/10",
            "target": "3",
            "due_on": clinic_today().isoformat(),
            "achievement_status": "in_progress",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["plan"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert not Goal.objects.filter(plan=theirs).exists()
