from typing import Any

from django.core.management.base import BaseCommand

from apps.core.schedules import ensure_periodic_tasks


class Command(BaseCommand):
    help = "Create or update the periodic Celery schedules (django-celery-beat) in the database."

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ensure_periodic_tasks():
            self.stdout.write(f"schedule ok: {name}")
