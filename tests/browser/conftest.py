"""Playwright (sync API) in headless Debian Chromium against pytest-django's live_server.

Chromium comes from apt (/usr/bin/chromium). Without it these tests fail on CI (``CI`` set) and
are skipped on a bare developer machine.
"""

import datetime as dt
import os
import pathlib
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

# Playwright's sync API runs an event loop in this thread; Django would refuse ORM calls from it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def screenshots() -> pathlib.Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


START_BACK = {
    "low": {"agree": [True, True] + [False] * 6, "bothersomeness": "slightly"},
    "medium": {"agree": [True] * 5 + [False] * 3, "bothersomeness": "slightly"},
    "high": {
        "agree": [True, True, False, False, True, True, True, True],
        "bothersomeness": "very_much",
    },
}


def _at(days_ago: int, hour: int = 10) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


@pytest.fixture
def demo(transactional_db) -> dict[str, Any]:
    """A physician on a team with a small caseload; one patient (Rivera) has recovery stalled on
    the plan and an open flag with its evidence, as the rule engine writes it."""
    from apps.assessments.services import assessment_record
    from apps.core.choices import Discipline
    from apps.medications.services import medication_order_create
    from apps.patients.services import care_team_assign, episode_open, note_add
    from tests.factories import (
        AppointmentFactory,
        CarePlanFactory,
        ClinicianFactory,
        FlagFactory,
        GoalFactory,
        InterventionFactory,
        PatientFactory,
        TaskFactory,
        TeamFactory,
        TeamMembershipFactory,
    )

    team = TeamFactory(name="Northside Spine Team")
    physician = ClinicianFactory(
        username="demo_physician",
        first_name="Maya",
        last_name="Chen",
        title="Dr",
        discipline=Discipline.PHYSICIAN,
        password=PASSWORD,
        phone="+1-617-555-0100",
    )
    TeamMembershipFactory(team=team, clinician=physician)
    pt = ClinicianFactory(
        username="demo_pt",
        first_name="Daniel",
        last_name="Brooks",
        title="PT",
        discipline=Discipline.PHYSICAL_THERAPIST,
    )
    TeamMembershipFactory(team=team, clinician=pt)

    def patient(
        last: str,
        first: str,
        onset_days: int,
        pains: list[int],
        pegs: list[tuple[int, int, int]],
        *,
        born: int = 1975,
        sex: str = "female",
        odi: list[int] | None = None,
        risk: str = "medium",
    ):
        p = PatientFactory(
            team=team,
            last_name=last,
            first_name=first,
            sex=sex,
            date_of_birth=dt.date(born, 5, 17),
            phone="+1-617-555-01" + str(10 + PatientFactory._meta.model.objects.count()),
            mrn=f"DEMO-{1001 + PatientFactory._meta.model.objects.count()}",
        )
        episode = episode_open(
            actor=physician, patient=p, onset=timezone.localdate() - dt.timedelta(days=onset_days)
        )
        red_flag_screen(episode)
        care_team_assign(
            actor=physician,
            episode=episode,
            clinician=physician,
            role=Discipline.PHYSICIAN,
            is_lead=True,
            start=episode.onset,
        )
        care_team_assign(
            actor=physician,
            episode=episode,
            clinician=pt,
            role=Discipline.PHYSICAL_THERAPIST,
            start=episode.onset,
        )
        n = len(pains)
        assessment_record(
            actor=physician,
            patient=p,
            instrument="start_back",
            answers=START_BACK[risk],
            taken_at=_at(min(onset_days - 1, 7 * n)),
        )
        for i, (pain, peg) in enumerate(zip(pains, pegs, strict=True)):
            when = _at(1 + 7 * (n - 1 - i))
            assessment_record(
                actor=physician, patient=p, instrument="nrs", answers={"value": pain}, taken_at=when
            )
            assessment_record(
                actor=physician,
                patient=p,
                instrument="peg",
                answers=dict(zip(("pain", "enjoyment", "activity"), peg, strict=True)),
                taken_at=when,
            )
            if odi:
                total = round(odi[i] / 2)  # ODI % = sum / 50 x 100
                sections = [total // 10 + 1] * (total % 10) + [total // 10] * (10 - total % 10)
                assessment_record(
                    actor=physician,
                    patient=p,
                    instrument="odi",
                    answers={"sections": sections},
                    taken_at=when,
                )
        AppointmentFactory(
            patient=p, episode=episode, clinician=pt, starts_at=_at(-(1 + n), hour=9 + n)
        )
        return p, episode

    def red_flag_screen(episode):
        episode.red_flags_screened_on = episode.onset
        episode.save(update_fields=["red_flags_screened_on"])

    rivera, episode = patient(
        "Rivera",
        "Elena",
        63,
        [7, 7, 6, 7, 6, 7],
        [(7, 7, 6), (7, 6, 6), (6, 6, 6), (7, 6, 6), (6, 6, 7), (7, 6, 6)],
        born=1971,
        odi=[44, 44, 42, 44, 42, 44],
        risk="high",
    )
    plan = CarePlanFactory(
        episode=episode,
        started_on=episode.onset + dt.timedelta(days=28),
        title="Chronic multidisciplinary programme",
    )
    GoalFactory(
        plan=plan,
        measure="nrs",
        baseline=Decimal("7"),
        target=Decimal("3"),
        description="Pain at or below 3/10",
    )
    InterventionFactory(plan=plan, description="Home exercise programme, progressed weekly")
    medication_order_create(
        actor=physician,
        episode=episode,
        drug="celecoxib",
        drug_class="cox2_inhibitor",
        dose=Decimal("200"),
        frequency="once daily",
        daily_dose=Decimal("200"),
    )
    note_add(
        actor=physician, patient=rivera, episode=episode, body="Sleeping poorly; pacing discussed."
    )
    flag = FlagFactory(
        patient=rivera,
        episode=episode,
        rule_code="stalled_recovery",
        severity="warning",
        summary="No meaningful improvement in NRS, PEG after 5 weeks on the plan",
        evidence={
            "rule": "stalled_recovery",
            "checked_on": timezone.localdate().isoformat(),
            "episode_day": 63,
            "phase": "subacute",
            "thresholds": {
                "stalled_plan_weeks": "4",
                "mcid_nrs_points": "2",
                "mcid_odi_points": "10",
                "mcid_percent": "30",
            },
            "reason": "No meaningful improvement in NRS, PEG since the plan's baseline.",
            "plan_started_on": plan.started_on.isoformat(),
            "comparisons": [
                {
                    "instrument": "nrs",
                    "baseline": {
                        "instrument": "nrs",
                        "value": "7",
                        "taken_on": (timezone.localdate() - dt.timedelta(days=36)).isoformat(),
                    },
                    "latest": {
                        "instrument": "nrs",
                        "value": "7",
                        "taken_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
                    },
                    "change": "0",
                    "change_percent": "0",
                    "meaningful_if": "a change of 2 points or 30% of baseline",
                    "improved": False,
                }
            ],
        },
    )
    okafor, _ = patient(
        "Okafor", "James", 12, [8, 6, 4], [(8, 7, 7), (6, 5, 5), (4, 3, 4)], born=1988, sex="male"
    )
    patient(
        "Lindqvist",
        "Sara",
        120,
        [5, 5, 4, 4],
        [(5, 5, 5), (5, 4, 5), (4, 4, 4), (4, 4, 3)],
        born=1962,
        odi=[30, 28, 24, 22],
    )
    haddad, _ = patient(
        "Haddad",
        "Omar",
        30,
        [6, 5, 5],
        [(6, 6, 6), (5, 6, 5), (5, 5, 5)],
        born=1957,
        sex="male",
        risk="low",
    )
    FlagFactory(
        patient=haddad,
        rule_code="opioid_high_dose",
        severity="urgent",
        summary="Opioids total 96 MME/day (≥ 90)",
        evidence={"reason": "Total daily MME at or above 90.", "total_daily_mme": "96"},
    )
    patient(
        "Nakamura",
        "Yui",
        45,
        [7, 6, 6, 5],
        [(7, 7, 7), (6, 6, 7), (6, 6, 6), (5, 6, 5)],
        born=1980,
        odi=[38, 36, 34, 30],
    )
    TaskFactory(
        patient=okafor,
        team=team,
        discipline="care_coordinator",
        title="Call about the day-7 review",
        due_on=timezone.localdate() - dt.timedelta(days=3),
    )
    return {
        "team": team,
        "physician": physician,
        "patient": rivera,
        "flag": flag,
        "password": PASSWORD,
    }
