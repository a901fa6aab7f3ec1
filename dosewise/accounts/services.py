"""Write path for accounts: members, roles, two-factor devices, API tokens, logins."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dosewise.accounts.models import ApiToken, Membership, Organization, User
from dosewise.audit.services import record
from dosewise.domain.identifiers import dea_number_problem, dea_schedules_problem, npi_problem

BACKUP_CODE_COUNT = 10


def _require_admin(actor: Membership) -> None:
    if actor.role != Membership.Role.ADMIN or not actor.is_active:
        raise PermissionDenied("Only the clinic admin manages members.")


def validate_credentials(
    *,
    role: str,
    credential: str,
    npi: str,
    dea_number: str,
    dea_schedules: list[str],
    last_name: str,
) -> None:
    """Prescribers carry a credential and a valid NPI; a DEA number, when given, must check out."""
    errors: dict[str, list[str]] = {}
    if role not in Membership.Role.values:
        errors["role"] = [f"Unknown role {role!r}."]
    if role == Membership.Role.PRESCRIBER:
        if credential not in Membership.Credential.values:
            errors["credential"] = [
                "Choose psychiatrist, nurse practitioner or physician assistant."
            ]
        if problem := npi_problem(npi):
            errors["npi"] = [problem]
        if dea_number and (problem := dea_number_problem(dea_number, last_name=last_name)):
            errors["dea_number"] = [problem]
        if problem := dea_schedules_problem(dea_schedules):
            errors["dea_schedules"] = [problem]
        if dea_schedules and not dea_number:
            errors["dea_schedules"] = ["Schedules need a DEA registration number."]
    elif credential or npi or dea_number or dea_schedules:
        errors["role"] = ["Only prescribers carry a credential, NPI or DEA registration."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def add_member(
    organization: Organization,
    *,
    user: User,
    role: str,
    credential: str = "",
    npi: str = "",
    dea_number: str = "",
    dea_schedules: list[str] | None = None,
    state_license: str = "",
    actor: User | None,
) -> Membership:
    """Give an existing user a role in the organization (used by invites and the demo seed)."""
    schedules = list(dea_schedules or [])
    validate_credentials(
        role=role,
        credential=credential,
        npi=npi,
        dea_number=dea_number.upper(),
        dea_schedules=schedules,
        last_name=user.last_name,
    )
    if Membership.objects.filter(user=user, organization=organization).exists():
        raise ValidationError({"email": ["This person is already a member of the organization."]})
    membership = Membership.objects.create(
        user=user,
        organization=organization,
        role=role,
        credential=credential,
        npi=npi,
        dea_number=dea_number.upper(),
        dea_schedules=schedules,
        state_license=state_license,
    )
    record(
        "member.add",
        actor=actor,
        organization=organization,
        target=membership,
        detail={"user": user.username, "role": role},
    )
    return membership


@transaction.atomic
def invite_member(
    actor: Membership,
    *,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    **credentials: Any,
) -> Membership:
    """Admin invites someone by email: an account without a password and a link to set one."""
    _require_admin(actor)
    email = email.strip().lower()
    if not email:
        raise ValidationError({"email": ["Enter an email address."]})
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(
            username=email, email=email, first_name=first_name.strip(), last_name=last_name.strip()
        )
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
    membership = add_member(
        actor.organization, user=user, role=role, actor=actor.user, **credentials
    )
    link = reverse(
        "accounts:set-password",
        args=[
            urlsafe_base64_encode(force_bytes(user.pk)),
            default_token_generator.make_token(user),
        ],
    )
    transaction.on_commit(
        lambda: send_mail(
            f"You are invited to {actor.organization.name} on Dosewise",
            f"{actor.user} invited you to {actor.organization.name} as {membership.get_role_display()}.\n"
            f"Set your password here: {settings.SITE_URL}{link}\n",
            None,
            [email],
        )
    )
    return membership


def _lock_member(actor: Membership, membership: Membership) -> Membership:
    _require_admin(actor)
    if membership.organization_id != actor.organization_id:
        raise PermissionDenied("Not a member of your organization.")
    return (
        Membership.objects.select_for_update()
        .select_related("user", "organization")
        .get(pk=membership.pk)
    )


@transaction.atomic
def change_role(
    actor: Membership, membership: Membership, *, role: str, **credentials: Any
) -> Membership:
    """Admin changes a member's role (and the credentials that go with it)."""
    membership = _lock_member(actor, membership)
    if membership.pk == actor.pk and role != Membership.Role.ADMIN:
        raise ValidationError(
            {"role": ["You cannot remove your own admin role; ask another admin."]}
        )
    fields = {
        "credential": credentials.get("credential", ""),
        "npi": credentials.get("npi", ""),
        "dea_number": credentials.get("dea_number", "").upper(),
        "dea_schedules": list(credentials.get("dea_schedules") or []),
        "state_license": credentials.get("state_license", ""),
    }
    validate_credentials(
        role=role,
        last_name=membership.user.last_name,
        **{k: v for k, v in fields.items() if k != "state_license"},
    )
    old_role = membership.role
    membership.role = role
    for name, value in fields.items():
        setattr(membership, name, value)
    membership.save(update_fields=["role", *fields])
    record(
        "member.change-role",
        actor=actor.user,
        organization=actor.organization,
        target=membership,
        detail={"user": membership.user.username, "from": old_role, "to": role},
    )
    return membership


@transaction.atomic
def deactivate_member(actor: Membership, membership: Membership) -> Membership:
    """Admin removes a member's access to the organization; their records stay attributed."""
    membership = _lock_member(actor, membership)
    if membership.pk == actor.pk:
        raise ValidationError({"membership": ["You cannot deactivate yourself."]})
    if not membership.is_active:
        raise ValidationError({"membership": ["This member is already deactivated."]})
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    revoked = ApiToken.objects.filter(membership=membership, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    record(
        "member.deactivate",
        actor=actor.user,
        organization=actor.organization,
        target=membership,
        detail={"user": membership.user.username, "api_tokens_revoked": revoked},
    )
    return membership


@transaction.atomic
def reset_two_factor(actor: Membership, membership: Membership) -> None:
    """Admin removes a member's authenticator and backup codes; they enrol again at next login."""
    membership = _lock_member(actor, membership)
    user = membership.user
    elsewhere = Membership.objects.filter(user=user, is_active=True).exclude(
        organization=actor.organization
    )
    if elsewhere.exists():
        # The device protects every organization the person works for, not just this one.
        raise ValidationError(
            {
                "membership": [
                    "This person also works for another organization; ask a Dosewise operator to reset their two-factor."
                ]
            }
        )
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    StaticDevice.objects.filter(user=user).delete()
    record(
        "member.reset-two-factor",
        actor=actor.user,
        organization=actor.organization,
        target=membership,
        detail={"user": user.username, "devices_removed": removed},
    )


# --- Two-factor enrolment -------------------------------------------------------------------


def pending_totp_device(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled (created on first call)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def has_confirmed_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def confirm_totp_device(user: User, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the authenticator with a code it shows; returns fresh one-time backup codes."""
    if device.user_id != user.pk or device.confirmed or has_confirmed_device(user):
        raise ValidationError({"token": ["Start the enrolment again."]})
    if not device.verify_token(token.strip()):
        raise ValidationError(
            {"token": ["That code is not right; check the time on your phone and try again."]}
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_backup_codes(user)
    record("two-factor.enrol", actor=user, target=user)
    return codes


def _new_backup_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def regenerate_backup_codes(user: User) -> list[str]:
    """Replace all backup codes (the old ones stop working)."""
    if not has_confirmed_device(user):
        raise ValidationError({"token": ["Set up an authenticator app first."]})
    codes = _new_backup_codes(user)
    record("two-factor.backup-codes", actor=user, target=user)
    return codes


# --- API tokens -------------------------------------------------------------------------------


@transaction.atomic
def create_api_token(actor: Membership, *, name: str) -> tuple[ApiToken, str]:
    """A new API token for the actor in the active organization; the raw token is returned once."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Name the token (e.g. the script that uses it)."]})
    raw, prefix, key_hash = ApiToken.generate()
    token = ApiToken.objects.create(
        membership=actor, name=name[:80], prefix=prefix, key_hash=key_hash
    )
    record(
        "api-token.create",
        actor=actor.user,
        organization=actor.organization,
        target=token,
        detail={"name": token.name},
    )
    return token, raw


@transaction.atomic
def revoke_api_token(actor: Membership, token: ApiToken) -> ApiToken:
    if token.membership.user_id != actor.user_id:
        raise PermissionDenied("Not your token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(
            "api-token.revoke",
            actor=actor.user,
            organization=token.membership.organization,
            target=token,
        )
    return token


# --- Sessions ---------------------------------------------------------------------------------


def record_login(user: User) -> None:
    record("login", actor=user, target=user)


def record_failed_login(username: str, *, reason: str) -> None:
    record("login.failed", actor=None, actor_label=username[:150], detail={"reason": reason})


def record_logout(user: User) -> None:
    record("logout", actor=user, target=user)


@transaction.atomic
def switch_organization(user: User, organization_uuid: str) -> Membership:
    membership = (
        Membership.objects.select_related("organization")
        .filter(user=user, is_active=True, organization__uuid=organization_uuid)
        .first()
    )
    if membership is None:
        raise ValidationError({"organization": ["You are not a member of that organization."]})
    record(
        "organization.switch",
        actor=user,
        organization=membership.organization,
        target=membership.organization,
    )
    return membership
