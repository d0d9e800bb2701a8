"""A safety flag in Chromium: no snooze is offered, and acknowledging the urgent self-harm flag
needs a reason (the browser will not submit the form without one; the server refuses it too)."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.axe import assert_no_serious_violations, install_axe

pytestmark = pytest.mark.browser


def test_a_clinician_acknowledges_a_self_harm_flag_with_a_reason_and_cannot_snooze_it(
    page, live_server, demo
):
    from apps.flags.models import Flag
    from tests.factories import FlagFactory

    patient = demo["patient"]
    flag = FlagFactory(
        patient=patient,
        episode=demo["flag"].episode,
        rule_code="self_harm_risk",
        severity="urgent",
        summary="PHQ-9 item 9 answered 2 (more than half the days)",
        evidence={"reason": "PHQ-9 item 9 is a safety finding whatever the total."},
    )
    install_axe(page, live_server.url)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("demo_physician")
    page.get_by_label("Password").fill(demo["password"])
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}{reverse('dashboard:patient', args=[patient.pk])}")

    card = page.locator(f"#flag-{flag.pk}")
    expect(card.get_by_role("button", name=re.compile(r"^Snooze"))).to_have_count(0)
    expect(card).to_contain_text("Safety flag: it cannot be snoozed.")
    # The other (non-safety) flag still offers a snooze.
    expect(
        page.locator(f"#flag-{demo['flag'].pk}").get_by_role("button", name=re.compile(r"^Snooze"))
    ).to_have_count(1)
    assert_no_serious_violations(page, live_server.url)

    card.get_by_role("button", name=re.compile(r"^Acknowledge")).click()
    flag.refresh_from_db()
    assert flag.status == "open"  # the browser would not send it without a reason

    card.get_by_label("Reason for acknowledging").fill("Called the patient; safety plan agreed")
    card.get_by_role("button", name=re.compile(r"^Acknowledge")).click()
    expect(page.get_by_role("status")).to_contain_text("acknowledged")
    expect(page.locator(f"#flag-{flag.pk}")).to_contain_text("safety plan agreed")
    flag = Flag.objects.get(pk=flag.pk)
    assert (flag.status, flag.acknowledgement_note) == (
        "acknowledged",
        "Called the patient; safety plan agreed",
    )
