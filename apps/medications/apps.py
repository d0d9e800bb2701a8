from django.apps import AppConfig


class MedicationsConfig(AppConfig):
    name = "apps.medications"
    label = "medications"
