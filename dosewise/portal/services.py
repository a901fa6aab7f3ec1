"""Write path for the waiting-room tablet: a clinician opens a single-use link for one patient,
and the patient's answers are recorded through `dosewise.clinical.assessments.record_assessment`
as the creating clinician (answered by the patient, mode kiosk), consuming the link in the same
transaction.

The link is the only credential: a token whose SHA-256 is stored. Every use and every refused
attempt is audited; a refusal never says whether a link existed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from dosewise.access import Need, write_service
from dosewise.accounts.models import Membership
from dosewise.audit.services import record
from dosewise.clinical.assessments import URGENT_FLAGS, record_assessment
from dosewise.clinical.models import Assessment
from dosewise.domain.scales import Instrument, default_instruments
from dosewise.patients.models import Patient
from dosewise.portal.models import KioskLink, hash_token

# Self-report scales whose official wording ships with Dosewise, so a patient can read and answer
# them alone. Not the AIMS (an examination), the ASQ (asked by a clinician, with follow-up at once)
# or the ASRS (its wording is not embedded: labels only).
KIOSK_INSTRUMENTS = ("phq9", "phq2", "gad7", "gad2", "pcl5")
KIOSK_ACTOR_LABEL = "waiting-room kiosk"


class KioskLinkUnavailable(Exception):
    """The link cannot be used: `why` is unknown, used, expired or no-access (its creator may no
    longer write to the chart). The patient sees the same words whichever it is."""

    def __init__(self, why: str, link: KioskLink | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.link = link

    @property
    def exists(self) -> bool:
        return self.link is not None


@dataclass(frozen=True)
class KioskSubmission:
    link: KioskLink
    assessments: tuple[Assessment, ...]
    show_crisis_resources: bool  # a suicide-risk flag was raised: 988 shown to the patient at once


def kiosk_instruments() -> list[Instrument]:
    registry = default_instruments()
    return [registry.get(instrument_id) for instrument_id in KIOSK_INSTRUMENTS]


@write_service(Need.CLINICAL_WRITE)
def create_kiosk_link(
    actor: Membership, patient: Patient, *, instruments: Sequence[str]
) -> tuple[KioskLink, str]:
    """Open a single-use tablet link for `patient` and these scales; returns it with the raw token,
    which is shown once and never stored."""
    chosen = list(instruments)
    if not chosen:
        raise ValidationError(
            {"instruments": ["Choose at least one scale for the patient to fill."]}
        )
    allowed = ", ".join(instrument.name for instrument in kiosk_instruments())
    for instrument_id in chosen:
        if instrument_id not in KIOSK_INSTRUMENTS:
            raise ValidationError(
                {
                    "instruments": [
                        f"{instrument_id!r} cannot be filled by the patient on a tablet; "
                        f"choose from {allowed}."
                    ]
                }
            )
    if len(set(chosen)) != len(chosen):
        raise ValidationError({"instruments": ["Choose each scale once."]})
    raw, token_hash = KioskLink.generate()
    link = KioskLink.objects.create(
        organization=actor.organization,
        patient=patient,
        instruments=chosen,
        created_by=actor.user,
        created_by_membership=actor,
        token_hash=token_hash,
        expires_at=timezone.now() + dt.timedelta(minutes=settings.KIOSK_LINK_MINUTES),
    )
    record(
        "kiosk.create",
        actor=actor.user,
        organization=actor.organization,
        patient=patient,
        target=link,
        detail={"instruments": chosen, "expires_at": link.expires_at.isoformat()},
    )
    return link, raw


def _refuse(exc: KioskLinkUnavailable) -> None:
    link = exc.link
    record(
        "kiosk.refused",
        actor=None,
        actor_label=KIOSK_ACTOR_LABEL,
        organization=link.organization if link else None,
        patient=link.patient if link else None,
        target=link,
        detail={"why": exc.why},
    )


def _check(link: KioskLink | None, now: dt.datetime) -> KioskLink:
    if link is None:
        raise KioskLinkUnavailable("unknown")
    if link.used_at is not None:
        raise KioskLinkUnavailable("used", link)
    if now >= link.expires_at:
        raise KioskLinkUnavailable("expired", link)
    return link


def open_kiosk_link(raw: str, *, audit_open: bool = True) -> KioskLink:
    """The open link with this token, or KioskLinkUnavailable (the refusal is audited)."""
    found = (
        KioskLink.objects.select_related("organization", "patient")
        .filter(token_hash=hash_token(raw))
        .first()
    )
    try:
        link = _check(found, timezone.now())
    except KioskLinkUnavailable as exc:
        _refuse(exc)
        raise
    if audit_open:
        record(
            "kiosk.open",
            actor=None,
            actor_label=KIOSK_ACTOR_LABEL,
            organization=link.organization,
            patient=link.patient,
            target=link,
        )
    return link


def submit_kiosk(raw: str, *, answers: Mapping[str, Sequence[int]]) -> KioskSubmission:
    """Record each scale of the link as answered by the patient on the tablet, and consume the
    link, all in one transaction: a rejected answer leaves the link open and nothing written."""
    try:
        return _submit(raw, answers)
    except KioskLinkUnavailable as exc:
        _refuse(exc)  # after the rollback, so the refusal itself is kept
        raise


@transaction.atomic
def _submit(raw: str, answers: Mapping[str, Sequence[int]]) -> KioskSubmission:
    now = timezone.now()
    link = _check(
        KioskLink.objects.select_for_update()
        .select_related(
            "organization",
            "patient",
            "created_by_membership__user",
            "created_by_membership__organization",
        )
        .filter(token_hash=hash_token(raw))
        .first(),
        now,
    )
    missing = [name for name in link.instruments if name not in answers]
    if missing or len(answers) != len(link.instruments):
        raise ValidationError(
            {
                "answers": [
                    f"Answer every question of {', '.join(link.instruments)} and nothing else."
                ]
            }
        )
    registry = default_instruments()
    stored = []
    for instrument_id in link.instruments:
        try:
            stored.append(
                record_assessment(
                    link.created_by_membership,
                    link.patient,
                    instrument=instrument_id,
                    answers=list(answers[instrument_id]),
                    answered_by=Assessment.AnsweredBy.PATIENT,
                    mode=Assessment.Mode.KIOSK,
                    administered_at=now,
                )
            )
        except (Http404, PermissionDenied):
            # The clinician who opened the link left the care team or the clinic meanwhile.
            raise KioskLinkUnavailable("no-access", link) from None
        except ValidationError as exc:
            name = registry.get(instrument_id).name
            raise ValidationError([f"{name}: {message}" for message in exc.messages]) from None
    link.used_at = now
    link.save(update_fields=["used_at"])
    record(
        "kiosk.submit",
        actor=None,
        actor_label=KIOSK_ACTOR_LABEL,
        organization=link.organization,
        patient=link.patient,
        target=link,
        detail={
            "instruments": link.instruments,
            "assessments": [str(assessment.uuid) for assessment in stored],
            "created_by": link.created_by_membership.user.get_username(),
        },
    )
    urgent = any(flag in URGENT_FLAGS for assessment in stored for flag in assessment.flags)
    return KioskSubmission(link, tuple(stored), show_crisis_resources=urgent)
