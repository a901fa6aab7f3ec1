"""Lab and vital-sign catalogue: which tests exist, their LOINC codes and units, how an entered
value converts to the canonical unit, and what a result means (normal, low, high, critical).

Answers "is this a result we can record, in which unit, and does it need action?" from
`knowledge/labs.toml` (every range, threshold and conversion names its source in
`knowledge/sources/labs.toml`; see docs/labs.md). A clozapine patient's ANC is read against the
label's table (`dosewise.domain.clozapine`).

Traps this module owns:
- conversions are exact Decimal arithmetic with the source's own factor (creatinine umol/L is
  divided by 88.4, never multiplied by a rounded inverse); the canonical value is rounded to 3
  decimals only when stored;
- HbA1c mmol/mol -> % is affine (the IFCC-NGSP master equation), not a factor;
- the physical range is a typing guard in the canonical unit, checked after conversion, so
  "1.2" entered as mg/dL glucose is refused whatever unit it came in;
- the safety engine's 8 tests keep its units (`safety.facts.LAB_UNITS`): loading fails if not.

Plain values in, plain values out; no Django, no clock.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

from dosewise.domain.clozapine import AncCategory, AncGuidance, anc_guidance
from dosewise.domain.knowledge.model import Verification
from dosewise.domain.safety.facts import LAB_LOINC, LAB_UNITS

CATALOGUE_PATH = Path(__file__).resolve().parent / "knowledge" / "labs.toml"
ENTRY_GUARD_SOURCE = "dosewise-entry-guard"
STORED_PLACES = Decimal("0.001")  # Observation.value has 3 decimal places


class Flag(StrEnum):
    """How a result reads (HL7 interpretation in words): "abnormal" is for coded results."""

    NORMAL = "normal"
    LOW = "low"
    HIGH = "high"
    CRITICAL_LOW = "critical-low"
    CRITICAL_HIGH = "critical-high"
    ABNORMAL = "abnormal"

    @property
    def is_critical(self) -> bool:
        return self in (Flag.CRITICAL_LOW, Flag.CRITICAL_HIGH)


class LabCatalogueError(ValueError):
    """The catalogue file is inconsistent; the message names the test and field."""


class LabInputError(ValueError):
    """A result that cannot be recorded; `field` names the input at fault (test, unit, value)."""

    field = "value"


class UnknownTest(LabInputError, LookupError):
    field = "test"


class UnitNotAccepted(LabInputError):
    field = "unit"


class ValueNotAccepted(LabInputError):
    field = "value"


@dataclass(frozen=True)
class UnitOption:
    """An accepted unit: canonical = value * multiply / divide + add."""

    code: str
    ucum: str
    multiply: Decimal = Decimal(1)
    divide: Decimal = Decimal(1)
    add: Decimal = Decimal(0)
    source: str = ""

    def to_canonical(self, value: Decimal) -> Decimal:
        return value * self.multiply / self.divide + self.add


@dataclass(frozen=True)
class ReferenceRange:
    """A reference (or target) range: inclusive `low`/`high`, exclusive `below`."""

    label: str
    source: str
    verification: Verification
    low: Decimal | None = None
    high: Decimal | None = None
    below: Decimal | None = None
    sex: str = ""  # "" (anyone), "female", "male"
    population: str = ""  # "" (anyone), "general", "ben"

    def position(self, value: Decimal) -> Flag:
        if self.low is not None and value < self.low:
            return Flag.LOW
        if self.high is not None and value > self.high:
            return Flag.HIGH
        if self.below is not None and value >= self.below:
            return Flag.HIGH
        return Flag.NORMAL

    def text(self, unit: str) -> str:
        """E.g. "0.6-1.2 mmol/L", "at least 1500 /uL", "below 200 mg/dL"."""
        unit = f" {unit}" if unit else ""
        if self.low is not None and self.high is not None:
            return f"{_plain(self.low)}-{_plain(self.high)}{unit}"
        if self.low is not None and self.below is not None:
            return f"{_plain(self.low)} to below {_plain(self.below)}{unit}"
        if self.low is not None:
            return f"at least {_plain(self.low)}{unit}"
        if self.high is not None:
            return f"up to {_plain(self.high)}{unit}"
        return f"below {_plain(self.below or Decimal(0))}{unit}"


@dataclass(frozen=True)
class Threshold:
    """A limit that flags a result, with what it means and what to do."""

    flag: Flag
    comparison: str  # "above" | "at_or_above" | "below" | "at_or_below"
    limit: Decimal
    message: str
    action: str
    source: str
    verification: Verification
    sex: str = ""

    def matches(self, value: Decimal) -> bool:
        if self.comparison == "above":
            return value > self.limit
        if self.comparison == "at_or_above":
            return value >= self.limit
        if self.comparison == "below":
            return value < self.limit
        return value <= self.limit


@dataclass(frozen=True)
class ValueCode:
    """One accepted answer of a coded (qualitative) test."""

    code: str
    display: str
    flag: Flag
    message: str
    action: str
    source: str
    verification: Verification


@dataclass(frozen=True)
class LabTest:
    """One test of the catalogue."""

    id: str
    name: str
    group: str  # "lab" | "vital"
    kind: str  # "quantity" | "coded"
    loinc: tuple[str, ...]
    loinc_verification: Verification
    loinc_evidence: str
    unit: str = ""
    ucum: str = ""
    decimals: int = 0
    physical_min: Decimal | None = None
    physical_max: Decimal | None = None
    units: tuple[UnitOption, ...] = ()  # the canonical unit first
    references: tuple[ReferenceRange, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    value_codes: tuple[ValueCode, ...] = ()

    @property
    def coded(self) -> bool:
        return self.kind == "coded"

    @property
    def unit_codes(self) -> tuple[str, ...]:
        return tuple(option.code for option in self.units)

    @property
    def read_by_safety_engine(self) -> bool:
        return self.id in LAB_UNITS

    def unit_option(self, unit: str) -> UnitOption:
        """The accepted unit matching `unit` (case, spaces, micro sign and ^ ignored)."""
        key = _unit_key(unit)
        for option in self.units:
            if _unit_key(option.code) == key or _unit_key(option.ucum) == key:
                return option
        if self.coded:
            raise UnitNotAccepted(f"{self.name} is a coded result: it takes no unit.")
        shown = unit.strip() or "no unit"
        raise UnitNotAccepted(
            f"{self.name} is not recorded in {shown}; accepted units: {', '.join(self.unit_codes)}."
        )

    def value_code(self, code: str) -> ValueCode:
        key = code.strip().lower()
        for option in self.value_codes:
            if option.code == key:
                return option
        raise ValueNotAccepted(
            f"Answer {self.name} with one of: {', '.join(o.code for o in self.value_codes)}."
        )

    def format(self, value: Decimal) -> str:
        """The canonical value shown with the test's decimals (never more than stored)."""
        return _plain(value.quantize(Decimal(1).scaleb(-self.decimals)))

    def reference_for(self, context: LabContext) -> ReferenceRange | None:
        """The reference range that applies to this patient (sex, BEN), if any.

        With only sex-specific ranges and the sex unknown, the widest of them applies (a result
        inside either range is not flagged), and its label says so.
        """
        population = "ben" if context.ben else "general"
        candidates = [ref for ref in self.references if ref.population in ("", population)]
        if not candidates:
            return None
        for ref in candidates:
            if ref.sex and ref.sex == context.sex:
                return ref
        general = [ref for ref in candidates if not ref.sex]
        if general:
            return general[0]
        lows = [ref.low for ref in candidates]
        highs = [ref.high for ref in candidates]
        belows = [ref.below for ref in candidates]
        first = candidates[0]
        return ReferenceRange(
            label=f"{first.label.split(' (')[0]} (sex not recorded: widest range)",
            source=first.source,
            verification=first.verification,
            low=None if None in lows else min(low for low in lows if low is not None),
            high=None if None in highs else max(high for high in highs if high is not None),
            below=None if None in belows else max(b for b in belows if b is not None),
        )


@dataclass(frozen=True)
class LabContext:
    """What about the patient changes a result's reading."""

    on_clozapine: bool = False
    ben: bool = False  # benign ethnic neutropenia (Duffy-null associated neutrophil count)
    sex: str = ""  # "female", "male" or "" (not recorded)


@dataclass(frozen=True)
class Quantity:
    """A value in a unit."""

    value: Decimal
    unit: str


@dataclass(frozen=True)
class Interpretation:
    """What a result means: a flag, a sentence, the recommended action and its source."""

    flag: Flag
    message: str
    action: str
    source: str
    verification: Verification = Verification.UNVERIFIED
    reference: ReferenceRange | None = None
    anc: AncGuidance | None = None

    @property
    def is_critical(self) -> bool:
        return self.flag.is_critical


@dataclass(frozen=True)
class Catalogue:
    """The loaded catalogue: tests by id, and LOINC code -> test id."""

    tests: Mapping[str, LabTest]
    by_loinc: Mapping[str, str]

    def find(self, test_or_loinc: str) -> LabTest:
        """A test by its id ("lithium") or one of its LOINC codes ("14334-7")."""
        key = (test_or_loinc or "").strip()
        test_id = key if key in self.tests else self.by_loinc.get(key)
        if test_id is None:
            what = "LOINC code" if key[:1].isdigit() else "test"
            raise UnknownTest(
                f"Unknown {what} {key!r}; choose one of {', '.join(self.tests)} "
                "(or one of their LOINC codes)."
            )
        return self.tests[test_id]

    def grouped(self) -> dict[str, tuple[LabTest, ...]]:
        """Tests by group ("lab", "vital"), in catalogue order."""
        groups: dict[str, list[LabTest]] = {}
        for test in self.tests.values():
            groups.setdefault(test.group, []).append(test)
        return {group: tuple(tests) for group, tests in groups.items()}


# --- reading and writing values ---------------------------------------------------------


def _plain(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros ("1.5", "1500")."""
    return format(value.normalize(), "f")


def _unit_key(unit: str) -> str:
    return (
        "".join((unit or "").split())
        .replace("\u00b5", "u")
        .replace("\u03bc", "u")
        .replace("^", "*")
        .lower()
    )


def parse_decimal(value: object) -> Decimal:
    """A finite Decimal from user input, or ValueNotAccepted."""
    if isinstance(value, bool):
        raise ValueNotAccepted("Enter the result as a number.")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueNotAccepted("Enter the result as a number.") from None
    if not number.is_finite():
        raise ValueNotAccepted("Enter the result as a number.")
    return number


def to_canonical(test: LabTest, value: object, unit: str) -> Quantity:
    """Convert an entered value to the test's canonical unit, checked against the physical
    range; raises UnitNotAccepted (naming the accepted units) or ValueNotAccepted."""
    if test.coded:
        raise ValueNotAccepted(f"{test.name} is answered with a code, not a number.")
    option = test.unit_option(unit)
    number = parse_decimal(value)
    if number < 0:
        raise ValueNotAccepted("The result cannot be negative.")
    if number != number.quantize(STORED_PLACES):
        raise ValueNotAccepted("Enter at most 3 decimal places.")
    canonical = option.to_canonical(number)
    low, high = test.physical_min, test.physical_max
    if (low is not None and canonical < low) or (high is not None and canonical > high):
        entered = f"{_plain(number)} {option.code}"
        if option.code != test.unit:
            entered += f" ({_plain(canonical.quantize(STORED_PLACES))} {test.unit})"
        raise ValueNotAccepted(
            f"{entered} is out of any physical range for {test.name} "
            f"({_plain(low or Decimal(0))}-{_plain(high or Decimal(0))} {test.unit}); "
            "check the value and its unit."
        )
    return Quantity(canonical.quantize(STORED_PLACES), test.unit)


def interpret(
    test: LabTest | str, value: Decimal | str, *, context: LabContext | None = None
) -> Interpretation:
    """Read a result in the canonical unit (or a value code for a coded test).

    Order: a clozapine patient's ANC follows the label's table; then critical thresholds; then
    the other thresholds in catalogue order; then the reference range.
    """
    test = catalogue().find(test) if isinstance(test, str) else test
    context = context or LabContext()
    if test.coded:
        answer = test.value_code(str(value))
        return Interpretation(
            flag=answer.flag,
            message=answer.message,
            action=answer.action,
            source=answer.source,
            verification=answer.verification,
        )
    if not isinstance(value, Decimal):
        value = parse_decimal(value)
    reference = test.reference_for(context)
    shown = f"{test.name} {test.format(value)} {test.unit}"
    if test.id == "anc" and context.on_clozapine:
        return _clozapine_anc(test, value, context, reference)
    ordered = sorted(test.thresholds, key=lambda t: not t.flag.is_critical)
    for threshold in ordered:
        if threshold.sex and threshold.sex != context.sex:
            continue
        if threshold.matches(value):
            return Interpretation(
                flag=threshold.flag,
                message=f"{shown}: {threshold.message}.",
                action=threshold.action,
                source=threshold.source,
                verification=threshold.verification,
                reference=reference,
            )
    if reference is None:
        return Interpretation(
            flag=Flag.NORMAL,
            message=f"{shown}: no reference range in the catalogue.",
            action="",
            source="",
            reference=None,
        )
    position = reference.position(value)
    if position is Flag.NORMAL:
        message = f"{shown}: within the {reference.label} ({reference.text(test.unit)})."
    else:
        side = "below" if position is Flag.LOW else "above"
        message = f"{shown}: {side} the {reference.label} ({reference.text(test.unit)})."
    return Interpretation(
        flag=position,
        message=message,
        action="",
        source=reference.source,
        verification=reference.verification,
        reference=reference,
    )


def _clozapine_anc(
    test: LabTest, value: Decimal, context: LabContext, reference: ReferenceRange | None
) -> Interpretation:
    """ANC on clozapine: moderate or severe neutropenia is critical, mild is low (brief §4.5)."""
    guidance = anc_guidance(value, ben=context.ben)
    flag = {
        AncCategory.NORMAL: Flag.NORMAL,
        AncCategory.MILD: Flag.LOW,
        AncCategory.MODERATE: Flag.CRITICAL_LOW,
        AncCategory.SEVERE: Flag.CRITICAL_LOW,
    }[guidance.category]
    table = "benign ethnic neutropenia" if context.ben else "general population"
    critical = " critical:" if flag.is_critical else ""
    message = (
        f"ANC {test.format(value)} {test.unit} on clozapine:{critical} {guidance.label} "
        f"(label table, {table})."
    )
    return Interpretation(
        flag=flag,
        message=message,
        action=f"{guidance.action} Monitoring: {guidance.monitoring}",
        source=guidance.source,
        verification=Verification.VERIFIED,
        reference=reference,
        anc=guidance,
    )


# --- the catalogue file -----------------------------------------------------------------

_TEST_KEYS = {
    "id",
    "name",
    "group",
    "kind",
    "loinc",
    "loinc_verification",
    "loinc_evidence",
    "unit",
    "ucum",
    "decimals",
    "physical",
    "other_unit",
    "reference",
    "threshold",
    "value_code",
}
_UNIT_KEYS = {"code", "ucum", "multiply", "divide", "add", "source"}
_REFERENCE_KEYS = {
    "label",
    "low",
    "high",
    "below",
    "sex",
    "population",
    "source",
    "verification",
}
_COMPARISONS = ("above", "at_or_above", "below", "at_or_below")
_THRESHOLD_KEYS = {"flag", "message", "action", "source", "verification", "sex", *_COMPARISONS}
_VALUE_CODE_KEYS = {"code", "display", "flag", "message", "action", "source", "verification"}


def _fail(where: str, message: str) -> LabCatalogueError:
    return LabCatalogueError(f"labs.toml: {where}: {message}")


def _text(where: str, raw: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(where, f"{key} must be non-empty text")
    return value.strip()


def _number(where: str, raw: Mapping[str, Any], key: str) -> Decimal | None:
    if key not in raw:
        return None
    value = raw[key]
    if not isinstance(value, str):
        raise _fail(where, f"{key} must be a quoted decimal (exact), got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _fail(where, f"{key} {value!r} is not a decimal") from None
    if not number.is_finite():
        raise _fail(where, f"{key} must be finite")
    return number


def _keys(where: str, raw: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(raw) - set(allowed)
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(sorted(unknown))}")


def _verification(where: str, raw: Mapping[str, Any], key: str = "verification") -> Verification:
    try:
        return Verification(raw.get(key))
    except ValueError:
        raise _fail(where, f"{key} must be verified, unverified or uncertain") from None


def _source(where: str, raw: Mapping[str, Any], sources: set[str]) -> str:
    source = _text(where, raw, "source")
    if source not in sources:
        raise _fail(where, f"source {source!r} is not defined in knowledge/sources/*.toml")
    return source


def _flag(where: str, raw: Mapping[str, Any]) -> Flag:
    try:
        return Flag(str(raw.get("flag")))
    except ValueError:
        raise _fail(where, f"flag must be one of {', '.join(f.value for f in Flag)}") from None


def _unit(where: str, raw: Mapping[str, Any], sources: set[str]) -> UnitOption:
    _keys(where, raw, _UNIT_KEYS)
    multiply = _number(where, raw, "multiply") or Decimal(1)
    divide = _number(where, raw, "divide") or Decimal(1)
    if multiply <= 0 or divide <= 0:
        raise _fail(where, "multiply and divide must be positive")
    return UnitOption(
        code=_text(where, raw, "code"),
        ucum=_text(where, raw, "ucum"),
        multiply=multiply,
        divide=divide,
        add=_number(where, raw, "add") or Decimal(0),
        source=_source(where, raw, sources),
    )


def _reference(where: str, raw: Mapping[str, Any], sources: set[str]) -> ReferenceRange:
    _keys(where, raw, _REFERENCE_KEYS)
    ref = ReferenceRange(
        label=_text(where, raw, "label"),
        source=_source(where, raw, sources),
        verification=_verification(where, raw),
        low=_number(where, raw, "low"),
        high=_number(where, raw, "high"),
        below=_number(where, raw, "below"),
        sex=_text(where, raw, "sex", required=False),
        population=_text(where, raw, "population", required=False),
    )
    if ref.low is None and ref.high is None and ref.below is None:
        raise _fail(where, "a reference range needs low, high or below")
    if ref.high is not None and ref.below is not None:
        raise _fail(where, "give high (inclusive) or below (exclusive), not both")
    upper = ref.high if ref.high is not None else ref.below
    if ref.low is not None and upper is not None and ref.low >= upper:
        raise _fail(where, "low must be under the upper limit")
    if ref.sex not in ("", "female", "male"):
        raise _fail(where, "sex must be female or male")
    if ref.population not in ("", "general", "ben"):
        raise _fail(where, "population must be general or ben")
    return ref


def _threshold(where: str, raw: Mapping[str, Any], sources: set[str]) -> Threshold:
    _keys(where, raw, _THRESHOLD_KEYS)
    given = [key for key in _COMPARISONS if key in raw]
    if len(given) != 1:
        raise _fail(where, f"give exactly one of {', '.join(_COMPARISONS)}")
    flag = _flag(where, raw)
    if flag in (Flag.NORMAL, Flag.ABNORMAL):
        raise _fail(where, "a threshold flags low, high, critical-low or critical-high")
    sex = _text(where, raw, "sex", required=False)
    if sex not in ("", "female", "male"):
        raise _fail(where, "sex must be female or male")
    limit = _number(where, raw, given[0])
    if limit is None:
        raise _fail(where, f"{given[0]} needs a value")
    return Threshold(
        flag=flag,
        comparison=given[0],
        limit=limit,
        message=_text(where, raw, "message"),
        action=_text(where, raw, "action"),
        source=_source(where, raw, sources),
        verification=_verification(where, raw),
        sex=sex,
    )


def _value_code(where: str, raw: Mapping[str, Any], sources: set[str]) -> ValueCode:
    _keys(where, raw, _VALUE_CODE_KEYS)
    return ValueCode(
        code=_text(where, raw, "code").lower(),
        display=_text(where, raw, "display"),
        flag=_flag(where, raw),
        message=_text(where, raw, "message"),
        action=_text(where, raw, "action", required=False),
        source=_source(where, raw, sources),
        verification=_verification(where, raw),
    )


def _loinc(where: str, raw: Mapping[str, Any]) -> tuple[str, ...]:
    codes = raw.get("loinc")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise _fail(where, "loinc must be a non-empty list of codes")
    for code in codes:
        number, _, check = code.partition("-")
        if not (number.isdigit() and check.isdigit() and len(check) == 1):
            raise _fail(where, f"{code!r} is not a LOINC code (digits-checkdigit)")
        if _loinc_check_digit(number) != int(check):
            raise _fail(where, f"{code!r} has a wrong LOINC check digit")
    return tuple(codes)


def _loinc_check_digit(number: str) -> int:
    """LOINC's mod-10 check digit (the Luhn-style algorithm LOINC documents)."""
    digits = [int(d) for d in number]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            doubled = digit * 2
            total += doubled // 10 + doubled % 10
        else:
            total += digit
    return (10 - total % 10) % 10


def _check_units_distinct(where: str, units: tuple[UnitOption, ...]) -> None:
    """Two spellings may name one unit only if they convert the same way."""
    seen: dict[str, UnitOption] = {}
    for option in units:
        for key in {_unit_key(option.code), _unit_key(option.ucum)}:
            other = seen.setdefault(key, option)
            same = (other.multiply, other.divide, other.add) == (
                option.multiply,
                option.divide,
                option.add,
            )
            if not same:
                raise _fail(where, f"{option.code!r} and {other.code!r} read the same")


def _test(where: str, raw: Mapping[str, Any], sources: set[str]) -> LabTest:
    _keys(where, raw, _TEST_KEYS)
    test_id = _text(where, raw, "id")
    where = f"test {test_id!r}"
    kind = _text(where, raw, "kind")
    group = _text(where, raw, "group")
    if kind not in ("quantity", "coded"):
        raise _fail(where, "kind must be quantity or coded")
    if group not in ("lab", "vital"):
        raise _fail(where, "group must be lab or vital")
    name = _text(where, raw, "name")
    loinc = _loinc(where, raw)
    loinc_verification = _verification(where, raw, "loinc_verification")
    loinc_evidence = _text(where, raw, "loinc_evidence")
    if kind == "coded":
        if set(raw) & {"unit", "other_unit", "reference", "threshold", "physical"}:
            raise _fail(where, "a coded test has value codes only (no units or ranges)")
        codes = tuple(
            _value_code(f"{where}.value_code[{i}]", entry, sources)
            for i, entry in enumerate(raw.get("value_code", []))
        )
        if not codes:
            raise _fail(where, "a coded test needs value codes")
        return LabTest(
            id=test_id,
            name=name,
            group=group,
            kind=kind,
            loinc=loinc,
            loinc_verification=loinc_verification,
            loinc_evidence=loinc_evidence,
            value_codes=codes,
        )
    if "value_code" in raw:
        raise _fail(where, "only a coded test has value codes")
    canonical = _text(where, raw, "unit")
    physical = raw.get("physical")
    if not (isinstance(physical, list) and len(physical) == 2):
        raise _fail(where, "physical must be [min, max]")
    low = _number(where, {"min": physical[0]}, "min")
    high = _number(where, {"max": physical[1]}, "max")
    if low is None or high is None or low < 0 or low >= high:
        raise _fail(where, "physical must be [min, max] with 0 <= min < max")
    decimals = raw.get("decimals")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 3:
        raise _fail(where, "decimals must be 0-3")
    units = (
        UnitOption(code=canonical, ucum=_text(where, raw, "ucum"), source=ENTRY_GUARD_SOURCE),
        *(
            _unit(f"{where}.other_unit[{i}]", entry, sources)
            for i, entry in enumerate(raw.get("other_unit", []))
        ),
    )
    _check_units_distinct(where, units)
    test = LabTest(
        id=test_id,
        name=name,
        group=group,
        kind=kind,
        loinc=loinc,
        loinc_verification=loinc_verification,
        loinc_evidence=loinc_evidence,
        unit=canonical,
        ucum=_text(where, raw, "ucum"),
        decimals=decimals,
        physical_min=low,
        physical_max=high,
        units=units,
        references=tuple(
            _reference(f"{where}.reference[{i}]", entry, sources)
            for i, entry in enumerate(raw.get("reference", []))
        ),
        thresholds=tuple(
            _threshold(f"{where}.threshold[{i}]", entry, sources)
            for i, entry in enumerate(raw.get("threshold", []))
        ),
    )
    if test.id in LAB_UNITS and test.unit != LAB_UNITS[test.id]:
        raise _fail(where, f"unit must stay the safety engine's {LAB_UNITS[test.id]!r} (LAB_UNITS)")
    return test


def parse_catalogue(text: str, *, source_ids: Iterable[str]) -> Catalogue:
    """Validate the catalogue's text; raise LabCatalogueError naming the first problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LabCatalogueError(f"labs.toml: not valid TOML: {exc}") from None
    if set(raw) - {"test"}:
        raise LabCatalogueError("labs.toml: only [[test]] tables are allowed")
    sources = set(source_ids)
    tests: dict[str, LabTest] = {}
    by_loinc: dict[str, str] = {}
    for position, entry in enumerate(raw.get("test", [])):
        test = _test(f"test[{position}]", entry, sources)
        if test.id in tests:
            raise _fail(f"test {test.id!r}", "duplicate test id")
        tests[test.id] = test
        for code in test.loinc:
            if code in by_loinc:
                raise _fail(
                    f"test {test.id!r}", f"LOINC {code} already belongs to {by_loinc[code]}"
                )
            by_loinc[code] = test.id
    if not tests:
        raise LabCatalogueError("labs.toml: no tests")
    missing = set(LAB_UNITS) - set(tests)
    if missing:
        raise LabCatalogueError(f"labs.toml: the safety engine's tests are missing: {missing}")
    for code, test_id in LAB_LOINC.items():
        if by_loinc.get(code) != test_id:
            raise LabCatalogueError(f"labs.toml: LOINC {code} must belong to {test_id} (LAB_LOINC)")
    return Catalogue(tests=tests, by_loinc=by_loinc)


@functools.cache
def catalogue() -> Catalogue:
    """The shipped catalogue, validated against the knowledge base's sources, loaded once."""
    from dosewise.domain.knowledge.loader import default_knowledge

    return parse_catalogue(
        CATALOGUE_PATH.read_text(encoding="utf-8"), source_ids=default_knowledge().sources
    )


def find_test(test_or_loinc: str) -> LabTest:
    """A test by id or LOINC code; UnknownTest otherwise."""
    return catalogue().find(test_or_loinc)
