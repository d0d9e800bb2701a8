from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("patients/<int:patient_id>/", views.patient_detail, name="patient"),
]
