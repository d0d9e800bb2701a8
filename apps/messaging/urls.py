from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("<str:token>/", views.checkin, name="checkin"),
]
