"""TRUNCATE is not a row operation, so the row-level trigger of 0002 never sees it: a statement-level
BEFORE TRUNCATE trigger refuses it on PostgreSQL.

The one exception is Django's flush of a *test* database (TransactionTestCase truncates every
table): it is allowed only when the database name starts with ``test_`` AND the session sets
``careteam.audit_truncate = 'allow'`` (careteam/settings/test.py does, per connection). A role that
could use that exception already owns the table and could drop the trigger; production's defence is
a role that neither owns the audit table nor holds TRUNCATE/UPDATE/DELETE on it (apps.audit.checks).
SQLite has no TRUNCATE."""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION careteam_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF left(current_database(), 5) = 'test_'
       AND coalesce(current_setting('careteam.audit_truncate', true), '') = 'allow' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (TRUNCATE refused)';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION careteam_audit_no_truncate();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS careteam_audit_no_truncate();
"""


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [migrations.RunPython(up, down)]
