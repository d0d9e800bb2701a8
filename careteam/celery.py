"""The Celery application, wired as in Celery's "First steps with Django" guide.

Configuration comes from Django settings under the ``CELERY_`` namespace; tasks are discovered in
every installed app's ``tasks`` module.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careteam.settings.local")

app = Celery("careteam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
