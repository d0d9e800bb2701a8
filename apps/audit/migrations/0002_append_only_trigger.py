"""The audit trail is append-only in the database itself, not only through the ORM.

PostgreSQL (production): a trigger refuses every UPDATE and DELETE of audit_auditevent
(TRUNCATE is not a row operation: migration 0003 refuses it with a statement-level trigger).
SQLite (local demo): a trigger refuses UPDATE; DELETE stays possible there because SQLite has
no TRUNCATE and Django flushes test databases with DELETE. The ORM and admin refuse both
everywhere (apps.audit.models)."""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION careteam_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION careteam_audit_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS careteam_audit_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update;",
]


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(up, down)]
