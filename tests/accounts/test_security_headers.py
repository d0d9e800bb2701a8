"""Security headers on every page: CSP without inline script, framing denied, referrer policy."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _csp(response):
    return dict(
        [*part.strip().split(" ", 1), ""][:2]
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    )


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/admin/"])
def test_every_page_has_a_content_security_policy_without_inline_script(
    client, clinician_on_team, admin, path
):
    client.force_login(admin if path == "/admin/" else clinician_on_team)
    response = client.get(path, follow=True)
    policy = _csp(response)
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/accounts/login/", "/"])
def test_our_pages_contain_no_inline_script(client, clinician_on_team, path):
    client.force_login(clinician_on_team)
    html = client.get(path).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, f"inline script: {tag}"
    assert not re.search(r"\son[a-z]+=\"", html), "inline event handler"
