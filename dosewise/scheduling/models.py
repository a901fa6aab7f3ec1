"""Appointments, clinicians' hours and time off, telehealth consent and calendar feeds.

No double booking is held by the database itself: every active appointment owns one
`BookedSlot` row per 5-minute slot it covers, and those rows are unique per clinician and per
patient. The rows are written in the appointment's transaction and removed when it is cancelled
or marked no-show (see docs/scheduling.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Mod
from django.db.models.lookups import Exact

SLOT_MINUTES = 5
MIN_DURATION_MINUTES = 5
MAX_DURATION_MINUTES = 240


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def active(self) -> AppointmentQuerySet:
        """Appointments that hold their time: booked, arrived or fulfilled."""
        return self.filter(status__in=Appointment.ACTIVE_STATUSES)

    def overlapping(self, starts_at: dt.datetime, ends_at: dt.datetime) -> AppointmentQuerySet:
        """Appointments that start before `ends_at` and end after `starts_at` (an approximation
        on the start alone is enough for a day view: appointments last at most 4 hours)."""
        return self.filter(
            starts_at__lt=ends_at,
            starts_at__gt=starts_at - dt.timedelta(minutes=MAX_DURATION_MINUTES),
        )


class Appointment(models.Model):
    """A booked visit of a patient with a clinician (FHIR Appointment): when, how long, in
    person or by video, and what became of it. Never deleted: a mistake is cancelled."""

    class Kind(models.TextChoices):
        INTAKE = "intake", "Intake"
        FOLLOW_UP = "follow-up", "Follow-up"
        MEDICATION_CHECK = "medication-check", "Medication check"

    class Mode(models.TextChoices):
        IN_PERSON = "in-person", "In person"
        TELEHEALTH = "telehealth", "Telehealth"

    class Status(models.TextChoices):
        # FHIR R4 AppointmentStatus codes (the subset a clinic's front desk uses).
        BOOKED = "booked", "Booked"
        ARRIVED = "arrived", "Arrived"
        FULFILLED = "fulfilled", "Fulfilled"
        CANCELLED = "cancelled", "Cancelled"
        NOSHOW = "noshow", "No-show"

    ACTIVE_STATUSES = (Status.BOOKED, Status.ARRIVED, Status.FULFILLED)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments_as_clinician"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    mode = models.CharField(max_length=12, choices=Mode.choices)
    video_url = models.URLField(
        "video link", max_length=500, blank=True, help_text="https link of a telehealth visit."
    )
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    cancel_reason = models.CharField(max_length=300, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    booked_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["organization", "starts_at"]),
            models.Index(fields=["clinician", "starts_at"]),
            models.Index(fields=["patient", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    duration_minutes__gte=MIN_DURATION_MINUTES,
                    duration_minutes__lte=MAX_DURATION_MINUTES,
                ),
                name="appointment_duration_in_range",
            ),
            models.CheckConstraint(
                condition=Exact(Mod(F("duration_minutes"), SLOT_MINUTES), 0),
                name="appointment_duration_in_slots",
            ),
            models.CheckConstraint(
                condition=Q(mode="in-person", video_url="")
                | Q(mode="telehealth", video_url__startswith="https://"),
                name="telehealth_has_https_link",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="cancelled_appointment_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["booked", "arrived", "fulfilled", "cancelled", "noshow"]),
                name="appointment_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class BookedSlot(models.Model):
    """One 5-minute slot held by an active appointment. The unique constraints are what makes
    double booking (of the clinician or of the patient) impossible, even for two requests that
    pass the service's check at the same moment."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="slots")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    slot_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinician", "slot_at"], name="clinician_slot_once"),
            models.UniqueConstraint(fields=["patient", "slot_at"], name="patient_slot_once"),
        ]

    def __str__(self) -> str:
        return f"Slot {self.slot_at:%Y-%m-%d %H:%M} of {self.appointment_id}"


class TelehealthConsentQuerySet(models.QuerySet["TelehealthConsent"]):
    def current(self) -> TelehealthConsentQuerySet:
        return self.filter(withdrawn_at__isnull=True)


class TelehealthConsent(models.Model):
    """The patient's consent to be seen by video, as recorded by the clinic; current until
    withdrawn. A telehealth appointment can only be booked while it is current."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="telehealth_consents"
    )
    given_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = TelehealthConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-given_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_current_telehealth_consent",
            )
        ]

    def __str__(self) -> str:
        return f"Telehealth consent given on {self.given_on}"


class Availability(models.Model):
    """A clinician's bookable weekly hours: one row per span of one weekday, in the clinic's
    time zone (several rows a day, e.g. around a lunch break)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="availability"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["weekday", "start_time"]
        verbose_name_plural = "availability"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="availability_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="availability_weekday_known"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class TimeOff(models.Model):
    """A period in which a clinician cannot be booked (leave, training)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_off"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="time_off_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"Time off {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M}"


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class CalendarFeedQuerySet(models.QuerySet["CalendarFeed"]):
    def matching(self, raw: str) -> CalendarFeed | None:
        """The usable feed of this raw token (never a revoked one)."""
        return (
            self.filter(revoked_at__isnull=True, key_hash=_hash_token(raw))
            .select_related("organization", "clinician", "patient")
            .first()
        )


class CalendarFeed(models.Model):
    """A private, revocable iCalendar subscription: a clinician's schedule or a patient's
    appointments. Only a SHA-256 of the token is stored; the URL is shown once."""

    class Kind(models.TextChoices):
        CLINICIAN = "clinician", "Clinician's schedule"
        PATIENT = "patient", "Patient's appointments"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calendar_feeds",
    )
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="clinician", clinician__isnull=False, patient__isnull=True)
                | Q(kind="patient", clinician__isnull=True, patient__isnull=False),
                name="calendar_feed_has_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} feed ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """A new raw token with its display prefix and stored hash."""
        raw = "cal_" + secrets.token_urlsafe(32)
        return raw, raw[:10], _hash_token(raw)
