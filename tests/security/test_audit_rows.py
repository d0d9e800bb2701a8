"""Every read and change of patient data leaves exactly the expected audit rows: a page view,
an API read, an admin change and a job's change."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.flags import engine
from apps.flags.models import Flag
from apps.worklist.models import Task
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


def _rows():
    return list(
        AuditEvent.objects.order_by("id").values_list(
            "actor__username",
            "patient_id",
            "action",
            "object_type",
            "object_id",
            "changed_fields",
            "surface",
        )
    )


def test_viewing_a_patient_page_writes_one_view_row(client, clinician_on_team, patient):
    client.force_login(clinician_on_team)
    before = AuditEvent.objects.count()

    client.get(
        reverse("dashboard:patient", args=[patient.pk]),
        REMOTE_ADDR="10.20.30.40",
        HTTP_USER_AGENT="Ward PC",
    )

    assert _rows()[before:] == [
        ("dr_on_team", patient.pk, "view", "patients.patient", str(patient.pk), [], "page")
    ]
    event = AuditEvent.objects.latest("id")
    assert (event.ip_address, event.user_agent, event.path) == (
        "10.20.30.40",
        "Ward PC",
        f"/patients/{patient.pk}/",
    )


def test_an_api_read_writes_one_view_row(client, clinician_on_team, patient):
    client.force_login(clinician_on_team)
    before = AuditEvent.objects.count()

    response = client.get(f"/api/v1/patients/{patient.pk}/")

    assert response.status_code == 200
    assert _rows()[before:] == [
        ("dr_on_team", patient.pk, "view", "patients.patient", str(patient.pk), [], "api")
    ]


def test_an_admin_change_writes_one_update_row_naming_the_changed_fields(client, admin, patient):
    client.force_login(admin)
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: form[name].value() if form[name].value() is not None else "" for name in form.fields
    }
    data.update(
        phone="+1 555 0100 200",
        work_status="off_work",
        **{
            "episodes-TOTAL_FORMS": "0",
            "episodes-INITIAL_FORMS": "0",
            "episodes-MIN_NUM_FORMS": "0",
            "episodes-MAX_NUM_FORMS": "1000",
        },
    )
    before = AuditEvent.objects.count()

    response = client.post(url, data)

    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else ""
    )
    rows = _rows()[before:]
    assert rows == [
        (
            "admin",
            patient.pk,
            "update",
            "patients.patient",
            str(patient.pk),
            ["phone", "work_status"],
            "admin",
        )
    ]


def test_a_jobs_change_writes_one_row_per_flag_and_task_it_creates(patient):
    episode = EpisodeFactory(patient=patient, onset=dt.date.today() - dt.timedelta(days=200))
    before = AuditEvent.objects.count()

    engine.evaluate_episodes([episode.id])

    flags = list(Flag.objects.filter(patient=patient))
    tasks = list(Task.objects.filter(patient=patient))
    assert flags and len(tasks) == len(flags)
    expected = sorted(
        [(None, patient.pk, "create", "flags.flag", str(f.pk), [], "job") for f in flags]
        + [(None, patient.pk, "create", "worklist.task", str(t.pk), [], "job") for t in tasks]
    )
    assert sorted(_rows()[before:], key=str) == sorted(expected, key=str)

    engine.evaluate_episodes([episode.id])  # nothing changed: nothing more to record
    assert AuditEvent.objects.count() == before + len(expected)
