"""After an action the keyboard focus lands on the next actionable item, not the page top."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _active(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
            const f = e.closest('[id^="flag-"]');
            return {tag: e.tagName, name: e.name || '', text: (e.innerText || '').trim(),
                    flag: f ? f.id : null, inFlags: !!e.closest('#flags')}; }"""
    )


def test_focus_moves_to_the_next_actionable_item_after_acknowledge_and_resolve(
    page, live_server, demo
):
    from tests.factories import FlagFactory

    patient = demo["patient"]
    second = FlagFactory(
        patient=patient,
        episode=demo["flag"].episode,
        rule_code="sleep_disruption",
        severity="info",
        summary="Sleep disturbed on 3 of the last 4 check-ins",
        evidence={"reason": "Sleep disturbed on most recent check-ins."},
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("demo_physician")
    page.get_by_label("Password").fill(demo["password"])
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}{reverse('dashboard:patient', args=[patient.pk])}")

    flag_id = f"flag-{demo['flag'].pk}"
    page.locator(f"#{flag_id}").get_by_role("button", name=re.compile(r"^Acknowledge")).click()
    expect(page.get_by_role("status")).to_contain_text("acknowledged")
    focused = _active(page)
    # Still on the same flag, on its next action (the resolution note), not the page top.
    assert focused["flag"] == flag_id and focused["name"] == "note", focused
    assert page.evaluate("window.scrollY") > 0

    page.locator(f"#{flag_id}").get_by_label("Resolution note").fill(
        "Reviewed; programme progressed."
    )
    page.locator(f"#{flag_id}").get_by_role("button", name=re.compile(r"^Resolve")).click()
    expect(page.get_by_role("status")).to_contain_text("resolved")
    focused = _active(page)
    # The next open flag's first action has the focus.
    assert focused["flag"] == f"flag-{second.pk}", focused
