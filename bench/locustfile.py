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
``LOADTEST_LOGINS`` is how many exist and ``LOADTEST_PASSWORD`` their password.

Every request is also recorded here and, when locust stops, summarised into the JSON file
``LOADTEST_RECORD``: requests and errors over the whole run (sign-ins included), and the
response-time percentiles both over the whole run and in the steady state (after every user
has been started and signed in).
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections import defaultdict
from itertools import count
from typing import Any

from locust import HttpUser, between, events, task

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TAKEN_AT = re.compile(r'name="taken_at" value="([^"]+)"')
PATIENT_LINK = re.compile(r'href="/patients/(\d+)/"')

LOGINS = int(os.environ.get("LOADTEST_LOGINS", "20"))
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

# (method, name, response time ms, failed, in the steady state)
_records: list[tuple[str, str, float, bool, bool]] = []
_state: dict[str, Any] = {"steady": False, "signed_in": 0, "started": time.time(), "steady_at": 0.0}


def _signed_in(environment: Any) -> None:
    """The steady state begins when every user has been started and has signed in."""
    _state["signed_in"] += 1
    target = getattr(environment.runner, "target_user_count", None) or 0
    if not _state["steady"] and _state["signed_in"] >= target > 0:
        _state["steady"] = True
        _state["steady_at"] = time.time()


@events.request.add_listener
def _record(
    request_type: str, name: str, response_time: float, exception: Any = None, **_: Any
) -> None:
    _records.append((request_type, name, response_time, exception is not None, _state["steady"]))


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))], 1)


def _summary(rows: list[tuple[str, str, float, bool, bool]], seconds: float) -> dict[str, Any]:
    times = [r[2] for r in rows]
    return {
        "requests": len(rows),
        "errors": sum(1 for r in rows if r[3]),
        "requests_per_s": round(len(rows) / seconds, 2) if seconds > 0 else 0.0,
        "median_ms": _percentile(times, 50),
        "p95_ms": _percentile(times, 95),
        "p99_ms": _percentile(times, 99),
        "max_ms": round(max(times), 1) if times else 0.0,
    }


@events.quitting.add_listener
def _write_record(**_: Any) -> None:
    path = os.environ.get("LOADTEST_RECORD")
    if not path:
        return
    end = time.time()
    steady = [r for r in _records if r[4]]
    by_name: dict[str, list[tuple[str, str, float, bool, bool]]] = defaultdict(list)
    for r in _records:
        by_name[f"{r[0]} {r[1]}"].append(r)
    whole_s = end - _state["started"]
    steady_s = end - _state["steady_at"] if _state["steady_at"] else 0.0
    result = {
        "whole_run": {**_summary(_records, whole_s), "seconds": round(whole_s, 1)},
        "steady_state": {**_summary(steady, steady_s), "seconds": round(steady_s, 1)},
        "steady_state_began_after_s": round(_state["steady_at"] - _state["started"], 1)
        if _state["steady_at"]
        else None,
        "pages": {
            name: {
                "whole_run": _summary(rows, whole_s),
                "steady_state": _summary([r for r in rows if r[4]], steady_s),
            }
            for name, rows in sorted(by_name.items())
        },
    }
    with open(path, "w") as f:
        json.dump(result, f, indent=2)


# Think time between pages, seconds (LOADTEST_WAIT="min-max"): 1-3 s is several times a real
# clinician's pace, so 50 users are a stress load, not a typical morning.
_WAIT = [float(x) for x in os.environ.get("LOADTEST_WAIT", "1-3").split("-", 1)]


class Clinician(HttpUser):
    wait_time = between(_WAIT[0], _WAIT[-1])

    def on_start(self) -> None:
        self.username = f"bench{next(_numbers) % LOGINS + 1:03d}"
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
        _signed_in(self.environment)

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
