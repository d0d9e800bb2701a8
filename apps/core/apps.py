from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_schedules(sender: AppConfig, **kwargs: object) -> None:
    from .schedules import ensure_periodic_tasks

    ensure_periodic_tasks()


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        post_migrate.connect(_ensure_schedules, sender=self, dispatch_uid="careteam-schedules")
