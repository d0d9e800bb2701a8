"""API views: thin entry points. Reads go through the selectors (the access rule), writes through
the services; a service's ValidationError comes back as a 400 under the request's field names.

Every read of patient data writes one audit event per request (one INSERT, by the audit
middleware, ``apps.audit.reads``): ``ScopedViewSet.output_serializer`` registers the rows it
serializes — a detail, or the page of a list — and the FHIR Bundle its patient; the bulk export
registers every patient it streams as one "export" event.
"""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django_otp import match_token, user_has_device
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from knox import views as knox_views
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from apps.assessments.models import Assessment
from apps.assessments.services import assessment_record
from apps.audit.reads import object_shown, patients_exported, rows_shown
from apps.careplans.models import CarePlan, Goal, Intervention, PlanTemplate
from apps.careplans.services import (
    goal_add,
    intervention_add,
    intervention_update,
    plan_template_apply,
)
from apps.core.ids import parse_id
from apps.flags.models import Flag
from apps.flags.selectors import flags_visible_to
from apps.flags.services import flag_acknowledge, flag_resolve, flag_snooze
from apps.medications.models import MedicationOrder
from apps.medications.services import (
    medication_order_create,
    medication_order_update,
    medication_review,
    medication_stop,
)
from apps.messaging.models import Notification
from apps.messaging.selectors import notifications_for
from apps.messaging.services import notification_mark_read, notifications_mark_all_read
from apps.patients.models import CareTeamMember, Episode, Patient
from apps.patients.selectors import (
    get_scoped_or_404,
    patient_get_for_user,
    patients_visible_to,
    scoped_to_patients,
    teams_of,
)
from apps.patients.services import (
    care_team_assign,
    care_team_end,
    episode_close,
    episode_open,
    patient_archive,
    patient_create,
    patient_update,
)
from apps.scheduling.models import Appointment
from apps.scheduling.services import appointment_book
from apps.teams.models import Team, TeamMembership
from apps.worklist.models import Task
from apps.worklist.selectors import by_urgency, tasks_visible_to
from apps.worklist.services import task_claim, task_complete, task_create

from . import fhir as fhir_mod
from . import filters as f
from . import serializers as s
from .authentication import TokenAuthentication
from .exceptions import LockedOut, django_error_detail, remap_fields
from .idempotency import IdempotentPostMixin
from .renderers import FHIRJSONRenderer, NDJSONRenderer
from .throttling import LoginRateThrottle

T = TypeVar("T")

READ_WRITE = ["get", "post", "head", "options"]
READ_WRITE_PATCH = ["get", "post", "patch", "head", "options"]
READ_ONLY = ["get", "head", "options"]


def run_service(
    func: Callable[..., T], /, *, field_map: Mapping[str, str] | None = None, **kwargs: Any
) -> T:
    """Call a service; its ValidationError becomes a DRF 400 under the request's field names."""
    try:
        return func(**kwargs)
    except DjangoValidationError as exc:
        detail = remap_fields(django_error_detail(exc), field_map or {})
        raise exceptions.ValidationError(detail) from exc


class JSONErrorsMixin:
    """Errors are application/json whatever the negotiated media type (FHIR, NDJSON); no API
    response (patient data) is stored by a browser or proxy cache."""

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        response["Cache-Control"] = "no-store"
        if isinstance(response, Response) and response.status_code >= 400:
            renderer = getattr(response, "accepted_renderer", None)
            if renderer is None or renderer.media_type != "application/json":
                response.accepted_renderer = JSONRenderer()
                response.accepted_media_type = "application/json"
        return response


class ScopedViewSet(JSONErrorsMixin, IdempotentPostMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Rows reached through their patient (``patient_path``), for the requesting user only."""

    # IdempotentPostMixin: every POST honours an Idempotency-Key header (apps/api/idempotency.py).

    patient_path = "patient"
    http_method_names = READ_WRITE
    input_serializers: dict[str, type[serializers.Serializer[Any]]] = {}

    def base_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        return scoped_to_patients(self.request.user, self.base_queryset(), self.patient_path)

    def get_object(self) -> Any:
        if parse_id(self.kwargs.get("pk")) is None:
            raise exceptions.NotFound()
        queryset = self.base_queryset().select_related(self.patient_path)
        return get_scoped_or_404(self.request.user, queryset, self.kwargs["pk"], self.patient_path)

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return self.input_serializers.get(self.action, self.serializer_class)  # type: ignore[return-value]

    def input(
        self,
        serializer_class: type[serializers.Serializer[Any]],
        instance: Any = None,
        partial: bool = False,
    ) -> dict[str, Any]:
        serializer = serializer_class(
            instance, data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def output_serializer(self, instance: Any, many: bool = False) -> Any:
        """The response's serializer; what it serializes is registered as shown (audit read)."""
        if many and instance is not None:
            instance = list(instance)
            rows_shown(instance, self.patient_path)
        else:
            object_shown(instance, self.patient_path)
        serializer_class: Any = self.serializer_class
        return serializer_class(instance, many=many, context=self.get_serializer_context())

    def output(self, instance: Any, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.output_serializer(instance).data, status=code)

    # Standard actions -------------------------------------------------------------------------
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        data = self.output_serializer(page, many=True).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.output(self.get_object())


def _describe(model_name: str, **extra: Any) -> dict[str, Any]:
    views = {
        "list": extend_schema(summary=f"List {model_name}s you can see"),
        "retrieve": extend_schema(summary=f"One {model_name} (audited)"),
    }
    views.update(extra)
    return views


# ------------------------------------------------------------------------------------------------
# Auth
# ------------------------------------------------------------------------------------------------


@extend_schema(
    tags=["auth"],
    summary="Get a token (username + password)",
    description=(
        "Returns a new token for `Authorization: Token <token>`; it expires after "
        "REST_KNOX TOKEN_TTL (10 hours) and is stored hashed (the response is the only time "
        "it is shown). Users with an authenticator app also send `otp`. Repeated failures lock "
        "the account for a while (429 `locked_out`)."
    ),
    request=s.TokenRequestSerializer,
    responses={200: s.TokenResponseSerializer},
    examples=[
        OpenApiExample(
            "Sign in",
            value={"username": "physician", "password": "careteam-demo"},
            request_only=True,
        )
    ],
)
class TokenLoginView(JSONErrorsMixin, knox_views.LoginView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    def post(self, request: Request, format: Any = None) -> Response:
        serializer = s.TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        django_request = request._request
        user = authenticate(django_request, username=data["username"], password=data["password"])
        if user is None:
            if getattr(django_request, "axes_locked_out", False):
                # django-axes locked the account; answer in the API's format, not its HTML page.
                django_request.axes_locked_out = False  # type: ignore[attr-defined]
                raise LockedOut()
            raise exceptions.ValidationError(
                {"non_field_errors": ["Unable to sign in with this username and password."]}
            )
        if user_has_device(user, confirmed=True):
            code = "".join(ch for ch in data.get("otp", "") if ch.isdigit())
            if not code or match_token(user, code) is None:
                raise exceptions.ValidationError(
                    {"otp": ["Enter the current 6-digit code of your authenticator app."]}
                )
        elif user.is_superuser and getattr(settings, "OTP_REQUIRED_FOR_SUPERUSERS", False):
            raise exceptions.PermissionDenied(
                "Set up two-factor sign-in in the dashboard before using the API."
            )
        request.user = user
        return super().post(request, format=format)

    def get_post_response_data(self, request: Request, token: str, instance: Any) -> dict[str, Any]:
        return {
            "token": token,
            "expiry": self.format_expiry_datetime(instance.expiry) if instance.expiry else None,
            "user": s.ClinicianSummarySerializer(instance.user).data,
        }


@extend_schema(
    tags=["auth"],
    summary="Revoke this token",
    request=None,
    responses={204: OpenApiResponse(description="Revoked.")},
)
class TokenLogoutView(JSONErrorsMixin, knox_views.LogoutView):
    authentication_classes = [TokenAuthentication]


@extend_schema(
    tags=["auth"],
    summary="Revoke every token of this user",
    request=None,
    responses={204: OpenApiResponse(description="All revoked.")},
)
class TokenLogoutAllView(JSONErrorsMixin, knox_views.LogoutAllView):
    authentication_classes = [TokenAuthentication]


# ------------------------------------------------------------------------------------------------
# Patients (and their FHIR export)
# ------------------------------------------------------------------------------------------------

FHIR_BUNDLE_SCHEMA = {
    "type": "object",
    "description": "A FHIR R4 Bundle of type collection (see the API description).",
    "properties": {
        "resourceType": {"type": "string", "enum": ["Bundle"]},
        "id": {"type": "string"},
        "meta": {"type": "object", "additionalProperties": True},
        "type": {"type": "string", "enum": ["collection"]},
        "timestamp": {"type": "string", "format": "date-time"},
        "entry": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "fullUrl": {"type": "string", "pattern": "^urn:uuid:"},
                    "resource": {
                        "type": "object",
                        "properties": {
                            "resourceType": {"type": "string"},
                            "id": {"type": "string"},
                        },
                        "required": ["resourceType", "id"],
                        "additionalProperties": True,
                    },
                },
                "required": ["fullUrl", "resource"],
            },
        },
    },
    "required": ["resourceType", "type", "entry"],
}


@extend_schema_view(
    **_describe(
        "patient",
        create=extend_schema(summary="Register a patient on one of your teams' caseloads"),
        partial_update=extend_schema(summary="Change a patient's details"),
    )
)
class PatientViewSet(ScopedViewSet):
    """Patients of your teams' caseloads (archived patients are not listed)."""

    serializer_class = s.PatientSerializer
    filterset_class = f.PatientFilter
    search_fields = ["mrn", "first_name", "last_name", "email"]
    ordering_fields = [
        "last_name",
        "first_name",
        "date_of_birth",
        "mrn",
        "created_at",
        "updated_at",
    ]
    ordering = ["last_name", "first_name", "pk"]
    http_method_names = READ_WRITE_PATCH

    def get_queryset(self) -> QuerySet[Patient]:
        return patients_visible_to(self.request.user)

    def get_object(self) -> Patient:
        if parse_id(self.kwargs.get("pk")) is None:
            raise exceptions.NotFound()
        return patient_get_for_user(self.request.user, self.kwargs["pk"])

    def create(self, request: Request) -> Response:
        data = self.input(s.PatientSerializer)
        patient = run_service(patient_create, actor=request.user, **data)
        return self.output(patient, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        patient = self.get_object()
        data = self.input(s.PatientSerializer, instance=patient, partial=True)
        patient = run_service(patient_update, actor=request.user, patient=patient, **data)
        return self.output(patient)

    @extend_schema(
        summary="Archive a patient (never deleted)",
        description="The patient leaves caseloads, lists and jobs; history is kept.",
        request=None,
        responses={200: s.PatientSerializer},
    )
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, pk: str) -> Response:
        patient = run_service(patient_archive, actor=request.user, patient=self.get_object())
        return self.output(patient)

    @extend_schema(
        summary="FHIR R4 Bundle of the patient's record (audited)",
        description=fhir_mod.__doc__,
        responses={
            (200, fhir_mod.FHIR_JSON): OpenApiResponse(
                response=FHIR_BUNDLE_SCHEMA, description="Bundle"
            ),
            (200, "application/json"): OpenApiResponse(
                response=FHIR_BUNDLE_SCHEMA, description="Bundle"
            ),
        },
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="fhir",
        renderer_classes=[FHIRJSONRenderer, JSONRenderer],
        pagination_class=None,
        filter_backends=[],
    )
    def fhir(self, request: Request, pk: str) -> Response:
        patient = self.get_object()  # registered as shown (the access selector)
        bundle = fhir_mod.patient_bundle(patient.pk, patients_visible_to(request.user))
        return Response(bundle)

    @extend_schema(
        summary="Bulk FHIR export of every patient you can see (NDJSON, streamed)",
        description=(
            "Streams one FHIR R4 resource per line (`application/fhir+ndjson`): for each patient "
            "you can see, the resources of their Bundle, references written as `Type/id`; "
            "Organizations and Practitioners once. Synchronous (not the asynchronous Bulk Data "
            "kick-off). Written to the audit trail as an export."
        ),
        responses={
            (200, fhir_mod.FHIR_NDJSON): OpenApiResponse(
                response=OpenApiTypes.STR, description="One JSON resource per line."
            )
        },
        filters=False,
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="fhir-export",
        renderer_classes=[NDJSONRenderer],
        pagination_class=None,
        filter_backends=[],
    )
    def fhir_export(self, request: Request) -> StreamingHttpResponse:
        patients = patients_visible_to(request.user)
        # The stream is read after the response leaves the audit middleware: its patients are
        # registered now (the query the stream would run anyway), so the one "export" row names
        # every patient it contains.
        ids = fhir_mod.export_ids(patients)
        patients_exported(ids, object_type="fhir.ndjson")
        response = StreamingHttpResponse(
            fhir_mod.ndjson_lines(patients, ids=ids), content_type=fhir_mod.FHIR_NDJSON
        )
        response["Content-Disposition"] = 'attachment; filename="careteam-export.ndjson"'
        return response


# ------------------------------------------------------------------------------------------------
# Episodes and care teams
# ------------------------------------------------------------------------------------------------


@extend_schema_view(
    **_describe(
        "episode",
        create=extend_schema(
            summary="Open an episode",
            request=s.EpisodeCreateSerializer,
            responses={201: s.EpisodeSerializer},
        ),
    )
)
class EpisodeViewSet(ScopedViewSet):
    """Episodes of back pain. One active episode per patient; closed, never deleted."""

    serializer_class = s.EpisodeSerializer
    input_serializers = {"create": s.EpisodeCreateSerializer, "close": s.EpisodeCloseSerializer}
    filterset_class = f.EpisodeFilter
    search_fields = ["summary", "patient__mrn", "patient__last_name"]
    ordering_fields = ["onset", "created_at", "closed_on"]
    ordering = ["-onset", "-pk"]

    def base_queryset(self) -> QuerySet[Episode]:
        return Episode.objects.filter(archived_at__isnull=True)

    def create(self, request: Request) -> Response:
        data = self.input(s.EpisodeCreateSerializer)
        episode = run_service(episode_open, actor=request.user, **data)
        return self.output(episode, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Close an episode",
        request=s.EpisodeCloseSerializer,
        responses={200: s.EpisodeSerializer},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        episode = self.get_object()
        data = self.input(s.EpisodeCloseSerializer)
        closed_on = data.get("closed_on") or timezone.localdate()
        if closed_on < episode.onset:
            raise exceptions.ValidationError(
                {"closed_on": ["The episode cannot close before its onset."]}
            )
        if closed_on > timezone.localdate():
            raise exceptions.ValidationError(
                {"closed_on": ["An episode cannot close in the future."]}
            )
        episode = run_service(
            episode_close, actor=request.user, episode=episode, closed_on=closed_on
        )
        return self.output(episode)


@extend_schema_view(
    **_describe(
        "care-team member",
        create=extend_schema(
            summary="Give a clinician a role on an episode's care team",
            request=s.CareTeamAssignSerializer,
            responses={201: s.CareTeamMemberSerializer},
        ),
    )
)
class CareTeamMemberViewSet(ScopedViewSet):
    """Care teams of episodes: who holds which role, when, and who leads."""

    serializer_class = s.CareTeamMemberSerializer
    input_serializers = {"create": s.CareTeamAssignSerializer, "end": s.CareTeamEndSerializer}
    filterset_class = f.CareTeamMemberFilter
    search_fields = ["clinician__last_name", "clinician__first_name", "clinician__username"]
    ordering_fields = ["start", "role", "created_at"]
    ordering = ["role", "start", "pk"]
    patient_path = "episode__patient"

    def base_queryset(self) -> QuerySet[CareTeamMember]:
        return CareTeamMember.objects.select_related("clinician", "episode")

    def create(self, request: Request) -> Response:
        data = self.input(s.CareTeamAssignSerializer)
        member = run_service(care_team_assign, actor=request.user, **data)
        return self.output(member, status.HTTP_201_CREATED)

    @extend_schema(
        summary="End a care-team role",
        request=s.CareTeamEndSerializer,
        responses={200: s.CareTeamMemberSerializer},
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        member = self.get_object()
        data = self.input(s.CareTeamEndSerializer)
        end = data.get("end") or timezone.localdate()
        if end < member.start:
            raise exceptions.ValidationError({"end": ["The role cannot end before it starts."]})
        member = run_service(care_team_end, actor=request.user, member=member, end=end)
        return self.output(member)


# ------------------------------------------------------------------------------------------------
# Care plans
# ------------------------------------------------------------------------------------------------


@extend_schema_view(
    **_describe(
        "care plan",
        create=extend_schema(
            summary="Create an episode's care plan from a template",
            description="Creates the plan with the template's interventions, goals (baselines from the latest measures) and a task to book each first follow-up.",
            request=s.CarePlanCreateSerializer,
            responses={201: s.CarePlanSerializer},
        ),
    )
)
class CarePlanViewSet(ScopedViewSet):
    """Care plans with their goals and interventions."""

    serializer_class = s.CarePlanSerializer
    input_serializers = {"create": s.CarePlanCreateSerializer}
    filterset_class = f.CarePlanFilter
    search_fields = ["title"]
    ordering_fields = ["started_on", "created_at"]
    ordering = ["-started_on", "-pk"]
    patient_path = "episode__patient"

    def base_queryset(self) -> QuerySet[CarePlan]:
        return CarePlan.objects.select_related("episode", "template").prefetch_related(
            Prefetch("goals", queryset=Goal.objects.order_by("due_on", "pk")),
            Prefetch("interventions", queryset=Intervention.objects.order_by("start_date", "pk")),
        )

    def create(self, request: Request) -> Response:
        data = self.input(s.CarePlanCreateSerializer)
        plan = run_service(plan_template_apply, actor=request.user, **data)
        return self.output(self.base_queryset().get(pk=plan.pk), status.HTTP_201_CREATED)


@extend_schema_view(
    **_describe(
        "goal",
        create=extend_schema(
            summary="Add a goal to a care plan",
            request=s.GoalCreateSerializer,
            responses={201: s.GoalSerializer},
        ),
    )
)
class GoalViewSet(ScopedViewSet):
    serializer_class = s.GoalSerializer
    input_serializers = {"create": s.GoalCreateSerializer}
    filterset_class = f.GoalFilter
    search_fields = ["description"]
    ordering_fields = ["due_on", "created_at"]
    ordering = ["due_on", "pk"]
    patient_path = "plan__episode__patient"

    def base_queryset(self) -> QuerySet[Goal]:
        return Goal.objects.select_related("plan__episode")

    def create(self, request: Request) -> Response:
        data = self.input(s.GoalCreateSerializer)
        plan = data.pop("plan")
        goal = run_service(goal_add, actor=request.user, plan=plan, **data)
        return self.output(goal, status.HTTP_201_CREATED)


@extend_schema_view(
    **_describe(
        "intervention",
        create=extend_schema(
            summary="Add an intervention to a care plan",
            request=s.InterventionWriteSerializer,
            responses={201: s.InterventionSerializer},
        ),
        partial_update=extend_schema(
            summary="Change an intervention (status, dates, description)",
            request=s.InterventionUpdateSerializer,
            responses={200: s.InterventionSerializer},
        ),
    )
)
class InterventionViewSet(ScopedViewSet):
    serializer_class = s.InterventionSerializer
    input_serializers = {
        "create": s.InterventionWriteSerializer,
        "partial_update": s.InterventionUpdateSerializer,
    }
    filterset_class = f.InterventionFilter
    search_fields = ["description"]
    ordering_fields = ["start_date", "kind", "created_at"]
    ordering = ["kind", "start_date", "pk"]
    patient_path = "plan__episode__patient"
    http_method_names = READ_WRITE_PATCH

    def base_queryset(self) -> QuerySet[Intervention]:
        return Intervention.objects.select_related("plan__episode")

    def create(self, request: Request) -> Response:
        data = self.input(s.InterventionWriteSerializer)
        plan = data.pop("plan")
        item = run_service(intervention_add, actor=request.user, plan=plan, **data)
        return self.output(item, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        data = self.input(s.InterventionUpdateSerializer, instance=item, partial=True)
        item = run_service(intervention_update, actor=request.user, intervention=item, **data)
        return self.output(item)


@extend_schema_view(
    list=extend_schema(summary="List plan templates"),
    retrieve=extend_schema(summary="One plan template"),
)
class PlanTemplateViewSet(JSONErrorsMixin, viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """The plan templates (edited by admins in Django admin)."""

    serializer_class = s.PlanTemplateSerializer
    filterset_class = f.PlanTemplateFilter
    search_fields = ["name", "slug", "description"]
    ordering_fields = ["name"]
    ordering = ["name", "pk"]
    queryset = PlanTemplate.objects.prefetch_related("interventions", "goals", "follow_ups")

    def get_object(self) -> PlanTemplate:
        pk = parse_id(self.kwargs.get("pk"))
        if pk is None:
            raise exceptions.NotFound()
        try:
            return self.get_queryset().get(pk=pk)
        except PlanTemplate.DoesNotExist:
            raise exceptions.NotFound() from None


# ------------------------------------------------------------------------------------------------
# Medications, assessments, appointments
# ------------------------------------------------------------------------------------------------


@extend_schema_view(
    **_describe(
        "medication order",
        create=extend_schema(
            summary="Order a medication",
            request=s.MedicationOrderWriteSerializer,
            responses={201: s.MedicationOrderSerializer},
        ),
        partial_update=extend_schema(
            summary="Change a medication order",
            request=s.MedicationOrderUpdateSerializer,
            responses={200: s.MedicationOrderSerializer},
        ),
    )
)
class MedicationOrderViewSet(ScopedViewSet):
    """Medication orders; the daily MME of an opioid is computed (CDC 2022 factors)."""

    serializer_class = s.MedicationOrderSerializer
    input_serializers = {
        "create": s.MedicationOrderWriteSerializer,
        "partial_update": s.MedicationOrderUpdateSerializer,
        "review": s.MedicationReviewSerializer,
        "stop": s.MedicationStopSerializer,
    }
    filterset_class = f.MedicationOrderFilter
    search_fields = ["drug", "indication"]
    ordering_fields = ["start_date", "drug", "daily_mme", "created_at"]
    ordering = ["-start_date", "-pk"]
    patient_path = "episode__patient"
    http_method_names = READ_WRITE_PATCH
    field_map = {"daily_mme": "daily_dose"}

    def base_queryset(self) -> QuerySet[MedicationOrder]:
        return MedicationOrder.objects.select_related("episode")

    def create(self, request: Request) -> Response:
        data = self.input(s.MedicationOrderWriteSerializer)
        order = run_service(
            medication_order_create, field_map=self.field_map, actor=request.user, **data
        )
        return self.output(order, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        data = self.input(s.MedicationOrderUpdateSerializer, instance=order, partial=True)
        order = run_service(
            medication_order_update,
            field_map=self.field_map,
            actor=request.user,
            order=order,
            **data,
        )
        return self.output(order)

    @extend_schema(
        summary="Record a medication review (and naloxone offered)",
        request=s.MedicationReviewSerializer,
        responses={200: s.MedicationOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        data = self.input(s.MedicationReviewSerializer)
        order = run_service(
            medication_review,
            field_map={"last_reviewed_on": "reviewed_on"},
            actor=request.user,
            order=order,
            reviewed_on=data.get("reviewed_on"),
            naloxone_offered=data["naloxone_offered"],
        )
        return self.output(order)

    @extend_schema(
        summary="Stop a medication",
        request=s.MedicationStopSerializer,
        responses={200: s.MedicationOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        data = self.input(s.MedicationStopSerializer)
        stop_date = data.get("stop_date") or timezone.localdate()
        if stop_date < order.start_date:
            raise exceptions.ValidationError(
                {"stop_date": ["A medication cannot stop before it starts."]}
            )
        order = run_service(medication_stop, actor=request.user, order=order, stop_date=stop_date)
        return self.output(order)


@extend_schema_view(
    **_describe(
        "assessment",
        create=extend_schema(
            summary="Record an outcome measure (scores computed by the server)",
            request=s.AssessmentCreateSerializer,
            responses={201: s.AssessmentSerializer},
            examples=[
                OpenApiExample(
                    "Pain NRS",
                    value={"patient": 1, "instrument": "nrs", "answers": {"value": 6}},
                    request_only=True,
                ),
                OpenApiExample(
                    "PEG",
                    value={
                        "patient": 1,
                        "instrument": "peg",
                        "answers": {"pain": 7, "enjoyment": 6, "activity": 8},
                    },
                    request_only=True,
                ),
                OpenApiExample(
                    "PHQ-9",
                    value={
                        "patient": 1,
                        "instrument": "phq9",
                        "answers": {"items": [1, 1, 1, 1, 1, 0, 0, 0, 0]},
                    },
                    request_only=True,
                ),
            ],
        ),
    )
)
class AssessmentViewSet(ScopedViewSet):
    """Outcome measures: raw answers in, scores out (apps.clinical.scoring); never edited."""

    serializer_class = s.AssessmentSerializer
    input_serializers = {"create": s.AssessmentCreateSerializer}
    filterset_class = f.AssessmentFilter
    search_fields = ["band"]
    ordering_fields = ["taken_at", "score", "created_at"]
    ordering = ["-taken_at", "-pk"]

    def base_queryset(self) -> QuerySet[Assessment]:
        return Assessment.objects.all()

    def create(self, request: Request) -> Response:
        data = self.input(s.AssessmentCreateSerializer)
        assessment = run_service(assessment_record, actor=request.user, **data)
        return self.output(assessment, status.HTTP_201_CREATED)


@extend_schema_view(
    **_describe(
        "appointment",
        create=extend_schema(
            summary="Book (or record) an appointment",
            request=s.AppointmentCreateSerializer,
            responses={201: s.AppointmentSerializer},
        ),
    )
)
class AppointmentViewSet(ScopedViewSet):
    serializer_class = s.AppointmentSerializer
    input_serializers = {"create": s.AppointmentCreateSerializer}
    filterset_class = f.AppointmentFilter
    search_fields = ["location"]
    ordering_fields = ["starts_at", "created_at"]
    ordering = ["starts_at", "pk"]

    def base_queryset(self) -> QuerySet[Appointment]:
        return Appointment.objects.select_related("clinician")

    def create(self, request: Request) -> Response:
        data = self.input(s.AppointmentCreateSerializer)
        data.setdefault("episode", None)
        data.setdefault("clinician", None)
        appointment = run_service(appointment_book, actor=request.user, **data)
        return self.output(appointment, status.HTTP_201_CREATED)


# ------------------------------------------------------------------------------------------------
# Tasks, flags, notifications, teams
# ------------------------------------------------------------------------------------------------


@extend_schema_view(
    **_describe(
        "task",
        create=extend_schema(
            summary="Create a worklist task",
            request=s.TaskCreateSerializer,
            responses={201: s.TaskSerializer},
        ),
    )
)
class TaskViewSet(ScopedViewSet):
    """Worklist tasks of your teams (a task's patient, if any, must be visible to you)."""

    serializer_class = s.TaskSerializer
    input_serializers = {"create": s.TaskCreateSerializer, "complete": s.TaskCompleteSerializer}
    filterset_class = f.TaskFilter
    search_fields = ["title", "reason"]
    ordering_fields = ["due_on", "priority_rank", "created_at", "status"]
    ordering = ["-priority_rank", "due_on", "pk"]  # most urgent first, as on the worklist page

    def get_queryset(self) -> QuerySet[Task]:
        return by_urgency(tasks_visible_to(self.request.user)).select_related("assignee")

    def get_object(self) -> Task:
        pk = parse_id(self.kwargs.get("pk"))
        if pk is None:
            raise exceptions.NotFound()
        try:
            return self.get_queryset().select_related("patient").get(pk=pk)
        except Task.DoesNotExist:
            raise exceptions.NotFound() from None

    def create(self, request: Request) -> Response:
        data = self.input(s.TaskCreateSerializer)
        episode = data.get("episode")
        if episode is not None and data.get("patient") is None:
            data["patient"] = episode.patient
        task = run_service(task_create, actor=request.user, source="manual", **data)
        return self.output(task, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Claim a task (assign it to me, in progress)",
        request=None,
        responses={200: s.TaskSerializer},
    )
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str) -> Response:
        task = run_service(task_claim, actor=request.user, task=self.get_object())
        return self.output(task)

    @extend_schema(
        summary="Complete a task (an urgent one needs an outcome note)",
        request=s.TaskCompleteSerializer,
        responses={200: s.TaskSerializer},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        task = self.get_object()
        data = self.input(s.TaskCompleteSerializer)
        task = run_service(task_complete, actor=request.user, task=task, note=data.get("note", ""))
        return self.output(task)


@extend_schema_view(**_describe("flag"))
class FlagViewSet(ScopedViewSet):
    """Monitoring flags (raised and auto-resolved by the rule engine; acted on by clinicians)."""

    serializer_class = s.FlagSerializer
    input_serializers = {"resolve": s.FlagResolveSerializer, "snooze": s.FlagSnoozeSerializer}
    filterset_class = f.FlagFilter
    search_fields = ["summary", "rule_code"]
    ordering_fields = ["raised_at", "severity", "status"]
    ordering = ["-raised_at", "-pk"]

    def get_queryset(self) -> QuerySet[Flag]:
        return flags_visible_to(self.request.user)

    def base_queryset(self) -> QuerySet[Flag]:
        return Flag.objects.all()

    @extend_schema(
        summary="Acknowledge a flag (an urgent flag needs a note)",
        request=s.FlagAcknowledgeSerializer,
        responses={200: s.FlagSerializer},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        flag = self.get_object()
        data = self.input(s.FlagAcknowledgeSerializer)
        flag = run_service(
            flag_acknowledge, actor=request.user, flag=flag, note=data.get("note", "")
        )
        return self.output(flag)

    @extend_schema(
        summary="Resolve a flag with a note",
        request=s.FlagResolveSerializer,
        responses={200: s.FlagSerializer},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        flag = self.get_object()
        data = self.input(s.FlagResolveSerializer)
        flag = run_service(flag_resolve, actor=request.user, flag=flag, note=data["note"])
        return self.output(flag)

    @extend_schema(
        summary="Snooze a flag until a date (never a safety flag: red flag, self-harm risk)",
        request=s.FlagSnoozeSerializer,
        responses={200: s.FlagSerializer},
    )
    @action(detail=True, methods=["post"])
    def snooze(self, request: Request, pk: str) -> Response:
        flag = self.get_object()
        data = self.input(s.FlagSnoozeSerializer)
        flag = run_service(flag_snooze, actor=request.user, flag=flag, until=data["snoozed_until"])
        return self.output(flag)


@extend_schema_view(
    list=extend_schema(summary="My notifications"),
    retrieve=extend_schema(summary="One of my notifications"),
)
class NotificationViewSet(ScopedViewSet):
    """Your in-app notifications (about patients you can still see)."""

    serializer_class = s.NotificationSerializer
    filterset_class = f.NotificationFilter
    search_fields = ["title"]
    ordering_fields = ["created_at", "read_at"]
    ordering = ["-created_at", "-pk"]

    def get_queryset(self) -> QuerySet[Notification]:
        user = self.request.user
        return notifications_for(user).filter(
            Q(patient__isnull=True) | Q(patient__in=patients_visible_to(user))
        )

    def get_object(self) -> Notification:
        pk = parse_id(self.kwargs.get("pk"))
        if pk is None:
            raise exceptions.NotFound()
        try:
            return self.get_queryset().get(pk=pk)
        except Notification.DoesNotExist:
            raise exceptions.NotFound() from None

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.output(self.get_object())

    @extend_schema(
        summary="Mark a notification read", request=None, responses={200: s.NotificationSerializer}
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        notification = notification_mark_read(actor=request.user, notification=self.get_object())
        return self.output(notification)

    @extend_schema(
        summary="Mark all my notifications read",
        request=None,
        responses={200: s.MarkedReadSerializer},
        filters=False,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="read-all",
        pagination_class=None,
        filter_backends=[],
    )
    def read_all(self, request: Request) -> Response:
        return Response({"marked": notifications_mark_all_read(actor=request.user)})


@extend_schema_view(
    list=extend_schema(summary="My teams"), retrieve=extend_schema(summary="One of my teams")
)
class TeamViewSet(JSONErrorsMixin, viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """The teams you belong to (all teams for a superuser), with their members."""

    serializer_class = s.TeamSerializer
    search_fields = ["name"]
    ordering_fields = ["name"]
    ordering = ["name", "pk"]

    def get_queryset(self) -> QuerySet[Team]:
        members = TeamMembership.objects.select_related("clinician").order_by(
            "clinician__last_name", "pk"
        )
        return teams_of(self.request.user).prefetch_related(
            Prefetch("memberships", queryset=members)
        )

    def get_object(self) -> Team:
        pk = parse_id(self.kwargs.get("pk"))
        if pk is None:
            raise exceptions.NotFound()
        try:
            return self.get_queryset().get(pk=pk)
        except Team.DoesNotExist:
            raise exceptions.NotFound() from None
