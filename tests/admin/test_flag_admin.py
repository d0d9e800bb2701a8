"""Flags in admin: the workflow (acknowledge with a reason, resolve with a note, never snooze a
safety flag) is the services' — admin shows status fields read-only, so a POST cannot change
them."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.core.dates import clinic_today
from tests.factories import EpisodeFactory, FlagFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_an_admin_post_cannot_snooze_a_self_harm_flag(client, admin, team):
    patient = PatientFactory(team=team)
    episode = EpisodeFactory(patient=patient)
    flag = FlagFactory(
        patient=patient, episode=episode, rule_code="self_harm_risk", severity="urgent"
    )
    client.force_login(admin)
    url = reverse("admin:flags_flag_change", args=[flag.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()

    client.post(
        url,
        {
            "patient": patient.pk,
            "episode": episode.pk,
            "rule_code": flag.rule_code,
            "severity": flag.severity,
            "summary": flag.summary,
            "status": "snoozed",
            "snoozed_until": (clinic_today() + dt.timedelta(days=7)).isoformat(),
        },
    )

    flag.refresh_from_db()
    assert (flag.status, flag.snoozed_until) == ("open", None)


def test_the_rule_filter_lists_rules_by_name_and_filters_by_rule(client, admin, team):
    patient = PatientFactory(team=team)
    episode = EpisodeFactory(patient=patient)
    FlagFactory(patient=patient, episode=episode, rule_code="self_harm_risk", severity="urgent")
    FlagFactory(
        patient=patient, episode=episode, rule_code="acute_no_improvement", severity="warning"
    )
    client.force_login(admin)
    url = reverse("admin:flags_flag_changelist")

    page = client.get(url).content.decode()
    filtered = client.get(url, {"rule_code": "self_harm_risk"})

    sidebar = page.split('id="changelist-filter"', 1)[1]
    assert "Self-harm risk (PHQ-9 item 9)" in sidebar and "Acute pain not improving" in sidebar
    assert "?rule_code=acute_no_improvement" in sidebar
    assert ">acute_no_improvement<" not in sidebar and ">self_harm_risk<" not in sidebar
    assert [f.rule_code for f in filtered.context["cl"].result_list] == ["self_harm_risk"]
