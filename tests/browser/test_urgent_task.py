"""Completing an urgent task in Chromium: the worklist asks for the outcome note, the browser
will not submit without it, and the note is stored with the completed task."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.axe import assert_no_serious_violations, install_axe

pytestmark = pytest.mark.browser


def test_a_clinician_completes_an_urgent_task_with_an_outcome_note(page, live_server, demo):
    from apps.worklist.models import Task
    from tests.factories import TaskFactory

    task = TaskFactory(
        patient=demo["patient"],
        assignee=demo["physician"],
        title="Same-day cauda equina assessment",
        priority="stat",
    )
    install_axe(page, live_server.url)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("demo_physician")
    page.get_by_label("Password").fill(demo["password"])
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}{reverse('dashboard:worklist')}")
    assert_no_serious_violations(page, live_server.url)

    complete = page.get_by_role("button", name=re.compile(r"^Complete “Same-day cauda"))
    complete.click()
    task.refresh_from_db()
    assert task.status == "open"  # the browser would not send it without a note

    page.get_by_label(re.compile(r"^Outcome note for “Same-day cauda")).fill(
        "Examined in clinic; urgent MRI booked for today"
    )
    complete.click()
    expect(page.get_by_role("status")).to_contain_text("completed")
    task = Task.objects.get(pk=task.pk)
    assert (task.status, task.outcome_note) == (
        "completed",
        "Examined in clinic; urgent MRI booked for today",
    )
