"""The patient check-in in Chromium on a phone (390×844): open the link from the reminder, answer
every question, send. A real browser sends an Origin header (Django's client does not): this is
the test that shows the form can be submitted at all."""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_no_serious_violations, install_axe

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_a_patient_answers_every_question_on_a_phone_and_the_link_is_then_spent(
    browser, live_server, demo
):
    from django.conf import settings

    from apps.assessments.models import Assessment
    from apps.messaging.models import CheckIn
    from apps.messaging.services import checkin_create

    patient = demo["patient"]
    episode = patient.episodes.get()
    before = Assessment.objects.filter(patient=patient, reported_by="patient").count()
    checkin, url = checkin_create(patient=patient, episode=episode)
    url = url.replace(settings.SITE_URL.rstrip("/"), live_server.url)

    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale="en-US"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        install_axe(page, live_server.url)
        posts: list[dict] = []
        page.on(
            "request",
            lambda r: posts.append(r.headers) if r.method == "POST" else None,
        )
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_contain_text(patient.first_name)
        assert_no_serious_violations(page, live_server.url, "check-in at 390 px")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        answers = {"pain_now": "4", "peg_pain": "5", "peg_enjoyment": "3", "peg_activity": "4"}
        answers["sleep_quality"] = "6"
        for name, value in answers.items():
            page.locator(f'input[name="{name}"][value="{value}"]').check()
        page.get_by_label("Working, modified duties or hours").check()
        page.get_by_role("button", name="Send my answers").click()

        expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")
        assert posts and posts[0].get("origin") == live_server.url  # not "null"
        assert_no_serious_violations(page, live_server.url, "check-in done at 390 px")

        stored = Assessment.objects.filter(patient=patient, reported_by="patient")
        assert stored.count() == before + 4  # pain NRS, PEG, sleep, work status
        assert {a.instrument for a in stored.order_by("-pk")[:4]} == {
            "nrs",
            "peg",
            "sleep",
            "work_status",
        }
        assert CheckIn.objects.get(pk=checkin.pk).used_at is not None

        page.goto(url)  # the link is spent
        expect(page.get_by_role("heading", level=1)).to_contain_text("already been completed")
    finally:
        context.close()
