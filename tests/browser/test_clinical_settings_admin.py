"""An admin edits a clinical threshold in Chromium: the threshold is listed without anyone
creating it, a value outside the allowed range is refused next to the field, a valid one is saved."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_no_serious_violations, install_axe

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


def test_an_admin_edits_a_clinical_threshold_in_the_browser(page, live_server, transactional_db):
    from apps.clinical.models import ClinicalSetting
    from apps.clinical.selectors import threshold
    from tests.factories import ClinicianFactory

    ClinicianFactory(
        username="site_admin", is_staff=True, is_superuser=True, discipline="", password=PASSWORD
    )
    install_axe(page, live_server.url)
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("site_admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/clinical/clinicalsetting/")

    row = page.locator("tr", has_text="MME warning")
    expect(row).to_contain_text("CDC 2022: pause and reassess before >= 50 MME/day")
    expect(row).to_contain_text("1–500")
    assert ClinicalSetting.objects.count() > 20
    assert_no_serious_violations(page, live_server.url)

    row.get_by_role("link", name="MME warning").click()
    page.get_by_label("Value").fill("600")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("Must be between 1 and 500 MME/day.")
    assert threshold("mme_warning") == Decimal("50")

    page.get_by_label("Value").fill("40")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("changed successfully")
    assert threshold("mme_warning") == Decimal("40")
