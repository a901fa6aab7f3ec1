"""The shared world of the access tables: one patient with a record, and every persona."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dosewise.accounts.models import Membership, User
from dosewise.clinical import services as clinical
from dosewise.clinical.models import Diagnosis, Encounter
from dosewise.patients import services as patient_services
from dosewise.patients.models import Allergy, Patient


@dataclass
class World:
    patient: Patient
    draft: Encounter
    signed: Encounter
    diagnosis: Diagnosis
    allergy: Allergy
    members: dict[str, Membership]
    patient_user: User


@pytest.fixture
def world(
    patient: Patient,
    prescriber: Membership,
    nurse: Membership,
    colleague: Membership,
    front_desk: Membership,
    clinic_admin: Membership,
    outsider: Membership,
    patient_user: User,
) -> World:
    draft = clinical.start_encounter(
        prescriber,
        patient,
        kind="intake",
        mode="in-person",
        occurred_on=patient.created_at.date(),
        chief_complaint="Low mood",
    )
    signed = clinical.start_encounter(
        prescriber,
        patient,
        kind="intake",
        mode="in-person",
        occurred_on=patient.created_at.date(),
        plan="Follow up",
    )
    clinical.sign_encounter(prescriber, signed)
    diagnosis = clinical.add_diagnosis(prescriber, patient, code="F33.1", encounter=signed)
    allergy = patient_services.record_allergy(prescriber, patient, substance="Penicillin")
    return World(
        patient=patient,
        draft=draft,
        signed=signed,
        diagnosis=diagnosis,
        allergy=allergy,
        members={
            "prescriber": prescriber,
            "nurse": nurse,
            "colleague": colleague,
            "front_desk": front_desk,
            "clinic_admin": clinic_admin,
            "outsider": outsider,
        },
        patient_user=patient_user,
    )
