"""Demo data for regimen-driven lab monitoring (issue 6), written through the services after the
demo clinic's medication stories (`dosewise.demo.seed`):

- DW-1006, the lithium story (started at intake, dose raised on day 10, lisinopril from primary
  care): baseline labs, the level before and 6 days after the dose change, renal, thyroid and
  calcium again at day 100; the 3-monthly level (every 3 months with lisinopril) is overdue.
- DW-1010: treatment-resistant schizophrenia added to the chart, clozapine started 10 weeks
  ago (titrated at 2 weeks) with a baseline ANC and a weekly ANC since, the latest 3 days ago;
  metabolic baseline and 4- and 8-week weights (clozapine is also a second-generation
  antipsychotic).
- DW-1012: aripiprazole added to sertraline 12 weeks ago with a metabolic baseline and 4- and
  8-week weights; the 12-week weight, glucose, lipids and blood pressure are due today.

Every result is recorded by the clinic nurse (on every demo care team); prescriptions by the
patient's treating prescriber. Running it twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dosewise.accounts.models import Membership
from dosewise.clinical import observations
from dosewise.clinical import services as clinical_services
from dosewise.clinical.models import Diagnosis
from dosewise.patients import services as patient_services
from dosewise.patients.models import CareTeamMember, Patient
from dosewise.prescribing import services as prescribing
from dosewise.prescribing.models import Prescription, RegimenEvent
from dosewise.prescribing.services import OrderInput

LITHIUM_MRN = "DW-1006"
CLOZAPINE_MRN = "DW-1010"
SGA_MRN = "DW-1012"
LITHIUM_INTAKE_DAYS_AGO = 160  # the demo's lithium story starts at intake, 160 days ago


def _patient(prescriber: Membership, mrn: str) -> Patient | None:
    return Patient.objects.filter(organization=prescriber.organization, mrn=mrn).first()


def _treating_prescriber(patient: Patient, fallback: Membership) -> Membership:
    """The prescriber on the patient's care team (the demo gives each patient one), else
    `fallback`, who then joins the care team (audited)."""
    on_team = CareTeamMember.objects.current().filter(patient=patient).values("user")
    found = (
        Membership.objects.filter(
            organization=patient.organization,
            role=Membership.Role.PRESCRIBER,
            user__in=on_team,
        )
        .order_by("pk")
        .first()
    )
    if found is not None:
        return found
    patient_services.join_care_team(fallback, patient, reason="Monitoring clinic")
    return fallback


def _result(
    nurse: Membership,
    patient: Patient,
    test: str,
    value: str,
    unit: str,
    on: dt.date,
    today: dt.date,
) -> None:
    observations.record_observation(
        nurse, patient, test=test, value=Decimal(value), unit=unit, effective_on=on, today=today
    )


def _blood_pressure(
    nurse: Membership, patient: Patient, systolic: int, diastolic: int, on: dt.date, today: dt.date
) -> None:
    observations.record_blood_pressure(
        nurse,
        patient,
        systolic=str(systolic),
        diastolic=str(diastolic),
        unit="mmHg",
        effective_on=on,
        today=today,
    )


def _metabolic_baseline(
    nurse: Membership, patient: Patient, on: dt.date, today: dt.date, *, weight: str
) -> None:
    _result(nurse, patient, "weight", weight, "kg", on, today)
    _result(nurse, patient, "waist", "92", "cm", on, today)
    _result(nurse, patient, "glucose_fasting", "91", "mg/dL", on, today)
    _result(nurse, patient, "ldl", "112", "mg/dL", on, today)
    _result(nurse, patient, "hdl", "48", "mg/dL", on, today)
    _result(nurse, patient, "triglycerides", "130", "mg/dL", on, today)
    _blood_pressure(nurse, patient, 122, 78, on, today)


def _lithium_levels(nurse: Membership, patient: Patient, *, today: dt.date) -> None:
    """The lithium story's labs; the story itself (prescriptions) is in `dosewise.demo`."""
    started = (
        RegimenEvent.objects.filter(
            patient=patient,
            prescription__drug="lithium carbonate",
            kind=RegimenEvent.Kind.STARTED,
        )
        .order_by("effective_on")
        .values_list("effective_on", flat=True)
        .first()
    )
    intake = started or today - dt.timedelta(days=LITHIUM_INTAKE_DAYS_AGO)

    def day(number: int) -> dt.date:
        return intake + dt.timedelta(days=number)

    baseline = day(-3)
    _result(nurse, patient, "creatinine", "0.86", "mg/dL", baseline, today)
    _result(nurse, patient, "egfr", "98", "mL/min/1.73m2", baseline, today)
    _result(nurse, patient, "tsh", "1.9", "mIU/L", baseline, today)
    _result(nurse, patient, "calcium", "9.4", "mg/dL", baseline, today)
    _result(nurse, patient, "sodium", "139", "mmol/L", baseline, today)
    _result(nurse, patient, "weight", "74", "kg", baseline, today)
    _result(nurse, patient, "qtc", "412", "ms", baseline, today)
    # 12-hour troughs: 0.4 on 600 mg/day (the story raises the dose on day 10), then 0.7 six
    # days after the change; none since, so the 3-monthly level is overdue.
    _result(nurse, patient, "lithium", "0.4", "mmol/L", day(7), today)
    _result(nurse, patient, "lithium", "0.7", "mmol/L", day(16), today)
    # Renal, thyroid and calcium again at 3 months (every 3 months with lisinopril).
    _result(nurse, patient, "creatinine", "0.91", "mg/dL", day(100), today)
    _result(nurse, patient, "egfr", "94", "mL/min/1.73m2", day(100), today)
    _result(nurse, patient, "tsh", "2.4", "mIU/L", day(100), today)
    _result(nurse, patient, "calcium", "9.6", "mg/dL", day(100), today)


def _clozapine_weekly(
    prescriber: Membership, nurse: Membership, patient: Patient, *, today: dt.date
) -> None:
    start = today - dt.timedelta(weeks=10)
    diagnosis = clinical_services.add_diagnosis(
        prescriber,
        patient,
        code="F20.0",
        onset_on=today - dt.timedelta(days=6 * 365),
        note="Treatment-resistant: no response to adequate trials of risperidone and olanzapine.",
        today=today,
    )
    _result(nurse, patient, "anc", "3800", "/uL", start - dt.timedelta(days=3), today)
    _result(nurse, patient, "wbc", "6.9", "10*3/uL", start - dt.timedelta(days=3), today)
    _metabolic_baseline(nurse, patient, start - dt.timedelta(days=3), today, weight="82")
    first = prescribing.prescribe(
        prescriber,
        patient,
        OrderInput(
            drug="clozapine",
            form="orally disintegrating tablet",
            strength_mg=Decimal("12.5"),
            dose_amount=Decimal(1),
            dose_unit=Prescription.DoseUnit.TABLET,
            times_per_day=Decimal(2),
            timings=("morning", "bedtime"),
            start_on=start,
            days_supply=14,
            indication=diagnosis,
        ),
        today=start,
    )
    prescribing.change_dose(
        prescriber,
        first,
        OrderInput(
            drug="clozapine",
            form="tablet",
            strength_mg=Decimal(50),
            dose_amount=Decimal(3),
            dose_unit=Prescription.DoseUnit.TABLET,
            times_per_day=Decimal(2),
            timings=("morning", "bedtime"),
            start_on=start + dt.timedelta(days=14),
            days_supply=30,
            refills=2,
            indication=diagnosis,
        ),
        reason=RegimenEvent.Reason.TITRATION,
        reason_text="Titrated by 25-50 mg/day to the 300 mg/day target at the end of week 2.",
        today=start + dt.timedelta(days=14),
    )
    # Weekly ANC since the start (first 6 months), the latest 3 days ago.
    counts = ("3600", "3500", "3900", "3400", "3700", "3300", "3600", "3500", "3800", "3600")
    latest = today - dt.timedelta(days=3)
    for weeks_before, value in enumerate(reversed(counts)):
        _result(
            nurse, patient, "anc", value, "/uL", latest - dt.timedelta(weeks=weeks_before), today
        )
    _result(nurse, patient, "weight", "83.5", "kg", start + dt.timedelta(weeks=4), today)
    _result(nurse, patient, "weight", "84.6", "kg", start + dt.timedelta(weeks=8), today)


def _aripiprazole_added(
    prescriber: Membership, nurse: Membership, patient: Patient, *, today: dt.date
) -> None:
    depression = Diagnosis.objects.active().filter(patient=patient).order_by("pk").first()
    sertraline_on = today - dt.timedelta(weeks=20)
    aripiprazole_on = today - dt.timedelta(weeks=12)
    prescribing.prescribe(
        prescriber,
        patient,
        OrderInput(
            drug="sertraline",
            form="tablet",
            strength_mg=Decimal(100),
            dose_amount=Decimal(1),
            dose_unit=Prescription.DoseUnit.TABLET,
            times_per_day=Decimal(1),
            timings=("morning",),
            start_on=sertraline_on,
            days_supply=30,
            refills=5,
            indication=depression,
        ),
        today=sertraline_on,
    )
    _metabolic_baseline(nurse, patient, aripiprazole_on - dt.timedelta(days=2), today, weight="68")
    prescribing.prescribe(
        prescriber,
        patient,
        OrderInput(
            drug="aripiprazole",
            form="tablet",
            strength_mg=Decimal(2),
            dose_amount=Decimal(1),
            dose_unit=Prescription.DoseUnit.TABLET,
            times_per_day=Decimal(1),
            timings=("morning",),
            start_on=aripiprazole_on,
            days_supply=30,
            refills=2,
            indication=depression,
        ),
        today=aripiprazole_on,
    )
    _result(nurse, patient, "weight", "68.9", "kg", aripiprazole_on + dt.timedelta(weeks=4), today)
    _result(nurse, patient, "weight", "69.4", "kg", aripiprazole_on + dt.timedelta(weeks=8), today)


def seed_lab_monitoring(prescriber: Membership, nurse: Membership, *, today: dt.date) -> None:
    """Add the lab-monitoring demo to the demo clinic (after `seed()`'s medication stories).
    Patients the demo did not create (a smaller `seed(patients=...)`) are skipped."""
    lithium = _patient(prescriber, LITHIUM_MRN)
    clozapine = _patient(prescriber, CLOZAPINE_MRN)
    sga = _patient(prescriber, SGA_MRN)
    if clozapine is not None and clozapine.prescriptions.filter(drug="clozapine").exists():
        return  # already seeded
    if lithium is not None and not lithium.observations.filter(test="lithium").exists():
        _lithium_levels(nurse, lithium, today=today)
    if clozapine is not None:
        _clozapine_weekly(
            _treating_prescriber(clozapine, prescriber), nurse, clozapine, today=today
        )
    if sga is not None and not sga.prescriptions.filter(drug="aripiprazole").exists():
        _aripiprazole_added(_treating_prescriber(sga, prescriber), nurse, sga, today=today)
