"""Admin → Clinical settings: every threshold is a row with its default, current value,
allowed range and source, without anyone creating it first; a change is range-checked and audited."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from apps.audit.models import AuditEvent
from apps.clinical.models import ClinicalSetting
from apps.clinical.selectors import threshold
from apps.clinical.thresholds import THRESHOLDS

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:clinical_clinicalsetting_changelist"


def _change_url(key: str) -> str:
    setting = ClinicalSetting.objects.get(key=key)
    return reverse("admin:clinical_clinicalsetting_change", args=[setting.pk])


def test_it_lists_every_threshold_with_its_default_range_and_source(client, admin):
    client.force_login(admin)

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert response.context["cl"].result_count == len(THRESHOLDS)
    html = response.content.decode()
    spec = THRESHOLDS["mme_warning"]
    assert escape(spec.source) in html
    assert "MME warning" in html
    assert f"{spec.minimum}–{spec.maximum}" in html
    assert set(ClinicalSetting.objects.values_list("key", flat=True)) == set(THRESHOLDS)
    assert all(s.value == THRESHOLDS[s.key].default for s in ClinicalSetting.objects.all())


def test_it_changes_a_threshold_and_audits_the_change(client, admin):
    client.force_login(admin)
    client.get(reverse(CHANGELIST))

    response = client.post(_change_url("poor_sleep_max"), {"value": "5"})

    assert response.status_code == 302
    assert threshold("poor_sleep_max") == Decimal("5")
    event = AuditEvent.objects.filter(action="update").latest("pk")
    assert event.actor == admin
    assert "value" in str(event.changed_fields)


def test_it_refuses_a_threshold_outside_its_allowed_range(client, admin):
    client.force_login(admin)
    client.get(reverse(CHANGELIST))

    response = client.post(_change_url("acute_check_day"), {"value": "12"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["value"] == ["Must be between 4 and 7 days."]
    assert threshold("acute_check_day") == Decimal("7")
