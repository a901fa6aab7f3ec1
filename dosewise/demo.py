"""The demo clinic: fictional people created through the services, so the audit trail is real.

Idempotent: running it again finds the demo organization and adds nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from dosewise.accounts import services as account_services
from dosewise.accounts.models import Membership, Organization, User
from dosewise.clinical import services as clinical_services
from dosewise.clinical.models import Encounter
from dosewise.domain.identifiers import DEA_SCHEDULES
from dosewise.patients import services as patient_services
from dosewise.patients.models import Patient

DEMO_ORGANIZATION = "Maple Grove Behavioral Health (demo)"
DEMO_PASSWORD = "dosewise-demo"  # noqa: S105 - fictional demo accounts only


class DemoConflict(Exception):
    """The demo clinic cannot be created without touching real accounts."""


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first_name: str
    last_name: str
    role: str
    credential: str = ""
    npi: str = ""
    dea_number: str = ""


# Fictional identifiers with valid check digits (NPI Luhn; DEA checksum).
STAFF = (
    DemoPerson(
        "dr.patel", "Anika", "Patel", "prescriber", "psychiatrist", "1999000015", "AP1234563"
    ),
    DemoPerson("np.nguyen", "Linh", "Nguyen", "prescriber", "np", "1999000023", "MN2345672"),
    DemoPerson("pa.okafor", "Chidi", "Okafor", "prescriber", "pa", "1999000031", "MO3456781"),
    DemoPerson("nurse.garcia", "Elena", "Garcia", "nurse"),
    DemoPerson("frontdesk.lee", "Jordan", "Lee", "staff"),
    DemoPerson("admin.morgan", "Sam", "Morgan", "admin"),
)

# (code, onset years ago, chief complaint) by condition family; codes are billable ICD-10-CM.
CONDITIONS = (
    ("F33.1", "Low mood, poor sleep and loss of interest for two months; prior episode in 2019."),
    ("F32.1", "Feeling down most days since a job loss; trouble concentrating."),
    ("F41.1", "Constant worry about work and family, muscle tension, poor sleep."),
    ("F41.0", "Sudden episodes of racing heart and fear of dying, avoiding the subway."),
    ("F31.81", "Periods of very high energy with little sleep, followed by weeks of depression."),
    ("F31.32", "Depressed for six weeks; history of manic episode requiring admission."),
    ("F90.2", "Lifelong trouble finishing tasks, losing things, restlessness at work."),
    ("F90.0", "Cannot focus on reading or meetings; missed deadlines since school."),
    ("F43.12", "Nightmares and flashbacks since an assault three years ago; avoids going out."),
    ("F43.10", "On edge and startles easily since a car accident; intrusive memories."),
)

GIVEN = (
    "Avery",
    "Blake",
    "Casey",
    "Dana",
    "Emery",
    "Finley",
    "Harper",
    "Jamie",
    "Kai",
    "Logan",
    "Morgan",
    "Noel",
    "Parker",
    "Quinn",
    "Reese",
    "Rowan",
    "Sage",
    "Skyler",
    "Taylor",
    "Wren",
)
FAMILY = (
    "Abbott",
    "Brennan",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fontaine",
    "Gallagher",
    "Haddad",
    "Ibarra",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Oyelaran",
    "Petrov",
    "Quintero",
    "Rasmussen",
    "Sorensen",
    "Tanaka",
)
PRONOUNS = ("she/her", "he/him", "they/them")


def _demo_device(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Demo authenticator", confirmed=True)
    return device


def totp_secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp()
    return f"{totp.token():0{device.digits}d}"


@transaction.atomic
def seed(*, patients: int = 40, today: dt.date | None = None) -> tuple[Organization, bool]:
    """Create the demo clinic unless it exists; returns it and whether it was created now."""
    existing = Organization.objects.filter(name=DEMO_ORGANIZATION, is_demo=True).first()
    if existing is not None:
        return existing, False
    today = today or timezone.localdate()
    taken = Membership.objects.filter(
        user__username__in=[person.username for person in STAFF], organization__is_demo=False
    ).values_list("user__username", flat=True)
    if taken:
        # Never print the authenticator secret of a real account that happens to share a name.
        raise DemoConflict(f"Demo usernames belong to real accounts: {', '.join(sorted(taken))}")
    organization = Organization.objects.create(name=DEMO_ORGANIZATION, is_demo=True)
    members: dict[str, Membership] = {}
    for person in STAFF:
        user = User.objects.filter(username=person.username).first()
        if user is None:
            user = User(
                username=person.username,
                first_name=person.first_name,
                last_name=person.last_name,
                email=f"{person.username}@demo.dosewise.invalid",
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        members[person.username] = account_services.add_member(
            organization,
            user=user,
            role=person.role,
            credential=person.credential,
            npi=person.npi,
            dea_number=person.dea_number,
            dea_schedules=list(DEA_SCHEDULES) if person.dea_number else [],
            state_license=f"NY {700000 + len(members)}" if person.role == "prescriber" else "",
            actor=None,
        )
        _demo_device(user)
    prescribers = [m for m in members.values() if m.role == Membership.Role.PRESCRIBER]
    nurse = members["nurse.garcia"]
    front_desk = members["frontdesk.lee"]
    rng = random.Random(20261127)  # noqa: S311 - reproducible fictional data, not security
    for index in range(patients):
        code, complaint = CONDITIONS[index % len(CONDITIONS)]
        sex = rng.choice([Patient.SexAtBirth.FEMALE, Patient.SexAtBirth.MALE])
        born = today - dt.timedelta(days=rng.randint(19 * 365, 70 * 365))
        patient = patient_services.register_patient(
            front_desk,
            today=today,
            mrn=f"DW-{1001 + index}",
            given_name=GIVEN[index % len(GIVEN)],
            family_name=FAMILY[(index * 7) % len(FAMILY)],
            date_of_birth=born,
            sex_at_birth=sex,
            gender_identity="",
            pronouns=rng.choice(PRONOUNS),
            phone=f"555-01{index:02d}",
            email=f"patient{index + 1}@example.invalid",
            preferred_pharmacy=rng.choice(
                ["Main Street Pharmacy", "Riverside Drugs", "Mail order"]
            ),
            pregnancy_status=(
                Patient.PregnancyStatus.NOT_PREGNANT
                if sex == Patient.SexAtBirth.FEMALE
                else Patient.PregnancyStatus.NOT_APPLICABLE
            ),
            lactation_status=(
                Patient.LactationStatus.NOT_BREASTFEEDING
                if sex == Patient.SexAtBirth.FEMALE
                else Patient.LactationStatus.NOT_APPLICABLE
            ),
            smoking_status=rng.choice(list(Patient.SmokingStatus.values)),
        )
        prescriber = prescribers[index % len(prescribers)]
        patient_services.join_care_team(prescriber, patient, reason="Treating prescriber")
        patient_services.join_care_team(nurse, patient, reason="Clinic nurse")
        if index % 6 == 0:
            patient_services.record_allergy(
                prescriber, patient, substance="Penicillin", reaction="Hives", severity="moderate"
            )
        seen_on = today - dt.timedelta(days=rng.randint(7, 400))
        encounter = clinical_services.start_encounter(
            prescriber,
            patient,
            kind=Encounter.Kind.INTAKE,
            mode=rng.choice(list(Encounter.Mode.values)),
            occurred_on=seen_on,
            today=today,
            chief_complaint=complaint,
            history_of_present_illness="Symptoms as described; no prior medication trials reported.",
            psychiatric_history="No psychiatric admissions. No suicide attempts.",
            medical_history="No chronic medical conditions.",
            substance_use="Alcohol socially, no drug use.",
            family_history="Mother with depression.",
            social_history="Lives with partner, works full time, walks most days.",
            symptoms="See HPI.",
            mental_status_exam="Alert, oriented, cooperative; mood described as 'worn out', affect congruent; no psychosis.",
            risk_assessment="Denies suicidal or homicidal ideation, intent or plan. Low acute risk.",
            plan="Start measurement-based care; discuss medication options; follow up in 4 weeks.",
        )
        clinical_services.add_diagnosis(
            prescriber,
            patient,
            code=code,
            encounter=encounter,
            onset_on=seen_on - dt.timedelta(days=90),
            today=today,
        )
        clinical_services.sign_encounter(prescriber, encounter)
    return organization, True


def logins() -> list[tuple[Membership, str]]:
    """Demo memberships with the TOTP secret of each user's authenticator."""
    result = []
    demo_members = Membership.objects.filter(organization__is_demo=True).exclude(
        user__memberships__organization__is_demo=False
    )
    for membership in demo_members.select_related("user", "organization"):
        result.append((membership, totp_secret(_demo_device(membership.user))))
    return result
