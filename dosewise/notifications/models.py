"""Reminders to patients and the contact preferences that allow them (issue 6).

A `Reminder` row is both the plan ("remind this patient of that, after this moment") and the
delivery record (who claimed it, how often it failed, when it went out). Its unique
`dedupe_key` is what makes planning idempotent; the claim columns are what make delivery
happen once even with several workers (see docs/reminders.md).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message (SMS)"


class ContactPreference(models.Model):
    """Whether and how a patient agreed to be reminded: consent (with who recorded it, when),
    the channels allowed, the preferred one, and the hours not to be disturbed."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="contact_preference"
    )
    reminders_consent = models.BooleanField(
        "agrees to reminders",
        default=False,
        help_text="The patient agreed to receive appointment, blood test and questionnaire "
        "reminders.",
    )
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    email_allowed = models.BooleanField("email allowed", default=False)
    sms_allowed = models.BooleanField("text messages allowed", default=False)
    preferred_channel = models.CharField(
        max_length=8, choices=Channel.choices, default=Channel.EMAIL
    )
    # Both or neither; may wrap midnight (21:00-08:00). None: the clinic's REMINDER_QUIET_HOURS.
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False),
                name="quiet_hours_both_or_neither",
            ),
            models.CheckConstraint(
                condition=Q(reminders_consent=False) | Q(consent_recorded_at__isnull=False),
                name="consent_has_a_date",
            ),
            models.CheckConstraint(
                condition=Q(preferred_channel__in=["email", "sms"]),
                name="preferred_channel_known",
            ),
        ]

    def __str__(self) -> str:
        return f"Contact preferences of {self.patient}"


class ReminderQuerySet(models.QuerySet["Reminder"]):
    def claimable(self, now: dt.datetime) -> ReminderQuerySet:
        """Due and not held by a live claim: pending past its time (and its retry time), or
        `sending` under a claim that expired (its worker died)."""
        due_pending = (
            Q(status=Reminder.Status.PENDING, send_after__lte=now)
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        )
        abandoned = Q(status=Reminder.Status.SENDING, claimed_until__lt=now)
        return self.filter(due_pending | abandoned)


class Reminder(models.Model):
    """One message to a patient about an appointment, a blood test or a questionnaire: planned
    once (unique `dedupe_key`), sent once, retried on failure, and kept as the record of it."""

    class Kind(models.TextChoices):
        APPOINTMENT = "appointment", "Appointment"
        LAB_DUE = "lab_due", "Blood test or check-up due"
        QUESTIONNAIRE_DUE = "questionnaire_due", "Questionnaire due"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="reminders"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Chosen when the reminder is sent, from the preferences of that moment.
    channel = models.CharField(max_length=8, choices=Channel.choices, blank=True)
    recipient = models.CharField("recipient address", max_length=254, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    # What the reminder is about: the appointment (public id and start) or the due date.
    source_ref = models.CharField(max_length=64, blank=True)
    event_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    send_after = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    skip_reason = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # e.g. "appointment:<uuid>:<start>:24h": the same reminder is never planned twice.
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["-send_after", "-id"]
        indexes = [
            models.Index(fields=["status", "send_after"]),
            models.Index(fields=["organization", "status", "send_after"]),
            models.Index(fields=["patient", "send_after"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=["pending", "sending", "sent", "failed", "skipped"],
                    kind__in=["appointment", "lab_due", "questionnaire_due"],
                ),
                name="reminder_status_and_kind_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False, recipient__gt=""),
                name="sent_reminder_has_time_and_recipient",
            ),
            models.CheckConstraint(
                condition=~Q(status="skipped") | Q(skip_reason__gt=""),
                name="skipped_reminder_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(claimed_until__isnull=False, claimed_by__gt=""),
                name="sending_reminder_is_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} reminder ({self.status})"

    @property
    def can_retry(self) -> bool:
        return self.status in (self.Status.FAILED, self.Status.SKIPPED)
