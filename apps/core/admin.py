from django.contrib import admin

from .models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    shared_across_teams = True
    list_display = ("worker", "last_seen", "beats")
    search_fields = ("worker",)
    readonly_fields = ("worker", "last_seen", "beats")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
