"""Reading regimen-driven lab monitoring: what `dosewise.domain.lab_monitoring` needs to know
about many patients (medication history, results, age, diagnoses), in a fixed number of queries
whatever their number, and the rows the pages, the API and the worklist show.

Nothing is stored: the requirements are derived on each read from the medication history and
the results, so a new result or a dose change shows at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from django.db.models import QuerySet
from django.urls import reverse

from dosewise.access import visible_patients
from dosewise.accounts.models import Membership
from dosewise.clinical.models import Diagnosis
from dosewise.clinical.observation_models import Observation
from dosewise.domain import lab_monitoring, regimen
from dosewise.domain.ages import age_in_years
from dosewise.domain.knowledge.loader import default_knowledge
from dosewise.domain.labs import catalogue
from dosewise.patients.models import Patient
from dosewise.prescribing.models import Prescription, RegimenEvent

STATUSES = tuple(status.value for status in lab_monitoring.Status)
OPEN_STATUSES = (lab_monitoring.Status.OVERDUE.value, lab_monitoring.Status.DUE.value)
# The lab entry form takes blood pressure as one reading (systolic/diastolic).
BLOOD_PRESSURE_FORM_TEST = "blood_pressure"
BLOOD_PRESSURE_TESTS = frozenset({"bp_systolic", "bp_diastolic"})
# Prescriptions that keep a drug in the monitored regimen (a held drug stays monitored).
MONITORED_STATUSES = (Prescription.Status.ACTIVE, Prescription.Status.ON_HOLD)


@dataclass(frozen=True)
class SatisfyingResult:
    """The result that satisfied a requirement: its test, date and value as shown."""

    test: str
    test_name: str
    effective_on: dt.date
    value: Decimal | None
    unit: str
    code: str
    shown: str  # "0.72 mmol/L", or a coded answer's display


@dataclass(frozen=True)
class LabRequirementRow:
    """One monitoring requirement of one patient on a day (see `lab_monitoring`)."""

    patient_id: int
    patient_uuid: str
    protocol: str
    protocol_label: str
    drugs: tuple[str, ...]
    requirement: str
    label: str
    tests: tuple[str, ...]
    test_names: tuple[str, ...]
    status: str  # "overdue", "due", "upcoming", "done"
    due_from: dt.date | None
    due_on: dt.date | None
    overdue_days: int
    satisfied_by: SatisfyingResult | None
    reason: str
    condition: str
    note: str
    source: str
    source_title: str
    citation: str
    verification: str
    held_since: dt.date | None
    link: str  # the lab entry form, with the first test preselected

    @property
    def drug_label(self) -> str:
        """ "Lithium (lithium carbonate)"; a per-patient protocol names its drugs."""
        return f"{self.protocol_label} ({', '.join(self.drugs)})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@cache
def _protocols() -> lab_monitoring.Protocols:
    return lab_monitoring.default_protocols()


@cache
def monitored_drugs() -> tuple[str, ...]:
    """Every drug some protocol applies to (canonical names)."""
    return tuple(sorted(lab_monitoring.monitored_drugs(_protocols(), default_knowledge())))


@cache
def _tests() -> tuple[str, ...]:
    """Every test a requirement or a condition reads."""
    protocols = _protocols()
    tests = {"potassium", "heart_rate"}  # the QT risk factors
    for protocol in protocols.protocols:
        for requirement in protocol.requirements:
            tests.update(requirement.tests)
            tests.update(faster.test for faster in requirement.faster if faster.test)
    return tuple(sorted(tests))


_PATIENT_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


def _entry_link(entry_path: str, tests: tuple[str, ...]) -> str:
    first = BLOOD_PRESSURE_FORM_TEST if tests[0] in BLOOD_PRESSURE_TESTS else tests[0]
    return f"{entry_path}?test={first}"


def _test_name(test: str) -> str:
    found = catalogue().tests.get(test)
    return found.name if found else test


def _shown(result: lab_monitoring.Result) -> str:
    test = catalogue().tests.get(result.test)
    if result.value is None:
        if test is not None:
            return next(
                (code.display for code in test.value_codes if code.code == result.code),
                result.code,
            )
        return result.code
    number = test.format(result.value) if test is not None else format(result.value, "f")
    return f"{number} {result.unit}"


def _row(
    patient_id: int,
    patient_uuid: str,
    found: lab_monitoring.RequirementStatus,
    today: dt.date,
    *,
    entry_path: str,
) -> LabRequirementRow:
    sources = default_knowledge().sources
    satisfied = found.satisfied_by
    return LabRequirementRow(
        patient_id=patient_id,
        patient_uuid=patient_uuid,
        protocol=found.protocol,
        protocol_label=found.protocol_label,
        drugs=found.drugs,
        requirement=found.requirement,
        label=found.label,
        tests=found.tests,
        test_names=tuple(_test_name(test) for test in found.tests),
        status=found.status.value,
        due_from=found.due_from,
        due_on=found.due_on,
        overdue_days=found.overdue_days(today),
        satisfied_by=SatisfyingResult(
            test=satisfied.test,
            test_name=_test_name(satisfied.test),
            effective_on=satisfied.on,
            value=satisfied.value,
            unit=satisfied.unit,
            code=satisfied.code,
            shown=_shown(satisfied),
        )
        if satisfied is not None
        else None,
        reason=found.reason,
        condition=found.condition,
        note=found.note,
        source=found.source,
        source_title=sources[found.source].title,
        citation=found.citation,
        verification=found.verification.value,
        held_since=found.held_since,
        link=_entry_link(entry_path, found.tests),
    )


def requirements_for(
    patient_ids: Iterable[int], *, today: dt.date
) -> dict[int, list[LabRequirementRow]]:
    """The monitoring requirements of these patients on `today`, overdue first (then due,
    upcoming, done): four queries, whatever their number."""
    ids = list(dict.fromkeys(patient_ids))
    found: dict[int, list[LabRequirementRow]] = {pid: [] for pid in ids}
    if not ids:
        return found
    people = {
        pid: (str(uuid), born, ben)
        for pid, uuid, born, ben in Patient.objects.filter(pk__in=ids).values_list(
            "pk", "uuid", "date_of_birth", "benign_ethnic_neutropenia"
        )
    }
    events: dict[int, list[regimen.Event]] = {}
    drug_of: dict[int, dict[int, str]] = {}
    for pk, kind, prescription, on, replaces, pid, drug in (
        RegimenEvent.objects.filter(patient_id__in=ids)
        .order_by("id")
        .values_list(
            "pk",
            "kind",
            "prescription_id",
            "effective_on",
            "replaces_id",
            "patient_id",
            "prescription__drug",
        )
    ):
        events.setdefault(pid, []).append(
            regimen.Event(pk, regimen.EventKind(kind), prescription, on, replaces)
        )
        drug_of.setdefault(pid, {})[prescription] = drug
    results: dict[int, list[lab_monitoring.Result]] = {}
    for pid, test, on, value, unit, code in (
        Observation.objects.in_record()
        .filter(patient_id__in=ids, test__in=_tests(), effective_on__lte=today)
        .order_by("effective_on", "created_at", "id")
        .values_list("patient_id", "test", "effective_on", "value", "unit", "value_code")
    ):
        results.setdefault(pid, []).append(lab_monitoring.Result(test, on, value, unit, code))
    codes: dict[int, list[str]] = {}
    for pid, code in (
        Diagnosis.objects.active().filter(patient_id__in=ids).values_list("patient_id", "code")
    ):
        codes.setdefault(pid, []).append(code)
    protocols, knowledge = _protocols(), default_knowledge()
    # One reverse() per call, not per row: over a large panel it costs more than the rules.
    entry_template = reverse("clinical:observation-new", args=[_PATIENT_PLACEHOLDER])
    for pid in ids:
        if pid not in people or pid not in events:
            continue
        patient_uuid, born, ben = people[pid]
        context = lab_monitoring.PatientContext(
            age=age_in_years(born, on=today) if born else None,
            benign_ethnic_neutropenia=bool(ben),
            diagnosis_codes=tuple(sorted(codes.get(pid, []))),
        )
        statuses = lab_monitoring.evaluate(
            protocols,
            knowledge,
            events=events[pid],
            drug_of=drug_of[pid],
            results=results.get(pid, []),
            patient=context,
            today=today,
        )
        entry_path = entry_template.replace(_PATIENT_PLACEHOLDER, patient_uuid)
        found[pid] = [
            _row(pid, patient_uuid, status, today, entry_path=entry_path) for status in statuses
        ]
    return found


def monitored_patients(actor: Membership) -> QuerySet[Patient]:
    """The member's organization's patients with a monitored drug in their regimen (active or
    on hold), by name: the only ones a protocol can apply to."""
    with_drugs = Prescription.objects.filter(
        organization_id=actor.organization_id,
        status__in=MONITORED_STATUSES,
        drug__in=monitored_drugs(),
    ).values("patient_id")
    return visible_patients(actor).filter(pk__in=with_drugs).order_by("family_name", "given_name")


@dataclass(frozen=True)
class DueLabRow:
    """A due or overdue requirement on the organization's list."""

    patient: Patient
    requirement: LabRequirementRow


def due_rows(actor: Membership, *, today: dt.date) -> list[DueLabRow]:
    """Every overdue or due requirement of the organization's patients: overdue first (most
    overdue first), then due, then by name (five queries, whatever the number of patients)."""
    patients = {patient.pk: patient for patient in monitored_patients(actor)}
    rows = [
        DueLabRow(patients[pid], requirement)
        for pid, requirements in requirements_for(patients, today=today).items()
        for requirement in requirements
        if requirement.is_open
    ]
    rows.sort(
        key=lambda row: (
            OPEN_STATUSES.index(row.requirement.status),
            -row.requirement.overdue_days,
            row.requirement.due_on or dt.date.max,
            row.patient.family_name,
            row.patient.given_name,
            row.requirement.label,
        )
    )
    return rows
