from django.apps import AppConfig


class ConferencesConfig(AppConfig):
    name = "apps.conferences"
    label = "conferences"
