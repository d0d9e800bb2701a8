"""``django.contrib.admin`` with the team-scoped site (``apps.core.admin_site``) as ``admin.site``.

Kept apart from the site: INSTALLED_APPS imports this module before any model is loaded.
"""

from django.contrib.admin.apps import AdminConfig


class CareTeamAdminConfig(AdminConfig):
    default = False
    default_site = "apps.core.admin_site.CareTeamAdminSite"
