"""axe-core on every clinician page, the patient check-in page and the Django admin, in Debian
Chromium: 0 critical and 0 serious violations. Screenshots of the caseload and the patient page at
1440, 1024 and 390 px go to test-artifacts/screenshots/ (CI) — docs/screenshots/ holds the copies
the README shows."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.axe import assert_no_serious_violations, install_axe

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1440, 900), "laptop": (1024, 768), "phone": (390, 844)}


def _log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def _clinician_pages(demo) -> list[str]:
    from apps.assessments.models import Assessment
    from apps.conferences.services import conference_create
    from apps.medications.models import MedicationOrder

    patient = demo["patient"]
    episode = patient.episodes.get(closed_on__isnull=True)
    conference = conference_create(
        actor=demo["physician"],
        team=demo["team"],
        scheduled_for=timezone.now() + dt.timedelta(days=2),
    )
    assessment = Assessment.objects.filter(patient=patient).order_by("-taken_at").first()
    order = MedicationOrder.objects.filter(episode=episode).first()
    urls = [
        reverse("dashboard:caseload"),
        reverse("dashboard:patient", args=[patient.pk]),
        reverse("dashboard:medication_new", args=[patient.pk]),
        reverse("dashboard:appointment_new", args=[patient.pk]),
        reverse("dashboard:note_new", args=[patient.pk]),
        reverse("dashboard:task_new", args=[patient.pk]),
        reverse("dashboard:episode_open", args=[patient.pk]),
        reverse("dashboard:assessment", args=[assessment.pk]),
        reverse("dashboard:medication_edit", args=[order.pk]),
        reverse("dashboard:worklist"),
        reverse("dashboard:inbox"),
        reverse("dashboard:conferences"),
        reverse("dashboard:conference", args=[conference.pk]),
        reverse("dashboard:team_overview"),
    ]
    for instrument in ("nrs", "peg", "odi", "phq9", "gad7", "start_back"):
        urls.append(reverse("dashboard:assessment_new", args=[patient.pk, instrument]))
    return urls


def test_every_clinician_page_has_no_serious_axe_violations(page, live_server, demo):
    base = live_server.url
    install_axe(page, base)
    _log_in(page, base, "demo_physician", demo["password"])
    failures = []
    for path in _clinician_pages(demo):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path
        try:
            assert_no_serious_violations(page, base, label=path)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("width", WIDTHS)
def test_caseload_and_patient_page_at_three_widths(browser, live_server, demo, screenshots, width):
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h}, locale="en-US")
    page = context.new_page()
    base = live_server.url
    install_axe(page, base)
    try:
        _log_in(page, base, "demo_physician", demo["password"])
        page.goto(f"{base}{reverse('dashboard:caseload')}")
        # The open flag's reason is visible at every width, and nothing overflows the viewport.
        rivera = page.locator("table.caseload tbody tr, .caseload-card").filter(
            has=page.get_by_role("link", name="Rivera, Elena")
        )
        expect(rivera.get_by_text("Stalled recovery").first).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"caseload is {overflow}px wider than the {w}px viewport"
        cut = page.evaluate(
            "(() => { const s = document.querySelector('.caseload').closest('.table-scroll');"
            " return s.scrollWidth - s.clientWidth; })()"
        )
        assert cut <= 0, f"{cut}px of the caseload table is cut off at {w}px"
        # The worst flag's reason is readable text, not only a tooltip.
        expect(rivera.get_by_text("No meaningful improvement").first).to_be_visible()
        if width == "phone":
            # A card per patient: name, worst flag with its reason, overdue-by, next appointment.
            expect(rivera.locator("td.col-next")).to_be_visible()
            expect(rivera.locator("td.col-next")).to_contain_text(":")
            expect(rivera.locator("td.col-overdue")).to_be_visible()
            assert rivera.bounding_box()["width"] <= w
        assert_no_serious_violations(page, base, label=f"caseload@{w}")
        page.screenshot(path=str(screenshots / f"caseload-{w}.png"), full_page=True)

        page.goto(f"{base}{reverse('dashboard:patient', args=[demo['patient'].pk])}")
        expect(page.get_by_role("heading", name="Elena Rivera", level=1)).to_be_visible()
        # The header names the worst open flag; the sections come in the order a clinician reads.
        expect(page.locator(".patient-header .worst-flag")).to_contain_text("Stalled recovery")
        order = page.evaluate(
            "[...document.querySelectorAll('main section[id]')].map(s => s.id)"
            ".filter(i => ['flags','outcomes','medications','care-team','plan','timeline']"
            ".includes(i))"
        )
        assert order == ["flags", "outcomes", "medications", "care-team", "plan", "timeline"]
        expect(page.locator("#medications")).to_contain_text("MME/day")
        # Charts readable: >= 360 px wide on desktop, axis labels >= 11 px as rendered.
        charts = page.evaluate(
            """[...document.querySelectorAll('svg.chart')].map(svg => {
                const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                const t = svg.querySelector('.chart-axis');
                return {width: svg.getBoundingClientRect().width,
                        label: parseFloat(getComputedStyle(t).fontSize) * scale};
            })"""
        )
        assert charts, "no chart on the patient page"
        for chart in charts:
            assert chart["label"] >= 11, chart
            if width != "phone":
                assert chart["width"] >= 360, chart
        # The timeline shows the latest 10 events; the rest are behind a disclosure.
        assert page.locator("#timeline > ol.timeline > li").count() <= 10
        assert_no_serious_violations(page, base, label=f"patient@{w}")
        page.screenshot(path=str(screenshots / f"patient-{w}.png"), full_page=True)
    finally:
        context.close()


def test_checkin_page_on_a_phone_has_no_serious_axe_violations(browser, live_server, demo):
    from apps.messaging.services import checkin_create

    patient = demo["patient"]
    _, url = checkin_create(patient=patient, episode=patient.episodes.first())
    path = url[url.index("/checkin/") :]
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    try:
        install_axe(page, live_server.url)
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200
        assert_no_serious_violations(page, live_server.url, label="checkin@390")
    finally:
        context.close()


def test_admin_changelists_and_change_pages_have_no_serious_axe_violations(page, live_server, demo):
    from django.contrib import admin

    from tests.factories import ClinicianFactory

    ClinicianFactory(username="axe_admin", is_staff=True, is_superuser=True, password="pw-axe-123!")
    base = live_server.url
    install_axe(page, base)
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill("axe_admin")
    page.get_by_label("Password").fill("pw-axe-123!")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_be_visible()
    failures = []
    for model, _model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        pages = [changelist]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            )
        for path in pages:
            response = page.goto(f"{base}{path}")
            if response is None or response.status != 200:
                continue  # pages a superuser may not open (e.g. append-only audit rows) are not shown
            try:
                assert_no_serious_violations(page, base, label=path)
            except AssertionError as exc:
                failures.append(str(exc))
    assert not failures, "\n".join(failures)
