"""Login with a second factor, organization switching, personal security settings, members."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from dosewise.accounts import services
from dosewise.accounts.decorators import member_required
from dosewise.accounts.forms import ApiTokenForm, CredentialsForm, InviteForm, LoginForm, TokenForm
from dosewise.accounts.middleware import ACTIVE_ORGANIZATION_KEY
from dosewise.accounts.models import ApiToken, Membership, User
from dosewise.forms import apply_errors

PENDING_LOGIN_KEY = "pending_login"
PENDING_LOGIN_SECONDS = 300


def locked_out(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """Shown by django-axes after 5 failed logins for a username from one address."""
    return render(request, "accounts/locked_out.html", status=429)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(PENDING_LOGIN_KEY)
    if not pending or time.time() - pending["at"] > PENDING_LOGIN_SECONDS:
        return None
    return User.objects.filter(pk=pending["user"], is_active=True).first()


def _complete_login(request: HttpRequest, user: User, device: Any) -> HttpResponse:
    pending = request.session.pop(PENDING_LOGIN_KEY)
    login(request, user, backend=pending["backend"])
    if device is not None:
        otp_login(request, device)
    services.record_login(user)
    return redirect(pending.get("next") or settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            services.record_failed_login(username, reason="locked out")
            return locked_out(request)
        if user is None:
            services.record_failed_login(username, reason="wrong username or password")
            form.add_error(None, "Username or password is wrong.")
        else:
            request.session.cycle_key()
            request.session[PENDING_LOGIN_KEY] = {
                "user": user.pk,
                "backend": user.backend,  # type: ignore[attr-defined]  # set by authenticate()
                "at": time.time(),
                "next": _safe_next(request),
            }
            if services.has_confirmed_device(user):
                return redirect("accounts:login-verify")
            if user.requires_two_factor:
                return redirect("accounts:login-enrol")
            return _complete_login(request, user, None)
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request)})


def _verify_token(user: User, token: str) -> Any:
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_is_allowed()[0] and device.verify_token(token):
            return device
    for device in StaticDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):  # a backup code works once
            return device
    return None


@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        messages.info(request, "Please sign in again.")
        return redirect("accounts:login")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _verify_token(user, form.cleaned_data["token"].strip().replace(" ", ""))
        if device is not None:
            return _complete_login(request, user, device)
        services.record_failed_login(user.username, reason="wrong second-factor code")
        form.add_error("token", "That code is not right or has expired.")
    return render(request, "accounts/login_verify.html", {"form": form, "pending_user": user})


def _qr_data_uri(uri: str) -> str:
    svg = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage).to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _enrolment_context(device: TOTPDevice) -> dict[str, Any]:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return {"secret": secret, "qr": _qr_data_uri(device.config_url)}


@require_http_methods(["GET", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    """First login of a prescriber or admin: set up an authenticator app before going on."""
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    if services.has_confirmed_device(user):
        # Enrolling a new device must never stand in for the one the user already has.
        return redirect("accounts:login-verify")
    device = services.pending_totp_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_totp_device(user, device, form.cleaned_data["token"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            response = _complete_login(request, user, device)
            return render(
                request,
                "accounts/backup_codes.html",
                {"codes": codes, "next": response["Location"]},
            )
    return render(request, "accounts/enrol.html", {"form": form, **_enrolment_context(device)})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.record_logout(request.user)  # type: ignore[arg-type]
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("accounts:login")


@require_http_methods(["GET", "POST"])
def choose_organization(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if request.method == "POST":
        try:
            membership = services.switch_organization(
                request.user, request.POST.get("organization", "")
            )  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            request.session[ACTIVE_ORGANIZATION_KEY] = membership.organization_id
            return redirect(settings.LOGIN_REDIRECT_URL)
    memberships = Membership.objects.select_related("organization").filter(
        user=request.user, is_active=True
    )
    return render(request, "accounts/choose_organization.html", {"memberships": memberships})


@member_required()
@require_http_methods(["GET", "POST"])
def security(request: HttpRequest) -> HttpResponse:
    """Own two-factor status, backup codes and API tokens."""
    membership: Membership = request.membership  # type: ignore[attr-defined]
    token_form = ApiTokenForm()
    new_token: str | None = None
    codes: list[str] | None = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "backup-codes":
            try:
                codes = services.regenerate_backup_codes(request.user)  # type: ignore[arg-type]
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
        elif action == "create-token":
            token_form = ApiTokenForm(request.POST)
            if token_form.is_valid():
                _token, new_token = services.create_api_token(
                    membership, name=token_form.cleaned_data["name"]
                )
        elif action == "revoke-token":
            try:
                token_uuid = uuid.UUID(request.POST.get("token", ""))
            except ValueError:
                raise Http404("No such token.") from None
            token = get_object_or_404(ApiToken, uuid=token_uuid, membership__user=request.user)
            services.revoke_api_token(membership, token)
            messages.success(request, f"Token {token} revoked.")
            return redirect("accounts:security")
    tokens = ApiToken.objects.filter(membership=membership).select_related(
        "membership__organization"
    )
    return render(
        request,
        "accounts/security.html",
        {
            "has_device": services.has_confirmed_device(request.user),  # type: ignore[arg-type]
            "codes": codes,
            "tokens": tokens,
            "token_form": token_form,
            "new_token": new_token,
        },
    )


@member_required(Membership.Role.ADMIN)
@require_http_methods(["GET", "POST"])
def member_list(request: HttpRequest) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invite_member(actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("accounts:member-list")
    members = Membership.objects.filter(organization=actor.organization).select_related("user")
    return render(request, "accounts/member_list.html", {"members": members, "form": form})


@member_required(Membership.Role.ADMIN)
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, member_uuid: str) -> HttpResponse:
    actor: Membership = request.membership  # type: ignore[attr-defined]
    member = get_object_or_404(
        Membership.objects.select_related("user"), uuid=member_uuid, organization=actor.organization
    )
    initial = {
        "role": member.role,
        "credential": member.credential,
        "npi": member.npi,
        "dea_number": member.dea_number,
        "dea_schedules": member.dea_schedules,
        "state_license": member.state_license,
    }
    form = CredentialsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        action = request.POST.get("action", "change-role")
        try:
            if action == "deactivate":
                services.deactivate_member(actor, member)
                messages.success(request, f"{member.user} can no longer use {actor.organization}.")
                return redirect("accounts:member-list")
            if action == "reset-two-factor":
                services.reset_two_factor(actor, member)
                messages.success(
                    request, f"{member.user} will set up two-factor again at next login."
                )
                return redirect("accounts:member-list")
            if form.is_valid():
                changed = services.change_role(actor, member, **form.cleaned_data)
                messages.success(request, f"{changed.user} is now {changed.get_role_display()}.")
                return redirect("accounts:member-list")
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(request, "accounts/member_edit.html", {"member": member, "form": form})


@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Invited members choose their password from the emailed link."""
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64).decode()))
    except (ValueError, User.DoesNotExist):
        raise Http404("This link is not valid.") from None
    if not default_token_generator.check_token(user, token):
        raise Http404("This link has expired or was already used.")
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Password set. Sign in to continue.")
        return redirect("accounts:login")
    return render(request, "accounts/set_password.html", {"form": form})
