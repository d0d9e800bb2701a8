from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "apps.careplans"
    label = "careplans"
