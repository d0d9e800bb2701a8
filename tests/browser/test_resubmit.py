"""A form sent twice in Chromium saves once: back and submit again, and a second click on the
submit button while the first is being saved, each create one task (the form's one-time submission key,
apps/core/idempotency.py)."""

import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TITLE = "Call about the home exercise programme"


def log_in(page, base: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("demo_physician")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Caseload", level=1)).to_be_visible()


def fill_task(page) -> None:
    page.get_by_role("textbox", name="Task").fill(TITLE)
    page.get_by_label("Why").fill("Missed the last PT visit")
    page.get_by_label("…or to a discipline's queue").select_option("physical_therapist")


def test_back_and_submit_again_saves_the_task_once(page, live_server, demo):
    from apps.worklist.models import Task

    patient = demo["patient"]
    log_in(page, live_server.url, demo["password"])
    page.goto(f"{live_server.url}{reverse('dashboard:task_new', args=[patient.pk])}")
    fill_task(page)
    page.get_by_role("button", name="Create task").click()
    expect(page.get_by_role("status")).to_contain_text("created")
    assert Task.objects.filter(title=TITLE).count() == 1

    page.go_back()  # the filled form again, as the browser kept it
    expect(page.get_by_role("textbox", name="Task")).to_have_value(TITLE)
    page.get_by_role("button", name="Create task").click()
    expect(page.get_by_role("status")).to_contain_text("Already saved")
    expect(page.get_by_role("heading", name=patient.full_name, level=1)).to_be_visible()
    assert Task.objects.filter(title=TITLE).count() == 1


def test_a_second_click_on_submit_saves_the_task_once(page, live_server, demo, monkeypatch):
    from apps.dashboard.views import records
    from apps.worklist.models import Task

    real = records.task_create

    def slow_task_create(**kwargs):
        time.sleep(0.5)  # the second click lands while the first request is being saved
        return real(**kwargs)

    monkeypatch.setattr(records, "task_create", slow_task_create)
    patient = demo["patient"]
    log_in(page, live_server.url, demo["password"])
    page.goto(f"{live_server.url}{reverse('dashboard:task_new', args=[patient.pk])}")
    fill_task(page)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    # Two clicks 200 ms apart: the second while the first is still being saved.
    page.evaluate(
        """() => { const b = [...document.querySelectorAll('button[type=submit]')]
                     .find(e => e.textContent.trim() === 'Create task');
                   b.click(); setTimeout(() => b.click(), 200); }"""
    )
    expect(page.get_by_role("heading", name=patient.full_name, level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Already saved")
    time.sleep(1.2)  # both requests have finished on the server
    assert len(posts) == 2  # the browser did send the form twice
    assert Task.objects.filter(title=TITLE).count() == 1
