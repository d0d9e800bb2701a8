"""Load test: clinicians signing in and working their caseloads (``make loadtest``).

Each simulated clinician signs in through the login page (CSRF token from the form), then,
with a short think time between pages:

- browses the caseload: the default view, filters (phase, severity, risk, "my role"), sorted
  columns and later pages;
- opens patients found on the caseload page (the patient page: charts, plan, timeline);
- records a pain score through the assessment form on the patient page (GET the form, POST it
  with its CSRF token; the app re-evaluates the patient's rules on a Celery worker);
- looks at the worklist.

Users are the seeded clinicians ``bench001``… (``seed_bench``), one login per simulated user;
``LOADTEST_USERS`` is how many exist and ``LOADTEST_PASSWORD`` their password.
"""

from __future__ import annotations

import os
import random
import re
from itertools import count
from typing import Any

from locust import HttpUser, between, task

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TAKEN_AT = re.compile(r'name="taken_at" value="([^"]+)"')
PATIENT_LINK = re.compile(r'href="/patients/(\d+)/"')

USERS = int(os.environ.get("LOADTEST_USERS", "20"))
PASSWORD = os.environ.get("LOADTEST_PASSWORD", "bench-password-1")
FILTERS = [
    "phase=acute",
    "phase=subacute",
    "phase=chronic",
    "severity=urgent",
    "severity=warning",
    "risk=high",
    "role=any",
    "sort=name",
    "sort=-overdue",
    "sort=pain",
    "sort=next",
    "page=2",
    "page=3",
    "sort=name&page=2",
]
_numbers = count()


class Clinician(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.username = f"bench{next(_numbers) % USERS + 1:03d}"
        self.patients: list[str] = []
        page = self.client.get("/accounts/login/", name="login page")
        token = self._csrf(page.text)
        with self.client.post(
            "/accounts/login/",
            data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/accounts/login/"},
            allow_redirects=False,
            name="login",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login as {self.username}: HTTP {response.status_code}")
        self.caseload()

    @staticmethod
    def _csrf(html: str) -> str:
        match = CSRF_INPUT.search(html)
        return match[1] if match else ""

    def _remember_patients(self, html: str) -> None:
        found = PATIENT_LINK.findall(html)
        if found:
            self.patients = list(dict.fromkeys(found))

    @task(4)
    def caseload(self) -> None:
        response = self.client.get("/", name="caseload")
        self._remember_patients(response.text)

    @task(3)
    def filtered_caseload(self) -> None:
        query = random.choice(FILTERS)
        response = self.client.get(f"/?{query}", name="caseload (filter/sort/page)")
        self._remember_patients(response.text)

    @task(4)
    def patient(self) -> None:
        if self.patients:
            pid = random.choice(self.patients)
            self.client.get(f"/patients/{pid}/", name="patient page")

    @task(2)
    def record_pain_score(self) -> None:
        if not self.patients:
            return
        pid = random.choice(self.patients)
        url = f"/patients/{pid}/assessments/new/nrs/"
        form = self.client.get(url, name="assessment form")
        taken_at = TAKEN_AT.search(form.text)
        data: dict[str, Any] = {
            "csrfmiddlewaretoken": self._csrf(form.text),
            "taken_at": taken_at[1] if taken_at else "",
            "reported_by": "clinician",
            "value": random.randint(0, 10),
        }
        with self.client.post(
            url,
            data=data,
            headers={"Referer": f"{self.host}{url}"},
            allow_redirects=False,
            name="assessment form POST",
            catch_response=True,
        ) as response:
            if response.status_code != 302 or f"/patients/{pid}/" not in response.headers.get(
                "Location", ""
            ):
                response.failure(f"not recorded: HTTP {response.status_code}")

    @task(1)
    def worklist(self) -> None:
        self.client.get("/worklist/", name="worklist")
