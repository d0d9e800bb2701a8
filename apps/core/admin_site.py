"""The admin site: every model registered on it is scoped to the user's teams.

``CareTeamAdminSite.register`` mixes ``PatientScopedAdminMixin`` into every admin class that
lacks it — ours and third-party ones alike (django-celery-beat, knox, django-otp, axes, auth) —
and the mixin does the same to every inline. So no admin form offers, or accepts, another team's
row in a relation, and a model added later cannot be registered unscoped: its rows are hidden
from staff who are not superusers until it declares how it reaches a team (``patient_path`` /
``team_path`` / ``scope_queryset``) or that it is shared by every team.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .admin_mixins import scoped_admin_class


class CareTeamAdminSite(admin.AdminSite):
    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        admin_class = scoped_admin_class(admin_class or admin.ModelAdmin)
        super().register(model_or_iterable, admin_class, **options)
