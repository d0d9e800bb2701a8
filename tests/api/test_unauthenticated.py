"""Deny by default: every operation of the schema, without credentials, is a 401 in the one error
format (except getting a token)."""

from io import StringIO

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _operations():
    out = StringIO()
    call_command("spectacular", "--format", "openapi", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if path != "/api/v1/auth/token/"
    ]


@pytest.mark.parametrize(("method", "path"), _operations())
def test_without_credentials_every_operation_is_a_401(anon, patient, method, path, check_error):
    response = anon.generic(
        method, path.replace("{id}", str(patient.pk)), "{}", content_type="application/json"
    )
    check_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_a_session_that_is_not_signed_in_is_a_401_too(anon, check_error):
    anon.get("/accounts/login/")  # a session cookie, no login
    check_error(anon.get("/api/v1/patients/"), 401, "not_authenticated")
