"""Who may use Dosewise, for which organization, in which role."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class User(AbstractUser):
    """One login. Roles live on `Membership`, per organization."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def requires_two_factor(self) -> bool:
        """Prescribers and admins must use a second factor (issue 2); superusers too."""
        if self.is_superuser:
            return True
        return self.memberships.filter(  # type: ignore[attr-defined]
            is_active=True, role__in=[Membership.Role.PRESCRIBER, Membership.Role.ADMIN]
        ).exists()


class Organization(models.Model):
    """A clinic or telehealth group: the tenant every clinical row belongs to."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    on_call_email = models.EmailField(
        blank=True,
        help_text="Who is told at once, day or night, when a suicide-risk screen is positive.",
    )
    is_demo = models.BooleanField(
        default=False, help_text="Fictional demonstration data; a banner says so on every page."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in one organization; prescribers also carry their credentials."""

    class Role(models.TextChoices):
        PRESCRIBER = "prescriber", "Prescriber"
        NURSE = "nurse", "Nurse"
        STAFF = "staff", "Front desk"
        ADMIN = "admin", "Clinic admin"

    class Credential(models.TextChoices):
        PSYCHIATRIST = "psychiatrist", "Psychiatrist (MD/DO)"
        NURSE_PRACTITIONER = "np", "Nurse practitioner"
        PHYSICIAN_ASSISTANT = "pa", "Physician assistant"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    credential = models.CharField(max_length=16, choices=Credential.choices, blank=True)
    npi = models.CharField("NPI", max_length=10, blank=True)
    dea_number = models.CharField("DEA registration number", max_length=9, blank=True)
    # Controlled-substance schedules the DEA registration covers, e.g. ["2", "2N", "3", "3N", "4", "5"].
    dea_schedules = models.JSONField(default=list, blank=True)
    state_license = models.CharField(
        max_length=40, blank=True, help_text="State and licence number, e.g. 'NY 123456'."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org"),
            models.CheckConstraint(
                condition=(Q(role="prescriber") & ~Q(credential=""))
                | (~Q(role="prescriber") & Q(credential="")),
                name="credential_only_and_always_for_prescribers",
            ),
        ]
        ordering = ["organization", "user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organization}"

    @property
    def is_clinical(self) -> bool:
        """Prescribers and nurses may open charts; staff and admins see demographics only."""
        return self.role in (self.Role.PRESCRIBER, self.Role.NURSE)


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        return self.filter(
            revoked_at__isnull=True, membership__is_active=True, membership__user__is_active=True
        )

    def matching(self, raw: str) -> ApiToken | None:
        return (
            self.usable()
            .select_related("membership__user", "membership__organization")
            .filter(key_hash=_hash_token(raw))
            .first()
        )


class ApiToken(models.Model):
    """A revocable bearer token for the JSON API, acting as one member of one organization.

    Only a SHA-256 of the token is stored; the token itself is shown once, at creation.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """A new raw token with its display prefix and stored hash."""
        raw = "dw_" + secrets.token_urlsafe(32)
        return raw, raw[:10], _hash_token(raw)
