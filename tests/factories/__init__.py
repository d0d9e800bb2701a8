"""factory_boy factories for the domain. Tests build their data with these, not fixture files."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from apps.accounts.models import Clinician
from apps.assessments.models import Assessment
from apps.careplans.models import CarePlan, Goal, Intervention
from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.flags.models import Flag
from apps.medications.models import MedicationOrder
from apps.patients.models import CareTeamMember, Episode, Patient
from apps.scheduling.models import Appointment
from apps.teams.models import Team, TeamMembership
from apps.worklist.models import Task


class ClinicianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinician
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"clinician{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@clinic.example")
    discipline = Discipline.PHYSICIAN
    password = factory.django.Password("correct-horse-battery")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Spine team {n}")


class TeamMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    clinician = factory.SubFactory(ClinicianFactory)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = dt.date(1975, 5, 17)
    email = factory.LazyAttribute(lambda o: f"{o.mrn.lower()}@patient.example")
    team = factory.SubFactory(TeamFactory)


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Episode

    patient = factory.SubFactory(PatientFactory)
    onset = factory.LazyFunction(lambda: clinic_today() - dt.timedelta(days=3))


class CareTeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareTeamMember

    episode = factory.SubFactory(EpisodeFactory)
    clinician = factory.SubFactory(ClinicianFactory)
    role = factory.LazyAttribute(lambda o: o.clinician.discipline or Discipline.PHYSICIAN)
    start = factory.LazyAttribute(lambda o: o.episode.onset)


class CarePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CarePlan

    episode = factory.SubFactory(EpisodeFactory)
    title = "Care plan"
    started_on = factory.LazyAttribute(lambda o: o.episode.onset)


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    plan = factory.SubFactory(CarePlanFactory)
    measure = "nrs"
    description = "Pain at or below 3/10"
    target = Decimal("3")
    due_on = factory.LazyFunction(lambda: clinic_today() + dt.timedelta(days=28))


class InterventionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Intervention

    plan = factory.SubFactory(CarePlanFactory)
    kind = "exercise_programme"
    discipline = Discipline.PHYSICAL_THERAPIST
    description = "Home exercise programme"
    status = "active"
    start_date = factory.LazyAttribute(lambda o: o.plan.started_on)


class MedicationOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MedicationOrder

    episode = factory.SubFactory(EpisodeFactory)
    drug = "celecoxib"
    drug_class = "cox2_inhibitor"
    dose = Decimal("200")
    frequency = "once daily"
    daily_dose = Decimal("200")
    start_date = factory.LazyAttribute(lambda o: o.episode.onset)


class AssessmentFactory(factory.django.DjangoModelFactory):
    """A raw row. Prefer ``apps.assessments.services.assessment_record`` to get computed scores."""

    class Meta:
        model = Assessment

    episode = factory.SubFactory(EpisodeFactory)
    patient = factory.LazyAttribute(lambda o: o.episode.patient)
    instrument = "nrs"
    answers = factory.LazyAttribute(lambda o: {"value": 5})
    score = Decimal("5")
    taken_at = factory.LazyFunction(timezone.now)


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    episode = factory.SubFactory(EpisodeFactory)
    patient = factory.LazyAttribute(lambda o: o.episode.patient)
    discipline = Discipline.PHYSICAL_THERAPIST
    kind = "pt_visit"
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=2))


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    patient = factory.SubFactory(PatientFactory)
    team = factory.LazyAttribute(lambda o: o.patient.team)
    title = "Call the patient"
    reason = "Follow-up after a missed visit"
    discipline = Discipline.CARE_COORDINATOR
    due_on = factory.LazyFunction(clinic_today)


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag

    patient = factory.SubFactory(PatientFactory)
    rule_code = "assessment_overdue"
    severity = "warning"
    summary = "No outcome measure in 14 days"
    evidence = factory.LazyFunction(dict)
