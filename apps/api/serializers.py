"""Serializers: what goes in (validated here, then written by a service) and what comes out.

Input serializers check types and shapes only; the rules live in the services
(``apps.<domain>.services``), whose ValidationErrors come back as 400s with the same field names.
Every id a client sends is looked up through the access rule: an object of another team is
"does not exist", exactly like a missing one.
"""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from apps.accounts.models import Clinician
from apps.assessments.models import Assessment, Instrument, Reporter, SelfHarm
from apps.careplans.models import (
    CarePlan,
    Goal,
    GoalMeasure,
    Intervention,
    InterventionKind,
    InterventionStatus,
    PlanTemplate,
    PlanTemplateFollowUp,
    PlanTemplateGoal,
    PlanTemplateIntervention,
)
from apps.core.choices import Discipline
from apps.core.ids import parse_id
from apps.flags.models import Flag
from apps.medications.models import DrugClass, MedicationOrder, OpioidDrug
from apps.messaging.models import Notification
from apps.patients.models import CareTeamMember, Episode, Patient, Phase
from apps.patients.selectors import patients_visible_to, scoped_to_patients, teams_of
from apps.scheduling.models import Appointment, AppointmentKind, AppointmentStatus
from apps.teams.models import Team, TeamMembership
from apps.worklist.models import Task, TaskPriority

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)


# ------------------------------------------------------------------------------------------------
# Fields
# ------------------------------------------------------------------------------------------------


class SaneDateField(serializers.DateField):
    """A date in 1900–2199 (later date arithmetic can never overflow)."""

    default_error_messages = {"range": "Enter a date between 1900-01-01 and 2199-12-31."}

    def to_internal_value(self, value: Any) -> dt.date:
        day = super().to_internal_value(value)
        if not EARLIEST <= day <= LATEST:
            self.fail("range")
        return day


class SaneDateTimeField(serializers.DateTimeField):
    """A date-time in 1900–2199, with a time zone (a naive one is read in the clinic's zone)."""

    default_error_messages = {"range": "Enter a date-time between 1900 and 2199."}

    def to_internal_value(self, value: Any) -> dt.datetime:
        moment = super().to_internal_value(value)
        if not EARLIEST <= moment.date() <= LATEST:
            self.fail("range")
        return moment


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id looked up among the objects the requesting user may see (``scope(user)``).

    Stricter than DRF's: only whole numbers (3.7, true or "3.0" are not ids).
    """

    def __init__(self, *, model: type[Model], scope: Callable[[Any], QuerySet[Any]], **kwargs: Any):
        self.scope = scope
        kwargs.setdefault("queryset", model._default_manager.none())
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        request = self.context.get("request")
        return self.scope(getattr(request, "user", None))

    def to_internal_value(self, data: Any) -> Any:
        pk = parse_id(data)
        if pk is None:
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            return self.get_queryset().get(pk=pk)
        except self.get_queryset().model.DoesNotExist:
            self.fail("does_not_exist", pk_value=pk)


def visible_episodes(user: Any) -> QuerySet[Episode]:
    return scoped_to_patients(user, Episode.objects.filter(archived_at__isnull=True))


def visible_plans(user: Any) -> QuerySet[CarePlan]:
    return scoped_to_patients(user, CarePlan.objects.select_related("episode"), "episode__patient")


def team_clinicians(user: Any) -> QuerySet[Clinician]:
    """Active clinicians who share a team with ``user``."""
    return Clinician.objects.filter(is_active=True, teams__in=teams_of(user)).distinct()


def _visible_patients(user: Any) -> QuerySet[Patient]:
    return patients_visible_to(user)


ANSWER_SCHEMAS: dict[str, Any] = {
    "nrs": {
        "type": "object",
        "title": "Pain NRS / sleep quality",
        "properties": {"value": {"type": "integer", "minimum": 0, "maximum": 10}},
        "required": ["value"],
        "additionalProperties": False,
    },
    "peg": {
        "type": "object",
        "title": "PEG",
        "properties": {
            key: {"type": "integer", "minimum": 0, "maximum": 10}
            for key in ("pain", "enjoyment", "activity")
        },
        "required": ["pain", "enjoyment", "activity"],
        "additionalProperties": False,
    },
    "odi": {
        "type": "object",
        "title": "ODI (10 section scores 0-5, null if unanswered)",
        "properties": {
            "sections": {
                "type": "array",
                "minItems": 10,
                "maxItems": 10,
                "items": {"type": "integer", "minimum": 0, "maximum": 5, "nullable": True},
            }
        },
        "required": ["sections"],
        "additionalProperties": False,
    },
    "start_back": {
        "type": "object",
        "title": "STarT Back (items 1-8 agree/disagree; item 9 bothersomeness)",
        "properties": {
            "agree": {"type": "array", "minItems": 8, "maxItems": 8, "items": {"type": "boolean"}},
            "bothersomeness": {
                "type": "string",
                "enum": ["not_at_all", "slightly", "moderately", "very_much", "extremely"],
            },
        },
        "required": ["agree", "bothersomeness"],
        "additionalProperties": False,
    },
    "phq9_gad7": {
        "type": "object",
        "title": "PHQ-9 (9 items 0-3, null if missing) / GAD-7 (7 items 0-3)",
        "properties": {
            "items": {
                "type": "array",
                "minItems": 7,
                "maxItems": 9,
                "items": {"type": "integer", "minimum": 0, "maximum": 3, "nullable": True},
            }
        },
        "required": ["items"],
        "additionalProperties": False,
    },
    "work_status": {
        "type": "object",
        "title": "Work status",
        "properties": {
            "status": {
                "type": "string",
                "enum": [
                    "working",
                    "modified_duty",
                    "off_work",
                    "not_employed",
                    "retired",
                    "student",
                ],
            }
        },
        "required": ["status"],
        "additionalProperties": False,
    },
}


@extend_schema_field(
    {
        "anyOf": list(ANSWER_SCHEMAS.values()),
        "description": (
            "Raw answers, by instrument: nrs and sleep {value: 0-10}; peg {pain, enjoyment, "
            "activity: 0-10}; odi {sections: 10 × (0-5 | null)} (section scores only, the item "
            "text is licensed); start_back {agree: 8 × boolean, bothersomeness: not_at_all | "
            "slightly | moderately | very_much | extremely}; phq9 {items: 9 × (0-3 | null)}; "
            "gad7 {items: 7 × 0-3}; work_status {status}. Scores are computed by the server."
        ),
    }
)
class AnswersField(serializers.JSONField):
    pass


def blank_choice(choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    """A read-only choice that may be "" (ModelSerializer drops allow_blank on read-only fields,
    which would leave "" out of the documented enum)."""
    return serializers.ChoiceField(choices=choices, allow_blank=True, read_only=True, **kwargs)


class ClinicianSummarySerializer(serializers.ModelSerializer[Clinician]):
    display_name = serializers.CharField(read_only=True)
    discipline = blank_choice(Discipline.choices, help_text="Blank for admins.")

    class Meta:
        model = Clinician
        fields = ["id", "username", "display_name", "discipline"]
        read_only_fields = fields


# ------------------------------------------------------------------------------------------------
# Errors (documentation of the one error body)
# ------------------------------------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer[Any]):
    """The ``error`` object. ``fields`` only on 400 ``invalid``."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # "fields" would clash with Serializer.fields as a class attribute; declared here instead.
        return {
            "status": serializers.IntegerField(help_text="The HTTP status code, repeated."),
            "code": serializers.CharField(
                help_text=(
                    "Machine-readable: invalid, parse_error, not_authenticated, "
                    "authentication_failed, permission_denied, not_found, method_not_allowed, "
                    "not_acceptable, conflict, request_too_large, unsupported_media_type, "
                    "throttled, locked_out."
                )
            ),
            "message": serializers.CharField(help_text="A sentence a person can read."),
            "fields": serializers.DictField(
                child=serializers.ListField(child=serializers.CharField()),
                required=False,
                help_text=(
                    "Validation errors by request field name (nested as a.b.0); errors not "
                    f"tied to one field under “{api_settings.NON_FIELD_ERRORS_KEY}”."
                ),
            ),
        }


class ErrorSerializer(serializers.Serializer[Any]):
    error = ErrorDetailSerializer()


# ------------------------------------------------------------------------------------------------
# Auth
# ------------------------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=128, style={"input_type": "password"}, trim_whitespace=False
    )
    otp = serializers.CharField(
        max_length=12,
        required=False,
        allow_blank=True,
        help_text="The current 6-digit code of the user's authenticator app, if they set one up.",
    )


class TokenResponseSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="Send as “Authorization: Token <token>”. Shown once.")
    expiry = serializers.DateTimeField(allow_null=True, help_text="When the token stops working.")
    user = ClinicianSummarySerializer()


# ------------------------------------------------------------------------------------------------
# Teams
# ------------------------------------------------------------------------------------------------


class TeamMemberSerializer(serializers.ModelSerializer[TeamMembership]):
    clinician = ClinicianSummarySerializer(read_only=True)

    class Meta:
        model = TeamMembership
        fields = ["clinician", "is_lead"]
        read_only_fields = fields


class TeamSerializer(serializers.ModelSerializer[Team]):
    members = TeamMemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "description", "members"]
        read_only_fields = fields


# ------------------------------------------------------------------------------------------------
# Patients and episodes
# ------------------------------------------------------------------------------------------------


class PatientSerializer(serializers.ModelSerializer[Patient]):
    team = ScopedPrimaryKeyField(model=Team, scope=teams_of, help_text="The caseload (team) id.")
    date_of_birth = SaneDateField()
    work_status_since = SaneDateField(required=False, allow_null=True)

    class Meta:
        model = Patient
        fields = [
            "id",
            "mrn",
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "email",
            "phone",
            "preferred_channel",
            "quiet_hours_start",
            "quiet_hours_end",
            "timezone",
            "work_status",
            "work_status_since",
            "team",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "archived_at", "created_at", "updated_at"]


class EpisodeSerializer(serializers.ModelSerializer[Episode]):
    phase = serializers.ChoiceField(choices=Phase.choices, read_only=True, help_text="Phase today.")
    day = serializers.IntegerField(
        source="day_on", read_only=True, help_text="Day of the episode today (onset = day 0)."
    )

    class Meta:
        model = Episode
        fields = [
            "id",
            "patient",
            "onset",
            "status",
            "closed_on",
            "summary",
            "phase",
            "day",
            "red_flags_screened_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EpisodeCreateSerializer(serializers.Serializer[Any]):
    patient = ScopedPrimaryKeyField(model=Patient, scope=_visible_patients)
    onset = SaneDateField(help_text="Date the back pain began (not in the future).")
    summary = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class EpisodeCloseSerializer(serializers.Serializer[Any]):
    closed_on = SaneDateField(required=False, help_text="Default: today.")


class CareTeamMemberSerializer(serializers.ModelSerializer[CareTeamMember]):
    patient = serializers.IntegerField(source="episode.patient_id", read_only=True)
    clinician = ClinicianSummarySerializer(read_only=True)
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = CareTeamMember
        fields = [
            "id",
            "episode",
            "patient",
            "clinician",
            "role",
            "start",
            "end",
            "is_lead",
            "is_current",
            "created_at",
        ]
        read_only_fields = fields

    def get_is_current(self, obj: CareTeamMember) -> bool:
        return obj.is_current_on(timezone.localdate())


class CareTeamAssignSerializer(serializers.Serializer[Any]):
    episode = ScopedPrimaryKeyField(model=Episode, scope=visible_episodes)
    clinician = ScopedPrimaryKeyField(
        model=Clinician, scope=team_clinicians, help_text="A clinician of the patient's team."
    )
    role = serializers.ChoiceField(choices=Discipline.choices)
    start = SaneDateField(required=False, help_text="Default: today.")
    is_lead = serializers.BooleanField(
        required=False, default=False, help_text="A new lead replaces the current one."
    )


class CareTeamEndSerializer(serializers.Serializer[Any]):
    end = SaneDateField(required=False, help_text="Default: today.")


# ------------------------------------------------------------------------------------------------
# Care plans
# ------------------------------------------------------------------------------------------------


class GoalSerializer(serializers.ModelSerializer[Goal]):
    patient = serializers.IntegerField(source="plan.episode.patient_id", read_only=True)

    class Meta:
        model = Goal
        fields = [
            "id",
            "plan",
            "patient",
            "measure",
            "description",
            "baseline",
            "target",
            "due_on",
            "achievement_status",
            "created_at",
        ]
        read_only_fields = fields


class GoalCreateSerializer(serializers.Serializer[Any]):
    plan = ScopedPrimaryKeyField(model=CarePlan, scope=visible_plans)
    measure = serializers.ChoiceField(choices=GoalMeasure.choices)
    description = serializers.CharField(max_length=255)
    baseline = serializers.DecimalField(
        max_digits=9, decimal_places=4, min_value=Decimal("0"), required=False, allow_null=True
    )
    target = serializers.DecimalField(
        max_digits=9, decimal_places=4, min_value=Decimal("0"), required=False, allow_null=True
    )
    due_on = SaneDateField()


class InterventionSerializer(serializers.ModelSerializer[Intervention]):
    patient = serializers.IntegerField(source="plan.episode.patient_id", read_only=True)

    class Meta:
        model = Intervention
        fields = [
            "id",
            "plan",
            "patient",
            "kind",
            "discipline",
            "description",
            "status",
            "start_date",
            "end_date",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class InterventionWriteSerializer(serializers.Serializer[Any]):
    plan = ScopedPrimaryKeyField(model=CarePlan, scope=visible_plans)
    kind = serializers.ChoiceField(choices=InterventionKind.choices)
    discipline = serializers.ChoiceField(choices=Discipline.choices)
    description = serializers.CharField(max_length=255)
    status = serializers.ChoiceField(
        choices=InterventionStatus.choices, required=False, default=InterventionStatus.PLANNED
    )
    start_date = SaneDateField(required=False, help_text="Default: today.")
    end_date = SaneDateField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = self.instance
        start = attrs.get(
            "start_date", getattr(instance, "start_date", None) or timezone.localdate()
        )
        end = attrs.get("end_date", getattr(instance, "end_date", None))
        if end is not None and start is not None and end < start:
            raise serializers.ValidationError(
                {"end_date": "An intervention cannot end before it starts."}
            )
        return attrs


class InterventionUpdateSerializer(InterventionWriteSerializer):
    """PATCH: any of discipline, description, status, start_date, end_date."""

    plan = None  # type: ignore[assignment]
    kind = None  # type: ignore[assignment]


class CarePlanSerializer(serializers.ModelSerializer[CarePlan]):
    patient = serializers.IntegerField(source="episode.patient_id", read_only=True)
    template: serializers.SlugRelatedField[PlanTemplate] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    goals = GoalSerializer(many=True, read_only=True)
    interventions = InterventionSerializer(many=True, read_only=True)

    class Meta:
        model = CarePlan
        fields = [
            "id",
            "episode",
            "patient",
            "title",
            "status",
            "started_on",
            "template",
            "created_by",
            "goals",
            "interventions",
            "created_at",
        ]
        read_only_fields = fields


class CarePlanCreateSerializer(serializers.Serializer[Any]):
    episode = ScopedPrimaryKeyField(model=Episode, scope=visible_episodes)
    template = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=PlanTemplate.objects.all(),
        help_text="The template's slug, e.g. acute-conservative-care.",
    )
    start_date = SaneDateField(required=False, help_text="Default: today.")


class PlanTemplateInterventionSerializer(serializers.ModelSerializer[PlanTemplateIntervention]):
    class Meta:
        model = PlanTemplateIntervention
        fields = ["kind", "discipline", "description", "start_offset_days", "duration_days"]
        read_only_fields = fields


class PlanTemplateGoalSerializer(serializers.ModelSerializer[PlanTemplateGoal]):
    class Meta:
        model = PlanTemplateGoal
        fields = ["measure", "description", "target", "due_offset_days"]
        read_only_fields = fields


class PlanTemplateFollowUpSerializer(serializers.ModelSerializer[PlanTemplateFollowUp]):
    appointment_kind = serializers.CharField(read_only=True)

    class Meta:
        model = PlanTemplateFollowUp
        fields = ["discipline", "appointment_kind", "title", "offset_days"]
        read_only_fields = fields


class PlanTemplateSerializer(serializers.ModelSerializer[PlanTemplate]):
    interventions = PlanTemplateInterventionSerializer(many=True, read_only=True)
    goals = PlanTemplateGoalSerializer(many=True, read_only=True)
    follow_ups = PlanTemplateFollowUpSerializer(many=True, read_only=True)

    class Meta:
        model = PlanTemplate
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "is_active",
            "interventions",
            "goals",
            "follow_ups",
        ]
        read_only_fields = fields


# ------------------------------------------------------------------------------------------------
# Medications
# ------------------------------------------------------------------------------------------------


class MedicationOrderSerializer(serializers.ModelSerializer[MedicationOrder]):
    patient = serializers.IntegerField(source="episode.patient_id", read_only=True)
    opioid = blank_choice(OpioidDrug.choices, help_text="Opioids only: the MME substance.")
    is_opioid = serializers.BooleanField(read_only=True)

    class Meta:
        model = MedicationOrder
        fields = [
            "id",
            "episode",
            "patient",
            "drug",
            "drug_class",
            "opioid",
            "is_opioid",
            "dose",
            "dose_unit",
            "frequency",
            "daily_dose",
            "daily_mme",
            "start_date",
            "stop_date",
            "dose_changed_on",
            "prescriber",
            "last_reviewed_on",
            "naloxone_offered_on",
            "indication",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


POSITIVE = Decimal("0.01")


class MedicationOrderWriteSerializer(serializers.Serializer[Any]):
    episode = ScopedPrimaryKeyField(model=Episode, scope=visible_episodes)
    drug = serializers.CharField(max_length=120, help_text="As prescribed, e.g. celecoxib.")
    drug_class = serializers.ChoiceField(choices=DrugClass.choices)
    opioid = serializers.ChoiceField(
        choices=OpioidDrug.choices,
        required=False,
        allow_blank=True,
        help_text="For opioids: the substance whose CDC 2022 factor gives the daily MME.",
    )
    dose = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=POSITIVE)
    dose_unit = serializers.CharField(max_length=16, required=False, default="mg")
    frequency = serializers.CharField(max_length=60, help_text="e.g. twice daily")
    daily_dose = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        min_value=POSITIVE,
        help_text="Total per day (mg/day; fentanyl patch: mcg/hr).",
    )
    start_date = SaneDateField(required=False, help_text="Default: today.")
    stop_date = SaneDateField(required=False, allow_null=True)
    dose_changed_on = SaneDateField(required=False, allow_null=True)
    prescriber = ScopedPrimaryKeyField(
        model=Clinician,
        scope=team_clinicians,
        required=False,
        allow_null=True,
        help_text="Default for an opioid: the requesting clinician.",
    )
    last_reviewed_on = SaneDateField(required=False, allow_null=True)
    naloxone_offered_on = SaneDateField(required=False, allow_null=True)
    indication = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = self.instance
        start = attrs.get(
            "start_date", getattr(instance, "start_date", None) or timezone.localdate()
        )
        stop = attrs.get("stop_date", getattr(instance, "stop_date", None))
        if stop is not None and start is not None and stop < start:
            raise serializers.ValidationError(
                {"stop_date": "A medication cannot stop before it starts."}
            )
        return attrs


class MedicationOrderUpdateSerializer(MedicationOrderWriteSerializer):
    """PATCH: any field but the episode. A higher daily dose restarts the opioid review clock."""

    episode = None  # type: ignore[assignment]


class MedicationReviewSerializer(serializers.Serializer[Any]):
    reviewed_on = SaneDateField(required=False, help_text="Default: today.")
    naloxone_offered = serializers.BooleanField(required=False, default=False)


class MedicationStopSerializer(serializers.Serializer[Any]):
    stop_date = SaneDateField(required=False, help_text="Default: today.")


# ------------------------------------------------------------------------------------------------
# Assessments
# ------------------------------------------------------------------------------------------------


class AssessmentSerializer(serializers.ModelSerializer[Assessment]):
    answers = AnswersField(read_only=True)
    self_harm = blank_choice(
        SelfHarm.choices, help_text="PHQ-9 item 9 finding: yes, no or unknown (never imputed)."
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "patient",
            "episode",
            "instrument",
            "answers",
            "score",
            "subscore",
            "band",
            "self_harm",
            "taken_at",
            "reported_by",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "score": {"help_text": "Computed by apps.clinical.scoring (null when not scorable)."},
            "band": {"help_text": "Severity band or STarT Back risk; work status for work_status."},
        }


class AssessmentCreateSerializer(serializers.Serializer[Any]):
    patient = ScopedPrimaryKeyField(model=Patient, scope=_visible_patients)
    episode = ScopedPrimaryKeyField(
        model=Episode,
        scope=visible_episodes,
        required=False,
        allow_null=True,
        help_text="Default: the patient's active episode.",
    )
    instrument = serializers.ChoiceField(choices=Instrument.choices)
    answers = AnswersField()
    taken_at = SaneDateTimeField(required=False, help_text="Default: now. Not in the future.")
    reported_by = serializers.ChoiceField(
        choices=Reporter.choices, required=False, default=Reporter.CLINICIAN
    )


# ------------------------------------------------------------------------------------------------
# Appointments
# ------------------------------------------------------------------------------------------------


class AppointmentSerializer(serializers.ModelSerializer[Appointment]):
    clinician = ClinicianSummarySerializer(read_only=True, allow_null=True)
    ends_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "patient",
            "episode",
            "clinician",
            "discipline",
            "kind",
            "starts_at",
            "ends_at",
            "duration_minutes",
            "status",
            "location",
            "notes",
            "created_at",
        ]
        read_only_fields = fields


class AppointmentCreateSerializer(serializers.Serializer[Any]):
    patient = ScopedPrimaryKeyField(model=Patient, scope=_visible_patients)
    episode = ScopedPrimaryKeyField(
        model=Episode, scope=visible_episodes, required=False, allow_null=True
    )
    clinician = ScopedPrimaryKeyField(
        model=Clinician, scope=team_clinicians, required=False, allow_null=True
    )
    discipline = serializers.ChoiceField(choices=Discipline.choices)
    kind = serializers.ChoiceField(choices=AppointmentKind.choices)
    starts_at = SaneDateTimeField()
    duration_minutes = serializers.IntegerField(
        min_value=5, max_value=480, required=False, default=30
    )
    status = serializers.ChoiceField(
        choices=AppointmentStatus.choices,
        required=False,
        default=AppointmentStatus.BOOKED,
        help_text="Other than booked: record a past visit as it happened.",
    )
    location = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


# ------------------------------------------------------------------------------------------------
# Tasks
# ------------------------------------------------------------------------------------------------


class TaskSerializer(serializers.ModelSerializer[Task]):
    assignee = ClinicianSummarySerializer(read_only=True, allow_null=True)
    discipline = blank_choice(Discipline.choices, help_text="The queue that owns the task.")

    class Meta:
        model = Task
        fields = [
            "id",
            "team",
            "patient",
            "episode",
            "title",
            "reason",
            "assignee",
            "discipline",
            "due_on",
            "priority",
            "status",
            "source",
            "flag",
            "created_by",
            "completed_at",
            "completed_by",
            "outcome_note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TaskCreateSerializer(serializers.Serializer[Any]):
    team = ScopedPrimaryKeyField(model=Team, scope=teams_of)
    patient = ScopedPrimaryKeyField(
        model=Patient, scope=_visible_patients, required=False, allow_null=True
    )
    episode = ScopedPrimaryKeyField(
        model=Episode, scope=visible_episodes, required=False, allow_null=True
    )
    title = serializers.CharField(max_length=200)
    reason = serializers.CharField(max_length=5000, help_text="Why this task exists.")
    due_on = SaneDateField()
    assignee = ScopedPrimaryKeyField(
        model=Clinician, scope=team_clinicians, required=False, allow_null=True
    )
    discipline = serializers.ChoiceField(
        choices=Discipline.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="The discipline queue that owns the task while nobody has claimed it.",
    )
    priority = serializers.ChoiceField(
        choices=TaskPriority.choices, required=False, default=TaskPriority.ROUTINE
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("assignee") is None and not attrs.get("discipline"):
            raise serializers.ValidationError(
                {"discipline": "Assign the task to a person or to a discipline's queue."}
            )
        return attrs


# ------------------------------------------------------------------------------------------------
# Flags and notifications
# ------------------------------------------------------------------------------------------------


class FlagSerializer(serializers.ModelSerializer[Flag]):
    evidence = serializers.JSONField(
        read_only=True, help_text="What the rule looked at: measures, dates, thresholds used."
    )
    can_snooze = serializers.BooleanField(
        read_only=True, help_text="False for safety flags (red flag, self-harm risk)."
    )

    class Meta:
        model = Flag
        fields = [
            "id",
            "patient",
            "episode",
            "rule_code",
            "severity",
            "status",
            "summary",
            "evidence",
            "raised_at",
            "last_evaluated_at",
            "acknowledged_at",
            "acknowledged_by",
            "acknowledgement_note",
            "snoozed_until",
            "can_snooze",
            "resolved_at",
            "resolved_by",
            "resolution_note",
            "auto_resolved",
        ]
        read_only_fields = fields


class TaskCompleteSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        help_text="What was done: required for an urgent task (Urgent, ASAP, Immediately).",
    )


class FlagAcknowledgeSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        help_text="Why it is acknowledged: required for an urgent flag.",
    )


class FlagResolveSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=5000, help_text="How the flag was resolved.")


class FlagSnoozeSerializer(serializers.Serializer[Any]):
    snoozed_until = SaneDateField(help_text="After today, at most 90 days ahead.")


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "patient",
            "kind",
            "title",
            "body",
            "url",
            "read_at",
            "is_read",
            "created_at",
        ]
        read_only_fields = fields

    def get_is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class MarkedReadSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField(help_text="How many notifications were marked read.")
