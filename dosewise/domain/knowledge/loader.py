"""Load and validate the drug knowledge base; fail loudly on any inconsistency.

Files: `sources/*.toml` (each source once, as `[[source]]`) and `drugs/*.toml` (lists of
`[[drug]]`). See
`docs/knowledge-base.md` for the format. Loading reads files, so it happens once per process
(`default_knowledge()` caches it); the rules themselves receive the loaded value.
"""

from __future__ import annotations

import difflib
import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from dosewise.domain.knowledge.model import (
    ENZYMES,
    LIMIT_CONDITIONS,
    CypEffect,
    CypRole,
    DoseLimit,
    Dosing,
    Drug,
    Form,
    QtRisk,
    Source,
    Strength,
    Tag,
    Verification,
)

KNOWLEDGE_DIR = Path(__file__).resolve().parent
DEA_SCHEDULES = ("", "2", "2N", "3", "3N", "4", "5")


class KnowledgeError(Exception):
    """The knowledge files are inconsistent; the message names the file, drug and field."""


class UnknownDrug(LookupError):
    """A name, brand or RxCUI the knowledge base does not know; never treated as 'no risk'."""

    def __init__(self, name: str, suggestions: tuple[str, ...]) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown drug {name!r}{hint}")


@dataclass(frozen=True)
class Knowledge:
    """The loaded knowledge base: drugs by canonical name, plus a lookup index."""

    drugs: Mapping[str, Drug]
    sources: Mapping[str, Source]
    index: Mapping[str, str]  # lower-cased name, synonym or RxCUI -> canonical name

    def find(self, name_or_code: str) -> Drug:
        key = " ".join(name_or_code.strip().lower().split())
        canonical = self.index.get(key)
        if canonical is None:
            suggestions = tuple(
                self.index[match]
                for match in difflib.get_close_matches(key, list(self.index), n=3, cutoff=0.75)
            )
            raise UnknownDrug(name_or_code, tuple(dict.fromkeys(suggestions)))
        return self.drugs[canonical]

    def search(self, text: str, limit: int = 10) -> list[Drug]:
        key = text.strip().lower()
        hits = sorted({canonical for name, canonical in self.index.items() if key in name})
        return [self.drugs[name] for name in hits[:limit]]


def _fail(where: str, message: str) -> KnowledgeError:
    return KnowledgeError(f"{where}: {message}")


def _decimal(where: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _fail(where, f"expected a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _fail(where, f"expected a number, got {value!r}") from None
    if number < 0:
        raise _fail(where, "must not be negative")
    return number


def _enum(where: str, kind: type[Any], value: object) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise _fail(where, f"{value!r} is not one of {allowed}") from None


def _text(where: str, table: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise _fail(where, f"{key} must be text")
    if required and not value.strip():
        raise _fail(where, f"{key} is required")
    return value.strip()


def _texts(where: str, table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _fail(where, f"{key} must be a list of text")
    return tuple(item.strip() for item in value)


def _check_keys(where: str, table: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(table) - set(allowed)
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(sorted(unknown))}")


def _source(
    where: str, table: Mapping[str, Any], sources: Mapping[str, Source], key: str = "source"
) -> str:
    source_id = _text(where, table, key)
    if source_id not in sources:
        raise _fail(where, f"{key} {source_id!r} is not defined in sources/*.toml")
    return source_id


_CYP_KEYS = (
    "enzyme",
    "role",
    "strength",
    "source",
    "verification",
    "with_inhibitor_action",
    "with_inducer_action",
    "contraindicated_with_strong_inhibitor",
    "contraindicated_with_strong_inducer",
)


def _cyp(where: str, raw: Mapping[str, Any], sources: Mapping[str, Source]) -> CypEffect:
    _check_keys(where, raw, _CYP_KEYS)
    enzyme = _text(where, raw, "enzyme")
    if enzyme not in ENZYMES:
        raise _fail(where, f"enzyme {enzyme!r} is not one of {', '.join(ENZYMES)}")
    role = _enum(where, CypRole, raw.get("role"))
    effect = CypEffect(
        enzyme=enzyme,
        role=role,
        strength=_enum(where, Strength, raw.get("strength")),
        source=_source(where, raw, sources),
        verification=_enum(where, Verification, raw.get("verification")),
        with_inhibitor_action=_text(where, raw, "with_inhibitor_action", required=False),
        with_inducer_action=_text(where, raw, "with_inducer_action", required=False),
        contraindicated_with_strong_inhibitor=bool(
            raw.get("contraindicated_with_strong_inhibitor", False)
        ),
        contraindicated_with_strong_inducer=bool(
            raw.get("contraindicated_with_strong_inducer", False)
        ),
    )
    if role is not CypRole.SUBSTRATE and (
        effect.with_inhibitor_action
        or effect.with_inducer_action
        or effect.contraindicated_with_strong_inhibitor
        or effect.contraindicated_with_strong_inducer
    ):
        raise _fail(where, "actions with inhibitors/inducers belong to substrate entries")
    return effect


_DOSING_KEYS = (
    "forms",
    "start_mg_per_day",
    "min_therapeutic_mg_per_day",
    "titration_step_mg",
    "titration_interval_days",
    "usual_max_mg_per_day",
    "label_max_mg_per_day",
    "max_mg_per_dose",
    "limits",
    "source",
    "verification",
    "note",
)


def _dosing(where: str, raw: Mapping[str, Any], sources: Mapping[str, Source]) -> Dosing:
    _check_keys(where, raw, _DOSING_KEYS)
    forms = []
    for position, form in enumerate(raw.get("forms", [])):
        form_where = f"{where}.forms[{position}]"
        _check_keys(form_where, form, ("form", "strengths_mg", "route"))
        strengths = tuple(_decimal(form_where, value) for value in form.get("strengths_mg", []))
        if not strengths or any(value == 0 for value in strengths):
            raise _fail(form_where, "strengths_mg must list positive strengths")
        forms.append(
            Form(
                form=_text(form_where, form, "form"),
                strengths_mg=strengths,
                route=_text(form_where, form, "route", required=False) or "oral",
            )
        )
    if not forms:
        raise _fail(where, "forms is required")
    limits = []
    for position, limit in enumerate(raw.get("limits", [])):
        limit_where = f"{where}.limits[{position}]"
        _check_keys(limit_where, limit, ("when", "max_mg_per_day", "source", "verification"))
        when = _text(limit_where, limit, "when")
        if when not in LIMIT_CONDITIONS:
            raise _fail(limit_where, f"when {when!r} is not one of {', '.join(LIMIT_CONDITIONS)}")
        limits.append(
            DoseLimit(
                when=when,
                max_mg_per_day=_decimal(limit_where, limit.get("max_mg_per_day")),
                source=_source(limit_where, limit, sources),
                verification=_enum(limit_where, Verification, limit.get("verification")),
            )
        )
    dosing = Dosing(
        forms=tuple(forms),
        start_mg_per_day=_decimal(where, raw.get("start_mg_per_day")),
        min_therapeutic_mg_per_day=_decimal(where, raw.get("min_therapeutic_mg_per_day")),
        titration_step_mg=_decimal(where, raw.get("titration_step_mg", 0)),
        titration_interval_days=int(_decimal(where, raw.get("titration_interval_days", 0))),
        usual_max_mg_per_day=_decimal(where, raw.get("usual_max_mg_per_day")),
        label_max_mg_per_day=_decimal(where, raw.get("label_max_mg_per_day")),
        max_mg_per_dose=_decimal(where, raw.get("max_mg_per_dose", 0)),
        limits=tuple(limits),
        source=_source(where, raw, sources),
        verification=_enum(where, Verification, raw.get("verification")),
        note=_text(where, raw, "note", required=False),
    )
    _check_doses(where, dosing)
    return dosing


def _check_doses(where: str, dosing: Dosing) -> None:
    """Doses must be internally consistent: a start above the maximum is a data error."""
    ceiling = dosing.label_max_mg_per_day
    if dosing.start_mg_per_day <= 0:
        raise _fail(where, "start_mg_per_day must be positive")
    if dosing.start_mg_per_day > dosing.usual_max_mg_per_day:
        raise _fail(where, "start_mg_per_day is above usual_max_mg_per_day")
    if dosing.min_therapeutic_mg_per_day > dosing.usual_max_mg_per_day:
        raise _fail(where, "min_therapeutic_mg_per_day is above usual_max_mg_per_day")
    if ceiling and dosing.usual_max_mg_per_day > ceiling:
        raise _fail(where, "usual_max_mg_per_day is above label_max_mg_per_day")
    if ceiling and dosing.max_mg_per_dose > ceiling:
        raise _fail(where, "max_mg_per_dose is above label_max_mg_per_day")
    if (dosing.titration_step_mg == 0) != (dosing.titration_interval_days == 0):
        raise _fail(where, "titration_step_mg and titration_interval_days go together")
    for limit in dosing.limits:
        if ceiling and limit.max_mg_per_day > ceiling:
            raise _fail(where, f"limit {limit.when} is above label_max_mg_per_day")


_DRUG_KEYS = (
    "name",
    "synonyms",
    "rxcui",
    "rxcui_source",
    "clinical_drug_rxcuis",
    "class",
    "subclass",
    "psychotropic",
    "dea_schedule",
    "tags",
    "qt_risk",
    "anticholinergic_burden",
    "half_life_hours",
    "metabolite_half_life_hours",
    "days_before_maoi",
    "cyp",
    "boxed_warnings",
    "pregnancy",
    "lactation",
    "monitoring",
    "dosing",
    "source",
    "verification",
)


def _drug(where: str, raw: Mapping[str, Any], sources: Mapping[str, Source]) -> Drug:
    _check_keys(where, raw, _DRUG_KEYS)
    name = _text(where, raw, "name")
    if name != name.lower():
        raise _fail(where, "name must be the lower-case generic name")
    where = f"{where} ({name})"
    rxcui = _text(where, raw, "rxcui", required=False)
    if rxcui and not rxcui.isdigit():
        raise _fail(where, f"rxcui {rxcui!r} must be digits")
    rxcui_source = _source(where, raw, sources, "rxcui_source") if rxcui else ""
    dea = str(raw.get("dea_schedule", ""))
    if dea not in DEA_SCHEDULES:
        raise _fail(where, f"dea_schedule {dea!r} is not one of {DEA_SCHEDULES}")
    tags = frozenset(_enum(f"{where}.tags", Tag, tag) for tag in raw.get("tags", []))
    acb = int(_decimal(where, raw.get("anticholinergic_burden", 0)))
    if acb > 3:
        raise _fail(where, "anticholinergic_burden is a 0-3 score")
    psychotropic = raw.get("psychotropic")
    if not isinstance(psychotropic, bool):
        raise _fail(where, "psychotropic must be true or false")
    dosing = _dosing(f"{where}.dosing", raw["dosing"], sources) if "dosing" in raw else None
    if psychotropic and dosing is None:
        raise _fail(where, "psychotropics need full dosing facts")
    half_life = _decimal(where, raw.get("half_life_hours"))
    if half_life == 0:
        raise _fail(where, "half_life_hours must be positive")
    return Drug(
        name=name,
        synonyms=_texts(where, raw, "synonyms"),
        rxcui=rxcui,
        rxcui_source=rxcui_source,
        clinical_drug_rxcuis=_texts(where, raw, "clinical_drug_rxcuis"),
        drug_class=_text(where, raw, "class"),
        subclass=_text(where, raw, "subclass", required=False),
        is_psychotropic=psychotropic,
        dea_schedule=dea,
        tags=tags,
        qt_risk=_enum(where, QtRisk, raw.get("qt_risk", "none")),
        anticholinergic_burden=acb,
        half_life_hours=half_life,
        metabolite_half_life_hours=_decimal(where, raw.get("metabolite_half_life_hours", 0)),
        days_before_maoi=int(_decimal(where, raw.get("days_before_maoi", 0))),
        cyp=tuple(
            _cyp(f"{where}.cyp[{position}]", effect, sources)
            for position, effect in enumerate(raw.get("cyp", []))
        ),
        boxed_warnings=_texts(where, raw, "boxed_warnings"),
        pregnancy=_text(where, raw, "pregnancy", required=psychotropic),
        lactation=_text(where, raw, "lactation", required=psychotropic),
        monitoring=_texts(where, raw, "monitoring"),
        dosing=dosing,
        source=_source(where, raw, sources),
        verification=_enum(where, Verification, raw.get("verification")),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path.name, f"not valid TOML: {exc}") from None


def _load_sources(paths: Iterable[Path]) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for path in paths:
        _load_source_file(path, sources)
    return sources


def _load_source_file(path: Path, sources: dict[str, Source]) -> None:
    raw = _read_toml(path)
    _check_keys(path.name, raw, ("source",))
    for position, entry in enumerate(raw.get("source", [])):
        where = f"{path.name}: source[{position}]"
        _check_keys(where, entry, ("id", "title", "version", "url"))
        source = Source(
            id=_text(where, entry, "id"),
            title=_text(where, entry, "title"),
            version=_text(where, entry, "version"),
            url=_text(where, entry, "url", required=False),
        )
        if source.id in sources:
            raise _fail(where, f"duplicate source id {source.id!r}")
        sources[source.id] = source


def load_knowledge(directory: Path = KNOWLEDGE_DIR) -> Knowledge:
    """Read and validate every knowledge file; raise KnowledgeError naming the first problem."""
    sources = _load_sources(sorted((directory / "sources").glob("*.toml")))
    drugs: dict[str, Drug] = {}
    index: dict[str, str] = {}
    for path in sorted((directory / "drugs").glob("*.toml")):
        raw = _read_toml(path)
        _check_keys(path.name, raw, ("drug",))
        for position, entry in enumerate(raw.get("drug", [])):
            drug = _drug(f"{path.name}: drug[{position}]", entry, sources)
            if drug.name in drugs:
                raise _fail(path.name, f"drug {drug.name!r} is defined twice")
            drugs[drug.name] = drug
            for key in (drug.name, *drug.synonyms, drug.rxcui, *drug.clinical_drug_rxcuis):
                lowered = " ".join(key.lower().split())
                if not lowered:
                    continue
                if index.get(lowered, drug.name) != drug.name:
                    raise _fail(path.name, f"{key!r} names both {index[lowered]} and {drug.name}")
                index[lowered] = drug.name
    if not drugs:
        raise KnowledgeError(f"no drugs found under {directory / 'drugs'}")
    return Knowledge(drugs=drugs, sources=sources, index=index)


@functools.cache
def default_knowledge() -> Knowledge:
    """The shipped knowledge base, loaded once per process."""
    return load_knowledge()
