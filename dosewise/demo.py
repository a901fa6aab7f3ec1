"""The demo clinic: fictional people created through the services, so the audit trail is real.

Nine patients also get a medication history (`STORIES`): prescriptions, dose changes, a switch,
Schedule II renewals, a benzodiazepine reduction and reasoned safety overrides, each written
through the prescribing services on the past day it happened. Three of them have treatment plans
(issue 7), made through the plan services: an active sertraline taper with one step confirmed and
the next due today, an active cross-taper from paroxetine to sertraline starting in three days,
and a draft lamotrigine titration beside valproate.

Idempotent: running it again finds the demo organization and adds nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from dosewise.accounts import services as account_services
from dosewise.accounts.models import Membership, Organization, User
from dosewise.clinical import assessments
from dosewise.clinical import services as clinical_services
from dosewise.clinical.models import Diagnosis, Encounter
from dosewise.domain.identifiers import DEA_SCHEDULES
from dosewise.monitoring.labs_demo import seed_lab_monitoring
from dosewise.notifications.demo import seed_contact_preferences
from dosewise.patients import services as patient_services
from dosewise.patients.models import Allergy, Patient
from dosewise.prescribing import plans
from dosewise.prescribing import services as prescribing
from dosewise.prescribing.models import Prescription, RegimenEvent
from dosewise.prescribing.plan_models import Plan
from dosewise.prescribing.services import OrderInput, SafetyDecision
from dosewise.prescribing.side_effects_demo import seed_side_effects
from dosewise.scheduling.demo import seed_scheduling

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


# --- Medication stories -----------------------------------------------------------------------
# Each story writes a patient's history through the prescribing services, dated at the visits
# where it happened (`today=` is the visit day), so the safety engine reviews every step. Where
# the engine rightly flags something, the prescriber's acknowledgement or override reason is
# part of the story. A finding the story does not expect stops the seed (SafetyBlock).

Reason = RegimenEvent.Reason
PRIMARY_CARE = "Dr. Maya Brooks, Riverside Family Medicine (primary care)"


@dataclass(frozen=True)
class _Chart:
    """One demo patient as a story sees it: treating prescriber, nurse, diagnosis, intake day."""

    prescriber: Membership
    nurse: Membership
    patient: Patient
    diagnosis: Diagnosis
    intake_on: dt.date
    today: dt.date

    def day(self, number: int) -> dt.date:
        """The date `number` days after the intake visit (day 0); never after today."""
        visit = self.intake_on + dt.timedelta(days=number)
        if visit > self.today:
            raise ValueError(f"Demo story for {self.patient.mrn} runs past today (day {number}).")
        return visit

    def order(
        self,
        day: int,
        drug: str,
        strength_mg: str,
        *,
        form: str = "tablet",
        unit: str = "tablet",
        amount: str = "1",
        times_per_day: int = 1,
        timings: tuple[str, ...] = ("morning",),
        days_supply: int = 30,
        refills: int = 0,
        controlled: bool = False,
    ) -> OrderInput:
        """An order starting on `day` (30 days' supply unless told), for this patient's
        diagnosis; for a controlled drug the PDMP is checked at that visit."""
        return OrderInput(
            drug=drug,
            form=form,
            strength_mg=Decimal(strength_mg),
            dose_amount=Decimal(amount),
            dose_unit=unit,
            times_per_day=Decimal(times_per_day),
            timings=timings,
            start_on=self.day(day),
            days_supply=days_supply,
            refills=refills,
            indication=self.diagnosis,
            pdmp_checked_on=self.day(day) if controlled else None,
        )


def _spread(total: int, items: int, highest: int) -> list[int]:
    """Answers that add up to `total`, spread evenly over `items` (a plausible form)."""
    base, extra = divmod(total, items)
    answers = [base + (1 if index < extra else 0) for index in range(items)]
    if max(answers) > highest:
        raise ValueError(f"{total} cannot be spread over {items} items of at most {highest}")
    return answers


def _measure(chart: _Chart, day: int, instrument: str, total: int, *, item_9: int = 0) -> None:
    """The patient fills in a scale at the visit on `day` (PHQ-9 item 9 given separately)."""
    if instrument == "phq9":
        answers = [*_spread(total - item_9, 8, 3), item_9]
    else:
        answers = _spread(total, 7, 3)
    when = dt.datetime.combine(
        chart.day(day), dt.time(9, 30), tzinfo=timezone.get_current_timezone()
    )
    assessments.record_assessment(
        chart.prescriber,
        chart.patient,
        instrument=instrument,
        answers=answers,
        answered_by="patient",
        mode="in-clinic",
        administered_at=when,
    )


@dataclass(frozen=True)
class _Story:
    intake_days_ago: int
    tell: Callable[[_Chart], None]


def _sertraline_titrated(chart: _Chart) -> None:
    """Recurrent depression: sertraline 50 mg, raised to 100 mg after four weeks. Over-the-counter
    ibuprofen comes up at reconciliation (a moderate bleeding-risk finding, shown, not blocking)."""
    prescribing.record_outside_medication(
        chart.nurse,
        chart.patient,
        drug="ibuprofen",
        dose_amount=Decimal(2),
        dose_unit=Prescription.DoseUnit.TABLET,
        strength_mg=Decimal(200),
        times_per_day=None,
        is_prn=True,
        prn_max_per_day=Decimal(3),
        source=Prescription.Source.OVER_THE_COUNTER,
        start_on=chart.day(0) - dt.timedelta(days=365),
    )
    start = prescribing.prescribe(
        chart.prescriber,
        chart.patient,
        chart.order(0, "sertraline", "50", refills=2),
        today=chart.day(0),
    )
    prescribing.change_dose(
        chart.prescriber,
        start,
        chart.order(28, "sertraline", "100", refills=2),
        reason=Reason.TITRATION,
        reason_text="Partial response after 4 weeks (PHQ-9 18 to 12); no side effects.",
        today=chart.day(28),
    )
    for day, total in ((0, 18), (28, 12), (56, 8), (84, 4)):
        _measure(chart, day, "phq9", total)


def _escitalopram_to_bupropion(chart: _Chart) -> None:
    """Depression: escitalopram 10 then 20 mg; sexual side effects and only a partial response,
    so a switch to bupropion XL 150 mg, raised to 300 mg."""
    start = prescribing.prescribe(
        chart.prescriber,
        chart.patient,
        chart.order(0, "escitalopram", "10", refills=2),
        today=chart.day(0),
    )
    raised = prescribing.change_dose(
        chart.prescriber,
        start,
        chart.order(28, "escitalopram", "20", refills=2),
        reason=Reason.TITRATION,
        reason_text="Some improvement at 4 weeks (PHQ-9 17 to 13); well tolerated.",
        today=chart.day(28),
    )
    xl = "extended-release tablet (XL, once daily)"
    switched = prescribing.switch(
        chart.prescriber,
        raised,
        chart.order(84, "bupropion", "150", form=xl, refills=2),
        reason=Reason.SIDE_EFFECTS,
        reason_text="Sexual dysfunction on escitalopram 20 mg; mood only partly improved (PHQ-9 11).",
        today=chart.day(84),
    )
    prescribing.change_dose(
        chart.prescriber,
        switched,
        chart.order(112, "bupropion", "300", form=xl, refills=2),
        reason=Reason.TITRATION,
        reason_text="Tolerating 150 mg; energy better, mood still low. Blood pressure 124/78.",
        today=chart.day(112),
    )
    for day, total in ((0, 17), (42, 15), (84, 11), (112, 10)):
        _measure(chart, day, "phq9", total)
    # Two days ago the waiting-room PHQ-9 had item 9 answered "several days": an urgent alert
    # that stays open on the chart and the worklist until a clinician records a safety assessment.
    _measure(chart, 178, "phq9", 12, item_9=1)


def _escitalopram_rechallenge(chart: _Chart) -> None:
    """Generalized anxiety: escitalopram is recorded as an intolerance from 2020. The check
    shows it (moderate: an intolerance is not an allergy) and the prescriber restarts low."""
    for day, total in ((0, 15), (14, 11), (28, 8)):
        _measure(chart, day, "gad7", total)
    patient_services.record_allergy(
        chart.prescriber,
        chart.patient,
        substance="Escitalopram",
        type=Allergy.Type.INTOLERANCE,
        reaction="Nausea and jitteriness in the first week (2020); stopped after 5 days.",
        severity=Allergy.Severity.MILD,
    )
    start = prescribing.prescribe(
        chart.prescriber,
        chart.patient,
        chart.order(0, "escitalopram", "5", refills=1),
        today=chart.day(0),
    )
    prescribing.change_dose(
        chart.prescriber,
        start,
        chart.order(14, "escitalopram", "10", refills=2),
        reason=Reason.TITRATION,
        reason_text="No nausea or jitteriness at 5 mg for 2 weeks; increase as planned.",
        today=chart.day(14),
    )


def _panic_with_clonazepam_taper(chart: _Chart) -> None:
    """Panic disorder: sertraline 25 then 50 mg, with clonazepam as a bridge (0.25 mg twice
    daily for 3 days, then 0.5 mg twice daily, as the label titrates), reduced from 1 mg/day to
    0.5 mg at bedtime once the attacks stopped."""
    sertraline = prescribing.prescribe(
        chart.prescriber,
        chart.patient,
        chart.order(0, "sertraline", "25", days_supply=7),
        today=chart.day(0),
    )
    twice = ("morning", "bedtime")
    starter = prescribing.prescribe(
        chart.prescriber,
        chart.patient,
        chart.order(
            0,
            "clonazepam",
            "0.5",
            amount="0.5",
            times_per_day=2,
            timings=twice,
            days_supply=3,
            controlled=True,
        ),
        today=chart.day(0),
    )
    clonazepam = prescribing.change_dose(
        chart.prescriber,
        starter,
        chart.order(
            3, "clonazepam", "0.5", times_per_day=2, timings=twice, refills=2, controlled=True
        ),
        reason=Reason.TITRATION,
        reason_text="Nurse call: no sedation at 0.25 mg twice daily; increase to the target dose.",
        today=chart.day(3),
    )
    prescribing.change_dose(
        chart.prescriber,
        sertraline,
        chart.order(7, "sertraline", "50", refills=5),
        reason=Reason.TITRATION,
        reason_text="Tolerating 25 mg for a week; increase to the usual dose for panic disorder.",
        today=chart.day(7),
    )
    prescribing.change_dose(
        chart.prescriber,
        clonazepam,
        chart.order(84, "clonazepam", "0.5", timings=("bedtime",), refills=1, controlled=True),
        reason=Reason.TITRATION,
        reason_text=(
            "Planned taper: no panic attacks for 6 weeks on sertraline 50 mg. Reduce by "
            "0.5 mg/day every 2-4 weeks, then stop."
        ),
        today=chart.day(84),
    )


def _lithium_with_lisinopril(chart: _Chart) -> None:
    """Bipolar I disorder: lithium 600 mg/day, raised to 900 mg/day after the first level. The
    patient takes lisinopril from primary care, which raises lithium levels (major finding,
    acknowledged with the monitoring plan)."""
    prescribing.record_outside_medication(
        chart.nurse,
        chart.patient,
        drug="lisinopril",
        dose_amount=Decimal(1),
        dose_unit=Prescription.DoseUnit.TABLET,
        strength_mg=Decimal(10),
        times_per_day=Decimal(1),
        form="tablet",
        source=Prescription.Source.OUTSIDE,
        outside_prescriber=PRIMARY_CARE,
        start_on=chart.day(0) - dt.timedelta(days=2 * 365),
    )
    start = prescribing.prescribe(
        chart.prescriber,
        chart.patient,
        chart.order(
            0,
            "lithium carbonate",
            "300",
            form="capsule",
            unit="capsule",
            times_per_day=2,
            timings=("morning", "bedtime"),
            refills=0,
        ),
        decision=SafetyDecision(
            reasons={
                "lithium-clearance-reduced": (
                    "Lisinopril 10 mg is long-standing and controls the blood pressure; primary "
                    "care prefers not to change it. Lithium started low; level 5-7 days after each "
                    "change; counselled on fluids and toxicity signs; primary care informed."
                )
            }
        ),
        today=chart.day(0),
    )
    prescribing.change_dose(
        chart.prescriber,
        start,
        chart.order(
            10,
            "lithium carbonate",
            "300",
            form="capsule",
            unit="capsule",
            times_per_day=3,
            timings=("morning", "evening", "bedtime"),
            refills=2,
        ),
        reason=Reason.TITRATION,
        reason_text="12-hour lithium level 0.4 mmol/L on 600 mg/day; target 0.6-0.8 mmol/L.",
        decision=SafetyDecision(
            reasons={
                "lithium-clearance-reduced": (
                    "Lisinopril dose unchanged; level and creatinine again 5-7 days after this "
                    "increase."
                )
            }
        ),
        today=chart.day(10),
    )


def _methylphenidate_series(chart: _Chart) -> None:
    """ADHD: methylphenidate ER 18 mg, raised to 36 mg, then a Schedule II prescription each
    month (no refills), written at the monthly visit and not to be filled before the previous
    supply runs out; the PDMP is checked at every visit."""
    oros = "extended-release tablet (OROS)"
    start = prescribing.prescribe(
        chart.prescriber,
        chart.patient,
        chart.order(0, "methylphenidate", "18", form=oros, controlled=True),
        today=chart.day(0),
    )
    current = prescribing.change_dose(
        chart.prescriber,
        start,
        chart.order(28, "methylphenidate", "36", form=oros, controlled=True),
        reason=Reason.TITRATION,
        reason_text="Some benefit at 18 mg, wears off by noon; pulse 78, blood pressure 118/74.",
        today=chart.day(28),
    )
    for visit in (56, 86, 116, 146):
        runs_out = current.start_on + dt.timedelta(days=current.days_supply or 30)
        current = prescribing.renew(
            chart.prescriber,
            current,
            start_on=runs_out,
            earliest_fill_on=runs_out,
            pdmp_checked_on=chart.day(visit),
            today=chart.day(visit),
        )


def _sertraline_taper(chart: _Chart) -> None:
    """Recurrent depression in remission for a year on sertraline 100 mg: the patient and
    prescriber agree to stop. A hyperbolic taper (25% every 2 weeks) began two weeks ago; its
    first step (75 mg) was confirmed then and the second (62.5 mg) is due today."""
    start = prescribing.prescribe(
        chart.prescriber,
        chart.patient,
        chart.order(0, "sertraline", "50", refills=2),
        today=chart.day(0),
    )
    raised = prescribing.change_dose(
        chart.prescriber,
        start,
        chart.order(28, "sertraline", "100", refills=11),
        reason=Reason.TITRATION,
        reason_text="Partial response after 4 weeks (PHQ-9 19 to 13); no side effects.",
        today=chart.day(28),
    )
    for day, total in ((0, 19), (28, 13), (84, 6), (196, 3), (392, 2)):
        _measure(chart, day, "phq9", total)
    begun = chart.day(406)
    plan = plans.create_plan(
        chart.prescriber,
        chart.patient,
        plans.PlanRequest(
            kind=Plan.Kind.TAPER,
            start=begun,
            method="hyperbolic",
            step_percent=Decimal(25),
            interval_days=14,
        ),
        prescription=raised,
        reason="In remission for a year (PHQ-9 2); the patient would like to stop.",
        today=begun,
    )
    plans.activate(chart.prescriber, plan)
    plans.confirm_step(chart.prescriber, plan.steps.get(sequence=1), today=begun)


def _paroxetine_cross_taper(chart: _Chart) -> None:
    """PTSD: paroxetine 20 mg helped the nightmares but brought weight gain and sedation; a
    cross-taper to sertraline 50 mg (paroxetine down while sertraline starts) begins in three
    days, activated after today's visit."""
    paroxetine = prescribing.prescribe(
        chart.prescriber,
        chart.patient,
        chart.order(0, "paroxetine", "20", refills=2),
        today=chart.day(0),
    )
    plan = plans.create_plan(
        chart.prescriber,
        chart.patient,
        plans.PlanRequest(
            kind=Plan.Kind.SWITCH,
            start=chart.today + dt.timedelta(days=3),
            to_drug="sertraline",
            to_mg=Decimal(50),
            strategy="cross-taper",
        ),
        prescription=paroxetine,
        reason="Weight gain (4 kg) and daytime sedation on paroxetine; symptoms improved.",
        today=chart.today,
    )
    plans.activate(chart.prescriber, plan)


def _lamotrigine_with_valproate(chart: _Chart) -> None:
    """Bipolar II: on divalproex 500 mg twice daily; recurrent depressive episodes, so
    lamotrigine is added. The draft titration follows the label's slower schedule with valproate
    (25 mg every other day for two weeks) and waits for the prescriber's review."""
    prescribing.prescribe(
        chart.prescriber,
        chart.patient,
        chart.order(
            0,
            "valproate",
            "500",
            form="delayed-release tablet (divalproex)",
            times_per_day=2,
            timings=("morning", "bedtime"),
            refills=2,
        ),
        today=chart.day(0),
    )
    plans.create_plan(
        chart.prescriber,
        chart.patient,
        plans.PlanRequest(
            kind=Plan.Kind.TITRATION,
            start=chart.today + dt.timedelta(days=7),
            drug="lamotrigine",
            to_mg=Decimal(100),
        ),
        indication=chart.diagnosis,
        reason="Depressive episodes despite valproate; lamotrigine for bipolar depression.",
        today=chart.today,
    )


STORIES: dict[int, _Story] = {
    0: _Story(100, _sertraline_titrated),  # F33.1 recurrent depression
    1: _Story(180, _escitalopram_to_bupropion),  # F32.1 depression, single episode
    2: _Story(45, _escitalopram_rechallenge),  # F41.1 generalized anxiety
    3: _Story(120, _panic_with_clonazepam_taper),  # F41.0 panic disorder
    4: _Story(90, _lamotrigine_with_valproate),  # F31.81 bipolar II
    5: _Story(160, _lithium_with_lisinopril),  # F31.32 bipolar I, depressed
    7: _Story(150, _methylphenidate_series),  # F90.0 ADHD, inattentive
    8: _Story(120, _paroxetine_cross_taper),  # F43.12 PTSD, chronic
    10: _Story(420, _sertraline_taper),  # F33.1 recurrent depression, in remission
}


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
    charts: list[tuple[_Story, _Chart]] = []
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
        mode = rng.choice(list(Encounter.Mode.values))
        story = STORIES.get(index)
        if story is not None:
            # Medication stories start at the intake visit and need room for their history;
            # controlled substances are prescribed after an in-person evaluation.
            seen_on = today - dt.timedelta(days=story.intake_days_ago)
            mode = Encounter.Mode.IN_PERSON
        encounter = clinical_services.start_encounter(
            prescriber,
            patient,
            kind=Encounter.Kind.INTAKE,
            mode=mode,
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
        diagnosis = clinical_services.add_diagnosis(
            prescriber,
            patient,
            code=code,
            encounter=encounter,
            onset_on=seen_on - dt.timedelta(days=90),
            today=today,
        )
        clinical_services.sign_encounter(prescriber, encounter)
        if story is not None:
            charts.append(
                (story, _Chart(prescriber, nurse, patient, diagnosis, seen_on, today=today))
            )
    # After every patient exists, so the rest of the demo data does not depend on which
    # stories run (seed(patients=1) runs only the first).
    for story, chart in charts:
        story.tell(chart)
    # Monitoring (issue 6): lab results, side effects, then the calendar, whose overdue
    # follow-ups depend on the regimen changes and alerts above.
    seed_lab_monitoring(prescribers[0], nurse, today=today)
    seed_side_effects(organization, today=today)
    seed_scheduling(organization, today=today)
    seed_contact_preferences(front_desk)  # reminder consent, so the worker has work to do
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
