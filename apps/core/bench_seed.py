"""A large synthetic health system, inserted in bulk, for ``make bench``.

Not the demo: ``seed_demo`` goes through the services one patient at a time (validation, audit,
jobs). This writes directly with ``bulk_create`` in large batches so that 10,000 patients with
500,000 assessments load in about a minute. Scores are still computed by
``apps.assessments.services.score_answers`` (the one scoring path), so the data is valid.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Clinician
from apps.assessments.models import Assessment
from apps.assessments.services import score_answers
from apps.careplans.models import CarePlan, Goal, Intervention
from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.medications.models import MedicationOrder
from apps.patients.models import CareTeamMember, Episode, Patient
from apps.scheduling.models import Appointment
from apps.teams.models import Team, TeamMembership

BENCH_PREFIX = "BENCH-"
BENCH_USER = "bench_clinician"
BENCH_PASSWORD = "bench-password-1"  # noqa: S105 - synthetic benchmark login, not a secret
BATCH = 5000

DISCIPLINES = [
    Discipline.PHYSICIAN,
    Discipline.PHYSICAL_THERAPIST,
    Discipline.PSYCHOLOGIST,
    Discipline.PAIN_SPECIALIST,
    Discipline.CARE_COORDINATOR,
]


@dataclass(frozen=True)
class BenchSize:
    patients: int = 10_000
    clinicians: int = 100
    teams: int = 20
    assessments: int = 500_000
    appointments: int = 100_000
    medications: int = 30_000

    def scaled(self, patients: int) -> BenchSize:
        f = patients / self.patients
        return BenchSize(
            patients=patients,
            clinicians=max(len(DISCIPLINES) * 2, round(self.clinicians * min(1, f * 2))),
            teams=max(2, round(self.teams * min(1, f * 2))),
            assessments=round(self.assessments * f),
            appointments=round(self.appointments * f),
            medications=round(self.medications * f),
        )


def _batches(items: Iterator[Any], size: int = BATCH) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _trajectory(rng: random.Random, start: float, improving: bool, n: int) -> list[float]:
    end = start * (0.35 if improving else 0.95)
    return [
        max(0.0, min(10.0, start + (end - start) * i / max(1, n - 1) + rng.uniform(-0.8, 0.8)))
        for i in range(n)
    ]


def seed_health_system(
    size: BenchSize, *, seed: int = 1, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Insert the health system. Idempotent by prefix: existing BENCH- data is removed first
    is NOT done (archived data is never deleted); run it on an empty database."""
    rng = random.Random(seed)
    today = clinic_today()
    now = timezone.now()
    tick = progress or (lambda stage, n: None)
    password = make_password(BENCH_PASSWORD)

    with transaction.atomic():
        teams = Team.objects.bulk_create(
            [Team(name=f"Bench team {i + 1:02d}") for i in range(size.teams)]
        )
        clinicians = Clinician.objects.bulk_create(
            [
                Clinician(
                    username=f"bench{i + 1:03d}",
                    first_name="Bench",
                    last_name=f"Clinician {i + 1}",
                    email=f"bench{i + 1}@clinic.example",
                    discipline=DISCIPLINES[i % len(DISCIPLINES)],
                    password=password,
                )
                for i in range(size.clinicians)
            ]
        )
        bench_user = Clinician.objects.create(
            username=BENCH_USER,
            first_name="Bench",
            last_name="Physician",
            discipline=Discipline.PHYSICIAN,
            password=password,
            email="bench@clinic.example",
        )
        memberships = [
            TeamMembership(team=teams[i % size.teams], clinician=c, is_lead=(i < size.teams))
            for i, c in enumerate(clinicians)
        ]
        # The benchmark clinician sees two teams: ~1,000 patients at the default size.
        memberships += [TeamMembership(team=t, clinician=bench_user) for t in teams[:2]]
        TeamMembership.objects.bulk_create(memberships)
    team_members: dict[int, list[Clinician]] = {t.pk: [] for t in teams}
    for m in memberships:
        if m.clinician.username != BENCH_USER:
            team_members[m.team_id].append(m.clinician)
    tick("teams", size.teams)

    # Patients, episodes, care teams, plans.
    patients: list[Patient] = []
    for batch in _batches(
        Patient(
            mrn=f"{BENCH_PREFIX}{i + 1:07d}",
            first_name=f"Pat{i + 1}",
            last_name=f"Bench{(i * 7919) % 100000:05d}",
            date_of_birth=dt.date(
                1940 + rng.randrange(60), 1 + rng.randrange(12), 1 + rng.randrange(28)
            ),
            email=f"p{i + 1}@patient.example",
            phone=f"+1555{i + 1:07d}",
            team=teams[i % size.teams],
            work_status=rng.choice(["working", "working", "modified_duty", "off_work", "retired"]),
            work_status_since=today - dt.timedelta(days=rng.randrange(10, 200)),
        )
        for i in range(size.patients)
    ):
        patients += Patient.objects.bulk_create(batch)
        tick("patients", len(batch))
    onsets = {
        p.pk: today
        - dt.timedelta(
            days=rng.choice([rng.randrange(3, 28), rng.randrange(28, 85), rng.randrange(85, 400)])
        )
        for p in patients
    }
    episodes: list[Episode] = []
    for batch in _batches(Episode(patient=p, onset=onsets[p.pk]) for p in patients):
        episodes += Episode.objects.bulk_create(batch)
    care = []
    for e, p in zip(episodes, patients, strict=True):
        members = team_members[p.team_id]
        for j, clinician in enumerate(rng.sample(members, min(4, len(members)))):
            care.append(
                CareTeamMember(
                    episode=e,
                    clinician=clinician,
                    role=clinician.discipline,
                    start=e.onset,
                    is_lead=j == 0,
                )
            )
    for batch in _batches(iter(care)):
        CareTeamMember.objects.bulk_create(batch)
    plans: list[CarePlan] = []
    for batch in _batches(
        CarePlan(episode=e, title="Programme", started_on=e.onset) for e in episodes
    ):
        plans += CarePlan.objects.bulk_create(batch)
    kinds = [
        ("exercise_programme", Discipline.PHYSICAL_THERAPIST),
        ("pt_visits", Discipline.PHYSICAL_THERAPIST),
        ("psychological_therapy", Discipline.PSYCHOLOGIST),
        ("medication", Discipline.PHYSICIAN),
        ("education", Discipline.PAIN_SPECIALIST),
        ("return_to_work", Discipline.CARE_COORDINATOR),
    ]
    Intervention.objects.bulk_create(
        [
            Intervention(
                plan=pl,
                kind=k,
                discipline=d,
                description=k.replace("_", " "),
                status="active",
                start_date=pl.started_on,
            )
            for pl in plans
            for k, d in kinds
            if rng.random() < 0.85
        ],
        batch_size=BATCH,
    )
    Goal.objects.bulk_create(
        [
            Goal(
                plan=pl,
                measure=m,
                description=f"{m} improved 30%",
                due_on=pl.started_on + dt.timedelta(days=84),
            )
            for pl in plans
            for m in ("nrs", "peg", "odi")
        ],
        batch_size=BATCH,
    )
    tick("episodes", len(episodes))

    # Assessments: weekly-ish series per patient, scores from the one scoring path.
    per_patient = max(1, size.assessments // size.patients)
    mix = ["nrs"] * 8 + ["peg"] * 5 + ["odi"] * 3 + ["phq9"] * 2 + ["sleep"] * 2

    def assessments() -> Iterator[Assessment]:
        for e, p in zip(episodes, patients, strict=True):
            days = max(1, (today - e.onset).days)
            improving = rng.random() < 0.6
            pain = _trajectory(rng, rng.uniform(5, 9), improving, per_patient)
            for k in range(per_patient):
                instrument = mix[k % len(mix)]
                level = pain[k]
                if instrument == "nrs":
                    answers: dict[str, Any] = {"value": round(level)}
                elif instrument == "peg":
                    answers = {
                        "pain": round(level),
                        "enjoyment": round(max(0, level - 1)),
                        "activity": round(min(10, level + 0.5)),
                    }
                elif instrument == "odi":
                    answers = {
                        "sections": [
                            min(5, round(level / 2 + rng.uniform(-1, 1))) for _ in range(10)
                        ]
                    }
                elif instrument == "phq9":
                    answers = {
                        "items": [rng.choice([0, 0, 1, 1, 2]) for _ in range(8)]
                        + [0 if rng.random() > 0.01 else 1]
                    }
                else:
                    answers = {"value": round(10 - level)}
                for key in ("sections", "items"):
                    if key in answers:
                        answers[key] = [max(0, v) for v in answers[key]]
                scored = score_answers(instrument, answers)
                taken = now - dt.timedelta(
                    days=days * (per_patient - k) / per_patient, hours=rng.randrange(8)
                )
                yield Assessment(
                    patient_id=p.pk,
                    episode_id=e.pk,
                    instrument=instrument,
                    answers=scored.answers,
                    score=scored.score,
                    subscore=scored.subscore,
                    band=scored.band,
                    self_harm=scored.self_harm,
                    taken_at=taken,
                )

    for batch in _batches(assessments()):
        Assessment.objects.bulk_create(batch)
        tick("assessments", len(batch))

    per_patient_appts = max(1, size.appointments // size.patients)

    def appointments() -> Iterator[Appointment]:
        for e, p in zip(episodes, patients, strict=True):
            for k in range(per_patient_appts):
                offset = rng.randrange(-120, 30)
                status = (
                    "booked"
                    if offset >= 0
                    else rng.choice(["fulfilled"] * 8 + ["noshow", "cancelled"])
                )
                yield Appointment(
                    patient_id=p.pk,
                    episode_id=e.pk,
                    discipline=Discipline.PHYSICAL_THERAPIST if k % 2 else Discipline.PHYSICIAN,
                    kind="pt_visit" if k % 2 else "physician_visit",
                    status=status,
                    starts_at=now + dt.timedelta(days=offset, hours=rng.randrange(8)),
                )

    for batch in _batches(appointments()):
        Appointment.objects.bulk_create(batch)
        tick("appointments", len(batch))

    choices = [
        ("celecoxib", "cox2_inhibitor", "", Decimal(200)),
        ("gabapentin", "anticonvulsant", "", Decimal(900)),
        ("doxepin", "tricyclic", "", Decimal(10)),
        ("morphine ER", "opioid_long", "morphine", Decimal(60)),
        ("oxycodone", "opioid_short", "oxycodone", Decimal(20)),
    ]

    def medications() -> Iterator[MedicationOrder]:
        for n in range(size.medications):
            i = n % len(episodes)
            e = episodes[i]
            drug, klass, opioid, daily = choices[
                rng.randrange(len(choices)) if rng.random() < 0.25 else n % 3
            ]
            mme = None
            if opioid:
                from apps.clinical.scoring import daily_mme

                mme = Decimal(str(round(daily_mme(opioid, daily), 2)))
            yield MedicationOrder(
                episode_id=e.pk,
                drug=drug,
                drug_class=klass,
                opioid=opioid,
                dose=daily / 2,
                frequency="twice daily",
                daily_dose=daily,
                daily_mme=mme,
                start_date=e.onset,
                last_reviewed_on=e.onset + dt.timedelta(days=14),
            )

    for batch in _batches(medications()):
        MedicationOrder.objects.bulk_create(batch)
        tick("medications", len(batch))
    return {
        "teams": size.teams,
        "clinicians": size.clinicians + 1,
        "patients": len(patients),
        "assessments": Assessment.objects.filter(patient__mrn__startswith=BENCH_PREFIX).count(),
        "appointments": Appointment.objects.filter(patient__mrn__startswith=BENCH_PREFIX).count(),
        "medications": MedicationOrder.objects.filter(
            episode__patient__mrn__startswith=BENCH_PREFIX
        ).count(),
    }
