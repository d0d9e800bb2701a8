"""The OpenAPI 3 schema (drf-spectacular) is valid, warning-free and documents every endpoint;
Swagger UI and Redoc are served without any CDN."""

import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    out = StringIO()
    call_command("spectacular", "--format", "openapi", stdout=out)
    return yaml.safe_load(out.getvalue())


def test_the_schema_validates_without_a_single_warning(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    assert (tmp_path / "schema.yaml").stat().st_size > 10_000


def _api_v1_paths(patterns=None, prefix=""):
    """Every route under /api/v1/ from Django's URL resolver, as an OpenAPI path."""
    found = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            found |= _api_v1_paths(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
            path = "/" + re.sub(r"\(\?P<pk>[^)]*\)", "{id}", route).replace("\\.", ".")
            found.add(path)
    return found


def test_every_url_under_api_v1_is_in_the_schema(schema):
    urls = _api_v1_paths()
    assert len(urls) >= 40
    assert urls == set(schema["paths"])


def test_every_operation_documents_its_errors_in_the_one_format(schema):
    error_ref = "#/components/schemas/Error"
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            public = path == "/api/v1/auth/token/"
            expected = {"429"} | (set() if public else {"401", "403"})
            if method in ("post", "patch"):
                expected |= {"400", "413", "415"}
            if "{id}" in path:
                expected.add("404")
            assert expected <= set(responses), (method, path, sorted(responses))
            for code in expected:
                assert responses[code]["content"]["application/json"]["schema"]["$ref"] == error_ref
            assert operation.get("summary"), (method, path)
    error = schema["components"]["schemas"]["ErrorDetail"]
    assert set(error["properties"]) == {"status", "code", "message", "fields"}
    assert error["required"] == ["code", "message", "status"]


def test_the_schema_documents_auth_and_enums(schema):
    assert set(schema["components"]["securitySchemes"]) == {"knoxApiToken", "cookieAuth"}
    enums = schema["components"]["schemas"]
    assert enums["TaskStatusEnum"]["enum"] == ["open", "in_progress", "completed", "cancelled"]
    assert enums["AppointmentStatusEnum"]["enum"] == [
        "booked",
        "arrived",
        "fulfilled",
        "cancelled",
        "noshow",
    ]
    assert "ODI as text only" in schema["info"]["description"]
    assert "Authorization: Token" in schema["info"]["description"]


def test_the_schema_is_served_publicly(anon):
    response = anon.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_everything_from_this_server(anon, page):
    response = anon.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "an external asset"
    assets = re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html)
    assert assets
    for asset in assets:
        assert anon.get(asset).status_code == 200, asset
    if page == "/api/docs/":
        script = anon.get("/api/docs/?script=")
        assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
