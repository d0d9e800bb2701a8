"""axe-core in the browser tests: the npm package (pinned in the Makefile, installed into the
virtualenv by ``make test``) is served to Chromium from the local file through a Playwright route
on the page's own origin, so the page's CSP (script-src 'self') allows it and nothing comes from a
CDN.

``assert_no_serious_violations(page)`` runs axe on the current page and fails with a readable list
of every critical or serious violation (rule, impact, the first offending nodes).
"""

import os
import pathlib

import pytest

AXE_JS = pathlib.Path(__file__).resolve().parents[2] / ".venv" / "node" / "axe.min.js"
AXE_PATH = "/__axe__/axe.min.js"
BLOCKING = ("critical", "serious")


def axe_source() -> pathlib.Path:
    if not AXE_JS.exists():
        message = f"{AXE_JS} is missing: `make install-dev` installs axe-core from npm."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE_JS


def install_axe(page, base_url: str) -> None:
    """Serve axe.min.js at <base>/__axe__/axe.min.js for this page (same origin, local file)."""
    source = axe_source()
    page.route(
        f"{base_url}{AXE_PATH}",
        lambda route: route.fulfill(path=str(source), content_type="application/javascript"),
    )


def axe_violations(page, base_url: str) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=f"{base_url}{AXE_PATH}")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.html.slice(0, 160)),
            }));
        }"""
    )
    return list(result)


def assert_no_serious_violations(page, base_url: str, label: str = "") -> None:
    blocking = [v for v in axe_violations(page, base_url) if v["impact"] in BLOCKING]
    if blocking:
        lines = [f"{label or page.url}: {len(blocking)} critical/serious axe violation(s)"]
        for v in blocking:
            lines.append(f"- {v['impact']} {v['id']}: {v['help']}")
            lines.extend(f"    {n}" for n in v["nodes"])
        raise AssertionError("\n".join(lines))
