"""The issue's scenario in a real browser: a physician logs in, finds the flagged patient from
the caseload, reads the chart, acknowledges then resolves the flag with a note, records a PEG and
sees the caseload update — and the same login and caseload by keyboard alone."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def assert_every_control_is_labelled(page) -> None:
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                         && !(e.tagName === 'BUTTON' && e.textContent.trim()))
            .map(e => e.outerHTML.slice(0, 120))"""
    )
    assert unlabelled == []
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0


def log_in(page, base: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("demo_physician")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Caseload", level=1)).to_be_visible()


def test_physician_works_a_stalled_recovery_flag(page, live_server, demo, screenshots):
    log_in(page, live_server.url, demo["password"])

    # The caseload: the flagged patient's row shows the flag by text and icon.
    row = page.locator(
        "table.caseload tbody tr", has=page.get_by_role("link", name="Rivera, Elena")
    )
    expect(row).to_contain_text("Warning")
    expect(row).to_contain_text("Stalled recovery")
    expect(row.locator(".sev-icon")).to_have_count(1)
    assert_every_control_is_labelled(page)
    page.screenshot(path=str(screenshots / "caseload.png"), full_page=True)

    row.get_by_role("link", name="Rivera, Elena").click()
    expect(page.get_by_role("heading", name="Elena Rivera", level=1)).to_be_visible()

    # The chart: inline SVG with its accessible title and a text summary next to it.
    chart = page.locator("svg#chart-nrs")
    expect(chart).to_be_visible()
    expect(chart.locator("title#chart-nrs-title")).to_have_text("Pain NRS (0–10) over time")
    expect(chart.locator(".chart-band")).to_have_count(1)
    assert page.get_by_role("img", name="Pain NRS (0–10) over time").count() == 1
    expect(page.locator("#chart-nrs + .chart-summary")).to_contain_text("No meaningful change")
    expect(page.locator("#flags")).to_contain_text(
        "No meaningful improvement in NRS, PEG since the plan's baseline."
    )
    assert_every_control_is_labelled(page)
    page.screenshot(path=str(screenshots / "patient.png"), full_page=True)

    # Acknowledge, then resolve with a note.
    page.get_by_role("button", name=re.compile(r"^Acknowledge")).click()
    expect(page.get_by_role("status")).to_contain_text("acknowledged")
    expect(page.locator(f"#flag-{demo['flag'].pk}")).to_contain_text("Acknowledged by Dr Maya Chen")
    page.get_by_label("Resolution note").fill(
        "Reviewed at clinic: progressing the programme, CBT referral."
    )
    page.get_by_role("button", name=re.compile(r"^Resolve")).click()
    expect(page.get_by_role("status")).to_contain_text("resolved")
    expect(page.locator("#flags")).to_contain_text("No open flags.")
    demo["flag"].refresh_from_db()
    assert demo["flag"].status == "resolved"
    assert demo["flag"].resolution_note.startswith("Reviewed at clinic")

    # Record a PEG.
    page.get_by_role("link", name="PEG", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Record PEG")
    assert_every_control_is_labelled(page)
    page.get_by_label(re.compile(r"^1\. What number best describes your pain")).select_option("3")
    page.get_by_label(re.compile(r"^2\. .*enjoyment of life")).select_option("2")
    page.get_by_label(re.compile(r"^3\. .*general activity")).select_option("4")
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_role("status")).to_contain_text("PEG recorded: 3.")

    # The caseload shows the new latest PEG.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload").click()
    row = page.locator(
        "table.caseload tbody tr", has=page.get_by_role("link", name="Rivera, Elena")
    )
    expect(row.locator('td[data-col="peg"] .value')).to_have_text("3")
    expect(row).not_to_contain_text("Stalled recovery")


def _focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement; const s = getComputedStyle(e);
        return {id: e.id, tag: e.tagName, cls: e.className, text: (e.innerText || e.value || '').trim(),
                outline: s.outlineStyle}; }"""
    )


def _tab_until(page, predicate, limit: int = 80) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if predicate(focused):
            return focused
    raise AssertionError(f"never reached the element by Tab (last: {focused})")


def test_keyboard_only_login_and_caseload(page, live_server, demo):
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("document.activeElement && document.activeElement.blur()")

    _tab_until(page, lambda f: f["id"] == "id_username")
    page.keyboard.type("demo_physician")
    assert _tab_until(page, lambda f: f["id"] == "id_password", limit=2)["tag"] == "INPUT"
    page.keyboard.type(demo["password"])
    submit = _tab_until(page, lambda f: f["tag"] == "BUTTON", limit=2)
    assert submit["text"] == "Log in" and submit["outline"] != "none"  # focus is visible
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Caseload", level=1)).to_be_visible()

    # The first Tab reaches the skip link; Enter skips the navigation.
    skip = _tab_until(page, lambda f: True, limit=1)
    assert skip["text"] == "Skip to main content"
    page.keyboard.press("Enter")
    link = _tab_until(page, lambda f: "patient-link" in f["cls"])
    assert link["outline"] != "none"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(link["text"].split(", ")[0])
    )
