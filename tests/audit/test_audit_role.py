"""The audit trail cannot be truncated, and production must connect as a role that cannot rewrite it.

PostgreSQL only (SQLite has no TRUNCATE and no roles). CI runs on PostgreSQL, so there (``CI`` set)
these tests fail instead of skipping."""

import os
import secrets

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.backends.postgresql.base import DatabaseWrapper

from apps.audit import checks
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

pytestmark = pytest.mark.django_db(transaction=True)  # committed rows, real flush (TRUNCATE)


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("CI must run the audit role tests on PostgreSQL (DATABASE_URL)")
        pytest.skip("PostgreSQL only (set DATABASE_URL)")


def test_it_refuses_to_truncate_the_audit_trail(postgresql, clinician_on_team, patient):
    event = audit_record(actor=clinician_on_team, action="view", obj=patient, surface="page")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The test database's flush exception is switched off, as it is in every real database.
        cursor.execute("SET LOCAL careteam.audit_truncate = ''")
        cursor.execute(f"TRUNCATE {AuditEvent._meta.db_table} CASCADE")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_deploy_check_refuses_the_owning_superuser(postgresql):
    ids = {message.id for message in checks.check_audit_role()}
    # The test suite connects as the superuser that created (owns) every table.
    assert {"audit.E001", "audit.E002", "audit.E003"} <= ids


@pytest.fixture
def restricted_connection(postgresql):
    """A login role granted only what the application needs: SELECT, INSERT on the audit table."""
    role = f"careteam_app_{secrets.token_hex(4)}"
    password = secrets.token_hex(16)
    admin = DatabaseWrapper({**connection.settings_dict}, alias="audit_role_admin")
    admin.set_autocommit(True)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN PASSWORD %s", [password])
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        cursor.execute(f"GRANT SELECT, INSERT ON {AuditEvent._meta.db_table} TO {role}")
    restricted = DatabaseWrapper(
        {**connection.settings_dict, "USER": role, "PASSWORD": password}, alias="audit_role_app"
    )
    try:
        yield restricted
    finally:
        restricted.close()
        with admin.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")
        admin.close()


def test_the_deploy_check_passes_for_a_role_granted_only_select_and_insert(
    restricted_connection, monkeypatch
):
    monkeypatch.setattr(checks, "connection", restricted_connection)
    assert checks.check_audit_role() == []


def test_the_deploy_check_names_a_forbidden_privilege(restricted_connection, monkeypatch):
    admin = DatabaseWrapper({**connection.settings_dict}, alias="audit_role_grant")
    admin.set_autocommit(True)
    role = restricted_connection.settings_dict["USER"]
    with admin.cursor() as cursor:
        cursor.execute(f"GRANT TRUNCATE ON {AuditEvent._meta.db_table} TO {role}")
    admin.close()
    monkeypatch.setattr(checks, "connection", restricted_connection)
    messages = checks.check_audit_role()
    assert [m.id for m in messages] == ["audit.E003"]
    assert "TRUNCATE" in messages[0].msg


def test_the_deploy_check_only_informs_on_sqlite():
    if connection.vendor == "postgresql":
        pytest.skip("covered by the PostgreSQL tests above")
    assert [m.id for m in checks.check_audit_role()] == ["audit.I001"]
