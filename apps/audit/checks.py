"""Deployment check: production connects as a role that cannot rewrite the audit trail.

The database triggers (migrations 0002, 0003) refuse UPDATE, DELETE and TRUNCATE, but the table's
owner (or a superuser) can drop a trigger. So the web and worker processes must connect as a role
that owns no table and lacks TRUNCATE, UPDATE and DELETE on the audit table; migrations run as the
owning role (README, "Production"). Runs with ``manage.py check --deploy``."""

from typing import Any

from django.core.checks import CheckMessage, Error, Info, register
from django.db import DatabaseError, connection

AUDIT_TABLE = "audit_auditevent"
FORBIDDEN_PRIVILEGES = ("TRUNCATE", "UPDATE", "DELETE")


@register(deploy=True)
def check_audit_role(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if connection.vendor != "postgresql":
        return [
            Info(
                "The audit database-role check runs on PostgreSQL only; this database is "
                f"{connection.vendor}.",
                id="audit.I001",
            )
        ]
    try:
        return _role_problems()
    except DatabaseError as exc:
        return [
            Error(
                f"Could not verify the database role that writes the audit trail: {exc}",
                hint="The deployment check needs to reach the production database.",
                id="audit.E004",
            )
        ]


def _role_problems() -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        user, is_superuser = cursor.fetchone()
        hint = (
            "Run migrations as the owning role and the application as a role granted only "
            "SELECT, INSERT on audit_auditevent (SECURITY.md, 'Audit trail')."
        )
        if is_superuser:
            problems.append(
                Error(
                    f"The application connects as superuser {user!r}.", hint=hint, id="audit.E001"
                )
            )
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tableowner = current_user ORDER BY tablename"
        )
        owned = [row[0] for row in cursor.fetchall()]
        if owned:
            problems.append(
                Error(
                    f"The application role {user!r} owns {len(owned)} table(s), e.g. "
                    f"{', '.join(owned[:3])}; an owner can drop the audit triggers.",
                    hint=hint,
                    id="audit.E002",
                )
            )
        cursor.execute(
            "SELECT "
            + ", ".join("has_table_privilege(current_user, %s, %s)" for _ in FORBIDDEN_PRIVILEGES),
            [arg for privilege in FORBIDDEN_PRIVILEGES for arg in (AUDIT_TABLE, privilege)],
        )
        granted = [p for p, ok in zip(FORBIDDEN_PRIVILEGES, cursor.fetchone(), strict=True) if ok]
        if granted:
            problems.append(
                Error(
                    f"The application role {user!r} may {', '.join(granted)} the audit table "
                    f"{AUDIT_TABLE}.",
                    hint=hint,
                    id="audit.E003",
                )
            )
    return problems
