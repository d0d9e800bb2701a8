"""Query filters of the list endpoints (django-filter). Bad values are 400s naming the parameter."""

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters

from apps.assessments.models import Assessment, Instrument, Reporter
from apps.careplans.models import (
    CarePlan,
    Goal,
    GoalMeasure,
    Intervention,
    InterventionKind,
    InterventionStatus,
    PlanStatus,
    PlanTemplate,
)
from apps.core.choices import Discipline, Severity
from apps.core.ids import MAX_ID
from apps.flags.models import OPEN_FLAG_STATUSES, Flag, FlagStatus
from apps.medications.models import OPIOID_CLASSES, DrugClass, MedicationOrder
from apps.messaging.models import MessageKind, Notification
from apps.patients.models import (
    CareTeamMember,
    Channel,
    Episode,
    EpisodeStatus,
    Patient,
    Sex,
    WorkStatus,
)
from apps.scheduling.models import Appointment, AppointmentKind, AppointmentStatus
from apps.worklist.models import OPEN_TASK_STATUSES, Task, TaskPriority, TaskSource, TaskStatus


class IdFilter(filters.Filter):
    """An object id: a whole number (anything else is a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class PatientFilter(filters.FilterSet):
    team = IdFilter(field_name="team_id", help_text="Team (caseload) id.")
    sex = filters.ChoiceFilter(choices=Sex.choices)
    work_status = filters.ChoiceFilter(choices=WorkStatus.choices)
    preferred_channel = filters.ChoiceFilter(choices=Channel.choices)
    born_after = filters.DateFilter(field_name="date_of_birth", lookup_expr="gte")
    born_before = filters.DateFilter(field_name="date_of_birth", lookup_expr="lte")
    mrn = filters.CharFilter(field_name="mrn", max_length=32, help_text="Exact MRN.")

    class Meta:
        model = Patient
        fields: list[str] = []


class EpisodeFilter(filters.FilterSet):
    patient = IdFilter(field_name="patient_id")
    status = filters.ChoiceFilter(choices=EpisodeStatus.choices)
    onset_after = filters.DateFilter(field_name="onset", lookup_expr="gte")
    onset_before = filters.DateFilter(field_name="onset", lookup_expr="lte")

    class Meta:
        model = Episode
        fields: list[str] = []


class CareTeamMemberFilter(filters.FilterSet):
    episode = IdFilter(field_name="episode_id")
    patient = IdFilter(field_name="episode__patient_id")
    clinician = IdFilter(field_name="clinician_id")
    role = filters.ChoiceFilter(choices=Discipline.choices)
    current = filters.BooleanFilter(method="filter_current", help_text="Only roles held today.")

    class Meta:
        model = CareTeamMember
        fields: list[str] = []

    def filter_current(
        self, qs: QuerySet[CareTeamMember], name: str, value: bool | None
    ) -> QuerySet[CareTeamMember]:
        if value is None:
            return qs
        today = timezone.localdate()
        current = Q(start__lte=today) & (Q(end__isnull=True) | Q(end__gte=today))
        return qs.filter(current) if value else qs.exclude(current)


class CarePlanFilter(filters.FilterSet):
    episode = IdFilter(field_name="episode_id")
    patient = IdFilter(field_name="episode__patient_id")
    status = filters.ChoiceFilter(choices=PlanStatus.choices)
    template = filters.CharFilter(
        field_name="template__slug", max_length=50, help_text="Template slug."
    )

    class Meta:
        model = CarePlan
        fields: list[str] = []


class GoalFilter(filters.FilterSet):
    plan = IdFilter(field_name="plan_id")
    patient = IdFilter(field_name="plan__episode__patient_id")
    measure = filters.ChoiceFilter(choices=GoalMeasure.choices)

    class Meta:
        model = Goal
        fields: list[str] = []


class InterventionFilter(filters.FilterSet):
    plan = IdFilter(field_name="plan_id")
    patient = IdFilter(field_name="plan__episode__patient_id")
    kind = filters.ChoiceFilter(choices=InterventionKind.choices)
    discipline = filters.ChoiceFilter(choices=Discipline.choices)
    status = filters.ChoiceFilter(choices=InterventionStatus.choices)

    class Meta:
        model = Intervention
        fields: list[str] = []


class PlanTemplateFilter(filters.FilterSet):
    is_active = filters.BooleanFilter()

    class Meta:
        model = PlanTemplate
        fields: list[str] = []


class MedicationOrderFilter(filters.FilterSet):
    episode = IdFilter(field_name="episode_id")
    patient = IdFilter(field_name="episode__patient_id")
    drug_class = filters.ChoiceFilter(choices=DrugClass.choices)
    opioid = filters.BooleanFilter(method="filter_opioid", help_text="Only opioids (or none).")
    active = filters.BooleanFilter(method="filter_active", help_text="Only orders current today.")

    class Meta:
        model = MedicationOrder
        fields: list[str] = []

    def filter_opioid(
        self, qs: QuerySet[MedicationOrder], name: str, value: bool | None
    ) -> QuerySet[MedicationOrder]:
        if value is None:
            return qs
        opioid = Q(drug_class__in=list(OPIOID_CLASSES))
        return qs.filter(opioid) if value else qs.exclude(opioid)

    def filter_active(
        self, qs: QuerySet[MedicationOrder], name: str, value: bool | None
    ) -> QuerySet[MedicationOrder]:
        if value is None:
            return qs
        today = timezone.localdate()
        active = Q(start_date__lte=today) & (Q(stop_date__isnull=True) | Q(stop_date__gte=today))
        return qs.filter(active) if value else qs.exclude(active)


class AssessmentFilter(filters.FilterSet):
    patient = IdFilter(field_name="patient_id")
    episode = IdFilter(field_name="episode_id")
    instrument = filters.ChoiceFilter(choices=Instrument.choices)
    reported_by = filters.ChoiceFilter(choices=Reporter.choices)
    taken_after = filters.DateFilter(
        field_name="taken_at__date", lookup_expr="gte", help_text="On or after (clinic date)."
    )
    taken_before = filters.DateFilter(
        field_name="taken_at__date", lookup_expr="lte", help_text="On or before (clinic date)."
    )

    class Meta:
        model = Assessment
        fields: list[str] = []


class AppointmentFilter(filters.FilterSet):
    patient = IdFilter(field_name="patient_id")
    episode = IdFilter(field_name="episode_id")
    clinician = IdFilter(field_name="clinician_id")
    status = filters.ChoiceFilter(choices=AppointmentStatus.choices)
    kind = filters.ChoiceFilter(choices=AppointmentKind.choices)
    discipline = filters.ChoiceFilter(choices=Discipline.choices)
    starts_after = filters.DateFilter(field_name="starts_at__date", lookup_expr="gte")
    starts_before = filters.DateFilter(field_name="starts_at__date", lookup_expr="lte")

    class Meta:
        model = Appointment
        fields: list[str] = []


class TaskFilter(filters.FilterSet):
    team = IdFilter(field_name="team_id")
    patient = IdFilter(field_name="patient_id")
    assignee = IdFilter(field_name="assignee_id")
    status = filters.ChoiceFilter(choices=TaskStatus.choices)
    priority = filters.ChoiceFilter(choices=TaskPriority.choices)
    source = filters.ChoiceFilter(choices=TaskSource.choices)
    discipline = filters.ChoiceFilter(choices=Discipline.choices)
    open = filters.BooleanFilter(method="filter_open", help_text="Only open / in-progress tasks.")
    mine = filters.BooleanFilter(method="filter_mine", help_text="Only tasks assigned to me.")
    due_after = filters.DateFilter(field_name="due_on", lookup_expr="gte")
    due_before = filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = Task
        fields: list[str] = []

    def filter_open(self, qs: QuerySet[Task], name: str, value: bool | None) -> QuerySet[Task]:
        if value is None:
            return qs
        is_open = Q(status__in=list(OPEN_TASK_STATUSES))
        return qs.filter(is_open) if value else qs.exclude(is_open)

    def filter_mine(self, qs: QuerySet[Task], name: str, value: bool | None) -> QuerySet[Task]:
        if value is None:
            return qs
        mine = Q(assignee_id=getattr(self.request.user, "pk", None))
        return qs.filter(mine) if value else qs.exclude(mine)


class FlagFilter(filters.FilterSet):
    patient = IdFilter(field_name="patient_id")
    episode = IdFilter(field_name="episode_id")
    status = filters.ChoiceFilter(choices=FlagStatus.choices)
    severity = filters.ChoiceFilter(choices=Severity.choices)
    rule_code = filters.CharFilter(max_length=40)
    open = filters.BooleanFilter(method="filter_open", help_text="Only flags not resolved.")

    class Meta:
        model = Flag
        fields: list[str] = []

    def filter_open(self, qs: QuerySet[Flag], name: str, value: bool | None) -> QuerySet[Flag]:
        if value is None:
            return qs
        is_open = Q(status__in=list(OPEN_FLAG_STATUSES))
        return qs.filter(is_open) if value else qs.exclude(is_open)


class NotificationFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=MessageKind.choices)
    unread = filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", help_text="Only unread (or read)."
    )

    class Meta:
        model = Notification
        fields: list[str] = []
