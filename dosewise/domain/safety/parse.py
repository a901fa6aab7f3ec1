"""Turn the `dosewise check` JSON document into checked facts; any bad value is an InputError
naming the field (never a default)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from dosewise.domain.knowledge.loader import Knowledge, UnknownDrug
from dosewise.domain.safety.facts import (
    LAB_LOINC,
    LAB_UNITS,
    Lab,
    Medication,
    Order,
    PatientFacts,
    Sex,
)

# ICD-10-CM code shape: letter, two characters, optional dot and up to four more (F31.81, G40.909).
_ICD10CM = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


class InputError(ValueError):
    """The check document is malformed; the message names the field."""


@dataclass(frozen=True)
class CheckRequest:
    on: dt.date
    patient: PatientFacts
    medications: tuple[Medication, ...]
    order: Order


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"{where} must be an object")
    return value


def _known_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise InputError(f"{where}: unknown field {unknown[0]!r}")


def _date(value: Any, where: str) -> dt.date:
    if not isinstance(value, str):
        raise InputError(f"{where} must be a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{where} is not a valid date (YYYY-MM-DD): {value!r}") from None


def _optional_date(value: Any, where: str) -> dt.date | None:
    return None if value is None else _date(value, where)


def _number(value: Any, where: str, *, positive: bool = False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(f"{where} must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise InputError(f"{where} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise InputError(f"{where} must be a finite number")
    if positive and number <= 0:
        raise InputError(f"{where} must be greater than 0, got {value}")
    if number < 0:
        raise InputError(f"{where} must not be negative, got {value}")
    return number


def _bool(value: Any, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise InputError(f"{where} must be true, false or null")


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{where} must be a whole number of at least 0")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InputError(f"{where} must be a list of text")
    return tuple(value)


def _drug(knowledge: Knowledge, value: Any, where: str) -> Any:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where} must name a drug (generic name, brand name or RxCUI)")
    try:
        return knowledge.find(value)
    except UnknownDrug as exc:
        raise InputError(f"{where}: {exc}") from None


def _lab(raw: Any, where: str) -> Lab:
    table = _object(raw, where)
    _known_keys(table, ("test", "value", "unit", "date"), where)
    test = table.get("test")
    if not isinstance(test, str):
        raise InputError(f"{where}.test must be text")
    name = LAB_LOINC.get(test, test.lower())
    if name not in LAB_UNITS:
        raise InputError(
            f"{where}.test {test!r} is not one of {', '.join(LAB_UNITS)} or a known LOINC code"
        )
    unit = table.get("unit", LAB_UNITS[name])
    if unit != LAB_UNITS[name]:
        raise InputError(f"{where}.unit for {name} must be {LAB_UNITS[name]!r}, got {unit!r}")
    if "date" not in table:
        raise InputError(f"{where}.date is required")
    return Lab(
        name,
        _number(table.get("value"), f"{where}.value"),
        unit,
        _date(table["date"], f"{where}.date"),
    )


def _conditions(value: Any) -> tuple[str, ...]:
    codes = []
    for index, raw in enumerate(_strings(value, "patient.conditions")):
        code = raw.strip().upper()
        if not _ICD10CM.match(code):
            raise InputError(
                f"patient.conditions[{index}] {raw!r} is not an ICD-10-CM code (e.g. F31.81)"
            )
        codes.append(code)
    return tuple(codes)


_PATIENT_KEYS = (
    "age",
    "sex",
    "pregnant",
    "breastfeeding",
    "childbearing_potential",
    "weight_kg",
    "smoker",
    "smoking_changed_on",
    "allergies",
    "intolerances",
    "conditions",
    "labs",
)


def _patient(raw: Any) -> PatientFacts:
    table = _object(raw if raw is not None else {}, "patient")
    _known_keys(table, _PATIENT_KEYS, "patient")
    age = table.get("age")
    if age is not None and (
        isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 130
    ):
        raise InputError("patient.age must be a whole number of years from 0 to 130")
    sex_raw = table.get("sex") or "unknown"
    try:
        sex = Sex(sex_raw)
    except ValueError:
        raise InputError("patient.sex must be female, male or unknown") from None
    weight = table.get("weight_kg")
    labs = table.get("labs") or []
    if not isinstance(labs, list):
        raise InputError("patient.labs must be a list")
    return PatientFacts(
        age=age,
        sex=sex,
        pregnant=_bool(table.get("pregnant"), "patient.pregnant"),
        breastfeeding=_bool(table.get("breastfeeding"), "patient.breastfeeding"),
        childbearing_potential=_bool(
            table.get("childbearing_potential"), "patient.childbearing_potential"
        ),
        weight_kg=None if weight is None else _number(weight, "patient.weight_kg", positive=True),
        smoker=_bool(table.get("smoker"), "patient.smoker"),
        smoking_changed_on=_optional_date(
            table.get("smoking_changed_on"), "patient.smoking_changed_on"
        ),
        allergies=_strings(table.get("allergies"), "patient.allergies"),
        intolerances=_strings(table.get("intolerances"), "patient.intolerances"),
        conditions=_conditions(table.get("conditions")),
        labs=tuple(_lab(lab, f"patient.labs[{index}]") for index, lab in enumerate(labs)),
    )


_MED_KEYS = ("drug", "dose_mg", "times_per_day", "start", "stop", "refills", "days_supply")


def _medication(knowledge: Knowledge, raw: Any, where: str) -> Medication:
    table = _object(raw, where)
    _known_keys(table, _MED_KEYS, where)
    dose = table.get("dose_mg")
    times = table.get("times_per_day")
    start = _optional_date(table.get("start"), f"{where}.start")
    stop = _optional_date(table.get("stop"), f"{where}.stop")
    if start and stop and stop < start:
        raise InputError(f"{where}.stop is before its start")
    supply = table.get("days_supply")
    return Medication(
        drug=_drug(knowledge, table.get("drug"), f"{where}.drug"),
        dose_mg=None if dose is None else _number(dose, f"{where}.dose_mg", positive=True),
        times_per_day=None
        if times is None
        else _number(times, f"{where}.times_per_day", positive=True),
        start=start,
        stop=stop,
        refills=None
        if table.get("refills") is None
        else _int(table["refills"], f"{where}.refills"),
        days_supply=None if supply is None else _int(supply, f"{where}.days_supply"),
    )


def _order(knowledge: Knowledge, raw: Any) -> Order:
    table = _object(raw, "order")
    _known_keys(
        table, ("drug", "dose_mg", "times_per_day", "start", "refills", "days_supply"), "order"
    )
    if "dose_mg" not in table:
        raise InputError("order.dose_mg is required")
    times = table.get("times_per_day")
    supply = table.get("days_supply")
    return Order(
        drug=_drug(knowledge, table.get("drug"), "order.drug"),
        dose_mg=_number(table["dose_mg"], "order.dose_mg", positive=True),
        times_per_day=Decimal(1)
        if times is None
        else _number(times, "order.times_per_day", positive=True),
        start=_optional_date(table.get("start"), "order.start"),
        refills=0 if table.get("refills") is None else _int(table["refills"], "order.refills"),
        days_supply=None if supply is None else _int(supply, "order.days_supply"),
    )


def parse_check_request(document: Any, knowledge: Knowledge, *, today: dt.date) -> CheckRequest:
    """Validate a decoded `dosewise check` document against the knowledge base."""
    table = _object(document, "the document")
    _known_keys(table, ("date", "patient", "medications", "order"), "the document")
    if "order" not in table:
        raise InputError("order is required")
    medications = table.get("medications") or []
    if not isinstance(medications, list):
        raise InputError("medications must be a list")
    return CheckRequest(
        on=_date(table["date"], "date") if table.get("date") is not None else today,
        patient=_patient(table.get("patient")),
        medications=tuple(
            _medication(knowledge, item, f"medications[{index}]")
            for index, item in enumerate(medications)
        ),
        order=_order(knowledge, table["order"]),
    )
