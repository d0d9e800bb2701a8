"""The audit trail (apps.audit): append-only, and it says who, which patient, when, from where."""

import pytest
from django.db import transaction
from django.db.models.deletion import ProtectedError

from apps.audit.context import RequestMeta, audit_context, current_request_meta
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from tests.factories import CarePlanFactory, EpisodeFactory, GoalFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(clinician_on_team, patient):
    return audit_record(actor=clinician_on_team, action="view", obj=patient)


# --- Append-only -------------------------------------------------------------------------------


def test_an_audit_event_cannot_be_edited(event):
    event.action = "delete"

    with pytest.raises(PermissionError, match="append-only"):
        event.save()

    assert AuditEvent.objects.get(pk=event.pk).action == "view"


def test_an_audit_event_reloaded_from_the_database_cannot_be_edited(event):
    reloaded = AuditEvent.objects.get(pk=event.pk)
    reloaded.path = "/forged"

    with pytest.raises(PermissionError):
        reloaded.save()


def test_an_audit_event_cannot_be_deleted(event):
    with pytest.raises(PermissionError, match="append-only"):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_events_cannot_be_updated_in_bulk(event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="delete")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(path="")

    assert AuditEvent.objects.get(pk=event.pk).action == "view"


def test_audit_events_cannot_be_deleted_in_bulk(event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.count() == 1


def test_audit_events_cannot_be_rewritten_with_bulk_update(event):
    event.path = "/forged"

    # bulk_update runs in its own atomic block; the savepoint keeps the test's transaction usable.
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["path"])

    assert AuditEvent.objects.get(pk=event.pk).path == ""


def test_a_patient_with_an_audit_trail_cannot_be_deleted(event, patient):
    with pytest.raises(ProtectedError):
        patient.delete()


def test_a_clinician_named_in_the_audit_trail_cannot_be_deleted(event, clinician_on_team):
    with pytest.raises(ProtectedError):
        clinician_on_team.delete()


# --- What is recorded --------------------------------------------------------------------------


def test_the_request_context_is_recorded(clinician_on_team, patient):
    meta = RequestMeta(surface="page", ip_address="10.0.0.1", user_agent="x", path="/p")

    with audit_context(meta):
        recorded = audit_record(actor=clinician_on_team, action="view", obj=patient)

    stored = AuditEvent.objects.get(pk=recorded.pk)
    assert stored.surface == "page"
    assert stored.ip_address == "10.0.0.1"
    assert stored.user_agent == "x"
    assert stored.path == "/p"
    assert stored.actor == clinician_on_team
    assert stored.patient == patient
    assert (stored.object_type, stored.object_id) == ("patients.patient", str(patient.pk))


def test_the_context_ends_with_the_request(clinician_on_team, patient):
    with audit_context(RequestMeta(surface="api", ip_address="10.0.0.2", path="/api/x")):
        pass

    recorded = audit_record(actor=clinician_on_team, action="view", obj=patient)

    assert current_request_meta() == RequestMeta()
    assert (recorded.surface, recorded.ip_address, recorded.path) == ("job", None, "")


def test_an_ipv6_address_is_recorded(clinician_on_team, patient):
    with audit_context(RequestMeta(surface="api", ip_address="2001:db8::1", path="/api/p")):
        recorded = audit_record(actor=clinician_on_team, action="export", obj=patient)

    assert AuditEvent.objects.get(pk=recorded.pk).ip_address == "2001:db8::1"


def test_a_long_user_agent_or_path_is_truncated_not_refused(clinician_on_team, patient):
    meta = RequestMeta(surface="page", user_agent="A" * 1000, path="/p" * 400)

    with audit_context(meta):
        recorded = audit_record(actor=clinician_on_team, action="view", obj=patient)

    stored = AuditEvent.objects.get(pk=recorded.pk)
    assert len(stored.user_agent) == 300
    assert len(stored.path) == 300


def test_an_explicit_surface_wins_over_the_context(clinician_on_team, patient):
    with audit_context(RequestMeta(surface="page")):
        recorded = audit_record(
            actor=clinician_on_team, action="update", obj=patient, surface="admin"
        )

    assert recorded.surface == "admin"


def test_changed_fields_are_names_sorted_once_each(clinician_on_team, patient):
    recorded = audit_record(
        actor=clinician_on_team,
        action="update",
        obj=patient,
        changed_fields=["phone", "email", "phone"],
    )

    assert AuditEvent.objects.get(pk=recorded.pk).changed_fields == ["email", "phone"]


def test_an_unknown_action_or_surface_is_refused(clinician_on_team, patient):
    with pytest.raises(ValueError):
        audit_record(actor=clinician_on_team, action="peek", obj=patient)
    with pytest.raises(ValueError):
        audit_record(actor=clinician_on_team, action="view", obj=patient, surface="fax")

    assert not AuditEvent.objects.exists()


def test_the_patient_is_found_through_the_episode_and_the_plan(clinician_on_team, patient):
    goal = GoalFactory(plan=CarePlanFactory(episode=EpisodeFactory(patient=patient)))

    recorded = audit_record(actor=clinician_on_team, action="create", obj=goal)

    assert recorded.patient == patient
    assert recorded.object_type == "careplans.goal"


def test_an_anonymous_or_system_actor_is_recorded_as_nobody(patient):
    from django.contrib.auth.models import AnonymousUser

    for actor in (None, AnonymousUser()):
        recorded = audit_record(actor=actor, action="view", obj=patient)
        assert recorded.actor is None


def test_a_record_without_an_object_names_what_was_touched(clinician_on_team, patient):
    recorded = audit_record(
        actor=clinician_on_team,
        action="export",
        patient=patient,
        object_type="fhir.bundle",
        object_id=None,
    )

    assert (recorded.object_type, recorded.object_id, recorded.patient) == (
        "fhir.bundle",
        "",
        patient,
    )


def test_the_database_itself_refuses_to_change_or_delete_an_audit_row(patient, clinician_on_team):
    from django.db import DatabaseError, connection, transaction

    from apps.audit.services import audit_record

    event = audit_record(actor=clinician_on_team, action="view", obj=patient, surface="page")
    table = event._meta.db_table
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET action = 'delete' WHERE id = %s", [event.pk])
    if connection.vendor == "postgresql":  # SQLite (demo only) cannot: see the migration
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, action="view").exists()
