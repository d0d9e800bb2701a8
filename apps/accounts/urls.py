from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("otp/verify/", views.otp_verify, name="otp_verify"),
    path("otp/setup/", views.otp_setup, name="otp_setup"),
    path("logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("session/ping/", views.session_ping, name="session_ping"),
]
