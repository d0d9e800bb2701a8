from django.contrib import admin
from django.urls import include, path

from apps.core.views import healthz

admin.site.site_header = "CareTeam administration"
admin.site.site_title = "CareTeam admin"
admin.site.index_title = "Care-team coordination"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("apps.accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("apps.api.urls")),
    path("checkin/", include("apps.messaging.urls")),
    path("", include("apps.dashboard.urls")),
]
