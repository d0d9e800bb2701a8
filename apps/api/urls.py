"""/api/: the v1 endpoints, the OpenAPI schema and its docs (Swagger UI, Redoc; served offline)."""

from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import SimpleRouter

from . import views
from .exceptions import api_not_found

app_name = "api"

router = SimpleRouter()
router.register("patients", views.PatientViewSet, basename="patient")
router.register("episodes", views.EpisodeViewSet, basename="episode")
router.register("care-team-members", views.CareTeamMemberViewSet, basename="care-team-member")
router.register("care-plans", views.CarePlanViewSet, basename="care-plan")
router.register("goals", views.GoalViewSet, basename="goal")
router.register("interventions", views.InterventionViewSet, basename="intervention")
router.register("plan-templates", views.PlanTemplateViewSet, basename="plan-template")
router.register("medications", views.MedicationOrderViewSet, basename="medication")
router.register("assessments", views.AssessmentViewSet, basename="assessment")
router.register("appointments", views.AppointmentViewSet, basename="appointment")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("flags", views.FlagViewSet, basename="flag")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("teams", views.TeamViewSet, basename="team")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html"),
        name="redoc",
    ),
    path("v1/auth/token/", views.TokenLoginView.as_view(), name="token"),
    path("v1/auth/logout/", views.TokenLogoutView.as_view(), name="logout"),
    path("v1/auth/logoutall/", views.TokenLogoutAllView.as_view(), name="logoutall"),
    path("v1/", include(router.urls)),
    # Anything else under /api/ is a 404 in the API's error format (not the HTML page).
    re_path(r"^", api_not_found, name="not-found"),
]
