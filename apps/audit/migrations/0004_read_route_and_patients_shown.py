"""Read rows name their route and every patient the response showed (apps.audit.reads).

On SQLite, adding a column with a default rebuilds the table, which drops its triggers: the
append-only trigger of 0002 is created again afterwards (PostgreSQL keeps its triggers)."""

from django.db import migrations, models

SQLITE_TRIGGER = """CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_update
    BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;"""


def restore_sqlite_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_refuse_truncate")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="patient_ids",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="route",
            field=models.CharField(blank=True, default="", max_length=120),
        ),
        migrations.RunPython(restore_sqlite_trigger, migrations.RunPython.noop),
    ]
