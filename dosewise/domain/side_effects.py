"""Side-effect reports: does this report need an urgent alert, and may this drug be suspected?

Two clinical questions, answered over plain values:

1. `urgent_alert`: a reported side effect raises an urgent safety alert when (issue 6)
   - it is a rash and a suspected drug's label carries a boxed warning for serious rash
     (SJS/TEN): the drugs tagged `serious_rash` in the knowledge base, today lamotrigine and
     carbamazepine. The alert carries the drug's action ("Stop lamotrigine unless the rash is
     clearly not drug-related; same-day review", brief §4.4). This outranks the next rule;
   - otherwise, it is graded severe, whatever the symptom or drug.
   Mild and moderate reports of anything else raise nothing: they are recorded and shown on the
   medication timeline. The rules are data (`knowledge/side_effects.toml`), each action with its
   source (`knowledge/sources/*.toml`) and verification status.
2. `exposure`: a drug can be suspected of an effect only if the patient took it before the
   onset, and not more than `RECENT_STOP_DAYS` before it (a Dosewise choice that bounds the
   "recently stopped" list, not a pharmacological fact; see docs/side-effects.md).

Plain values in, plain values out; no clock.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dosewise.domain.knowledge.loader import Knowledge, default_knowledge
from dosewise.domain.knowledge.model import Drug, Tag, Verification

RULES_PATH = Path(__file__).resolve().parent / "knowledge" / "side_effects.toml"

# The reported symptom, as `SideEffectReport.Symptom` stores it (issue 6's list).
SYMPTOMS: Mapping[str, str] = {
    "nausea": "nausea",
    "sexual_dysfunction": "sexual dysfunction",
    "insomnia": "insomnia",
    "sedation": "sedation",
    "weight_gain": "weight gain",
    "tremor": "tremor",
    "akathisia": "akathisia",
    "rash": "rash",
    "dizziness": "dizziness",
    "headache": "headache",
    "activation": "activation",
    "other": "other",
}
RASH = "rash"
OTHER = "other"
SEVERITIES = ("mild", "moderate", "severe")
SEVERE = "severe"

# A drug stopped longer ago than this before the onset is not offered or accepted as suspected.
RECENT_STOP_DAYS = 90


class SideEffectRuleError(ValueError):
    """The side-effect rule file is inconsistent; the message names the entry and field."""


class AlertKind(enum.Enum):
    """The urgent alert a report raises (the same values as `SafetyAlert.Kind`)."""

    SERIOUS_RASH = "serious_rash"
    SEVERE_SIDE_EFFECT = "severe_side_effect"


@dataclass(frozen=True)
class RuleAction:
    """What an alert asks the clinician to do, and where that comes from."""

    action: str
    source: str
    citation: str
    verification: Verification


@dataclass(frozen=True)
class SideEffectRules:
    """The loaded rule file: the severe-report action and one rash action per tagged drug."""

    severe: RuleAction
    serious_rash: Mapping[str, RuleAction]  # canonical drug name -> action


@dataclass(frozen=True)
class UrgentAlert:
    """Why a report is urgent, in a clinician's words, and what to do."""

    kind: AlertKind
    reason: str  # one line for the chart banner and the worklist (at most 300 characters)
    actions: tuple[RuleAction, ...]
    drugs: tuple[str, ...]  # the drugs the rule is about (the serious-rash drugs, or all suspected)

    @property
    def action(self) -> str:
        return " ".join(item.action for item in self.actions)

    @property
    def verification(self) -> Verification:
        """The weakest verification among the actions (unverified if any is)."""
        statuses = {item.verification for item in self.actions}
        for status in (Verification.UNCERTAIN, Verification.UNVERIFIED):
            if status in statuses:
                return status
        return Verification.VERIFIED


class Exposure(enum.Enum):
    """Whether a drug, given the periods the patient took it, can be suspected for an onset."""

    TAKING = "taking"  # taken on the onset day
    RECENTLY_STOPPED = "recently_stopped"  # stopped at most RECENT_STOP_DAYS before the onset
    NOT_YET_STARTED = "not_yet_started"  # first taken after the onset (or never)
    STOPPED_LONG_BEFORE = "stopped_long_before"

    @property
    def may_be_suspected(self) -> bool:
        return self in (Exposure.TAKING, Exposure.RECENTLY_STOPPED)


# --- the rule file -----------------------------------------------------------------------


def _fail(where: str, message: str) -> SideEffectRuleError:
    return SideEffectRuleError(f"side_effects.toml: {where}: {message}")


def _action(where: str, raw: object, source_ids: frozenset[str], extra: set[str]) -> RuleAction:
    if not isinstance(raw, dict):
        raise _fail(where, "must be a table")
    keys = {"action", "source", "citation", "verification"} | extra
    unknown = set(raw) - keys
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(sorted(unknown))}")
    texts: dict[str, str] = {}
    for key in ("action", "source", "citation", "verification"):
        value = raw.get(key, "")
        if not isinstance(value, str) or not value.strip():
            raise _fail(where, f"{key} must be non-empty text")
        texts[key] = value.strip()
    if texts["source"] not in source_ids:
        raise _fail(where, f"source {texts['source']!r} is not defined in sources/*.toml")
    try:
        verification = Verification(texts["verification"])
    except ValueError:
        raise _fail(where, f"verification {texts['verification']!r} is not known") from None
    return RuleAction(texts["action"], texts["source"], texts["citation"], verification)


def parse_rules(text: str, knowledge: Knowledge) -> SideEffectRules:
    """Validate the rule file against the knowledge base; raise SideEffectRuleError naming the
    first problem (unknown drug, a tagged drug without an action, an action for an untagged
    drug, an unknown source)."""
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SideEffectRuleError(f"side_effects.toml: not valid TOML: {exc}") from None
    if set(raw) - {"severe", "serious_rash"}:
        raise SideEffectRuleError("side_effects.toml: only [severe] and [[serious_rash]] allowed")
    source_ids = frozenset(knowledge.sources)
    if "severe" not in raw:
        raise _fail("severe", "the [severe] table is required")
    severe = _action("severe", raw["severe"], source_ids, set())
    rash: dict[str, RuleAction] = {}
    entries = raw.get("serious_rash", [])
    if not isinstance(entries, list):
        raise _fail("serious_rash", "must be a list of [[serious_rash]] tables")
    for position, entry in enumerate(entries):
        where = f"serious_rash[{position}]"
        name = entry.get("drug") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise _fail(where, "drug must be non-empty text")
        drug = knowledge.drugs.get(name.strip())
        if drug is None:
            raise _fail(where, f"drug {name!r} is not a canonical name in the knowledge base")
        if not drug.has(Tag.SERIOUS_RASH):
            raise _fail(where, f"{drug.name} is not tagged serious_rash in drugs/*.toml")
        if not drug.boxed_warnings:
            raise _fail(where, f"{drug.name} has no boxed warning to cite")
        if drug.name in rash:
            raise _fail(where, f"{drug.name} is listed twice")
        rash[drug.name] = _action(where, entry, source_ids, {"drug"})
    missing = sorted(
        drug.name
        for drug in knowledge.drugs.values()
        if drug.has(Tag.SERIOUS_RASH) and drug.name not in rash
    )
    if missing:
        raise _fail("serious_rash", f"no action for the tagged drug(s) {', '.join(missing)}")
    return SideEffectRules(severe=severe, serious_rash=rash)


@functools.cache
def default_rules() -> SideEffectRules:
    """The shipped rule file, checked against the shipped knowledge base, loaded once."""
    return parse_rules(RULES_PATH.read_text(encoding="utf-8"), default_knowledge())


# --- the rules ---------------------------------------------------------------------------


def symptom_words(symptom: str, other_text: str = "") -> str:
    """'nausea', 'sexual dysfunction'; for Other, the reporter's words."""
    if symptom == OTHER:
        return other_text.strip() or OTHER
    return SYMPTOMS[symptom]


def _names(drugs: Iterable[str]) -> str:
    names = list(dict.fromkeys(drugs))
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def urgent_alert(
    symptom: str,
    severity: str,
    suspected: Iterable[Drug],
    *,
    other_text: str = "",
    rules: SideEffectRules | None = None,
) -> UrgentAlert | None:
    """The urgent alert this report raises, or None (see the module docstring for the rules).

    Sources: issue 6 (which reports are urgent); brief §4.4 and §2.3 Table B (the
    lamotrigine and carbamazepine boxed warnings and the stop-on-rash action). Unknown symptom
    or severity values are an error, never "not urgent".
    """
    if symptom not in SYMPTOMS:
        raise ValueError(f"unknown symptom {symptom!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    rules = rules or default_rules()
    drugs = list(dict.fromkeys(suspected))
    words = symptom_words(symptom, other_text)
    if symptom == RASH:
        culprits = [drug for drug in drugs if drug.has(Tag.SERIOUS_RASH)]
        if culprits:
            actions = tuple(rules.serious_rash[drug.name] for drug in culprits)
            graded = f" ({severity})"
            reason = (
                f"Rash{graded} on {_names(d.name for d in culprits)}, whose label carries a "
                f"boxed warning for serious rash (SJS/TEN). "
                + " ".join(item.action for item in actions)
            )
            return UrgentAlert(
                kind=AlertKind.SERIOUS_RASH,
                reason=reason[:300],
                actions=actions,
                drugs=tuple(drug.name for drug in culprits),
            )
    if severity == SEVERE:
        suspects = _names(drug.name for drug in drugs)
        what = f"Severe side effect: {words}" if symptom == OTHER else f"Severe {words}"
        reason = what + (f" (suspected: {suspects})" if suspects else "") + ". "
        return UrgentAlert(
            kind=AlertKind.SEVERE_SIDE_EFFECT,
            reason=(reason + rules.severe.action)[:300],
            actions=(rules.severe,),
            drugs=tuple(drug.name for drug in drugs),
        )
    return None


def exposure(
    periods: Iterable[tuple[dt.date, dt.date | None]],
    onset: dt.date,
    *,
    window_days: int = RECENT_STOP_DAYS,
) -> Exposure:
    """Whether a drug taken over `periods` (start inclusive, end exclusive; None: still taken)
    can be suspected of an effect that began on `onset`.

    A drug first taken after the onset cannot have caused it; one stopped more than
    `window_days` before the onset is too far back to be offered (its effect would be a late or
    withdrawal effect, recorded as such in the notes of a report on a current drug).
    """
    best = Exposure.NOT_YET_STARTED
    for start, end in periods:
        if start > onset:
            continue
        if end is None or end > onset:
            return Exposure.TAKING
        if (onset - end).days <= window_days:
            best = Exposure.RECENTLY_STOPPED
        elif best is Exposure.NOT_YET_STARTED:
            best = Exposure.STOPPED_LONG_BEFORE
    return best
