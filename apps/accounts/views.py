"""Account security pages: two-factor (TOTP) verify and set-up, log out everywhere, keep-alive."""

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token

from apps.accounts import services
from apps.accounts.models import Clinician


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


def _clean_token(raw: str) -> str:
    return "".join(ch for ch in raw if ch.isdigit())


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        device = match_token(request.user, _clean_token(request.POST.get("token", "")))
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        error = "That code is not valid. Enter the 6-digit code your authenticator app shows now."
    return render(
        request,
        "accounts/otp_verify.html",
        {"error": error, "next": _next_url(request)},
        status=400 if error else 200,
    )


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Set up a TOTP authenticator: scan the QR code, then confirm with one code.

    A first authenticator may be set up right after the password; replacing a confirmed one
    needs a session that has entered its code (apps/accounts/services.py)."""
    user = request.user
    verified = bool(user.is_verified())  # type: ignore[union-attr]
    if not services.two_factor_may_enrol(user=user, session_verified=verified):
        messages.info(request, "Enter a code of your current authenticator to replace it.")
        return redirect(f"{reverse('accounts:otp_verify')}?next={reverse('accounts:otp_setup')}")
    device = services.two_factor_pending_device(user=user)
    error = ""
    if request.method == "POST":
        try:
            services.two_factor_confirm(
                user=user,
                device=device,
                token=_clean_token(request.POST.get("token", "")),
                session_verified=verified,
            )
        except ValidationError as exc:
            error = " ".join(exc.message_dict.get("token", exc.messages))
        except PermissionDenied:
            return redirect(
                f"{reverse('accounts:otp_verify')}?next={reverse('accounts:otp_setup')}"
            )
        else:
            otp_login(request, device)
            messages.success(request, "Two-factor sign-in is on for your account.")
            return redirect("/")
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = BytesIO()
    image.save(buffer)
    qr = base64.b64encode(buffer.getvalue()).decode()
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "accounts/otp_setup.html",
        {"qr_data_uri": f"data:image/svg+xml;base64,{qr}", "secret": secret, "error": error},
        status=400 if error else 200,
    )


@login_required
@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session and API token of this user, on every device."""
    from knox.models import AuthToken

    user = request.user
    assert user.pk is not None  # login_required
    Clinician.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    AuthToken.objects.filter(user=user).delete()
    logout(request)
    messages.success(request, "You have been signed out on every device.")
    return redirect("login")


@login_required
@require_POST
def session_ping(request: HttpRequest) -> HttpResponse:
    """“Stay signed in”: any authenticated request resets the idle timer (middleware)."""
    return HttpResponse(status=204)
