"""Follow-up visits: which visit each medication change or alert calls for, by when, and
whether it is booked, due or overdue on a given day.

Answers "when must this patient next be seen, and is that visit booked?" The rules are data
(`knowledge/followup.toml`), each naming its source (`knowledge/sources/followup.toml`) and its
verification status: decision support for the clinician, who may always see a patient sooner.

How a rule is followed (see docs/scheduling.md):
- a trigger (the latest regimen event of the rule's drug classes, or the latest urgent alert)
  makes a first visit due within `within_days` (shorter for a higher-risk patient);
- a visit that took place (arrived or fulfilled appointment) after the trigger satisfies it,
  even late; the next visit is then due `then_every_days` after that visit, while within
  `for_days` of the trigger;
- the outstanding visit is "booked" when an upcoming appointment falls between the previous
  visit and its due date, "overdue" once its due date has passed without one, "due" otherwise;
- maintenance: a patient on a psychotropic with nothing else outstanding is due every 3 months
  from the last visit.

Plain values in, plain values out; `today` is passed in.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dosewise.domain.knowledge.model import Verification

RULES_PATH = Path(__file__).resolve().parent / "knowledge" / "followup.toml"

TRIGGERS = ("regimen", "urgent-alert", "maintenance")
EVENT_KINDS = ("started", "dose_changed", "switched", "held", "resumed", "discontinued", "renewed")

BOOKED = "booked"
DUE = "due"
OVERDUE = "overdue"

# Appointment statuses (FHIR) as this module reads them. A visit that took place is arrived or
# fulfilled; an upcoming booked one makes a follow-up "booked". A past appointment left
# "booked" (never marked arrived) proves nothing, so it neither satisfies nor books a visit.
HELD_STATUSES = frozenset({"arrived", "fulfilled"})
VISIT_STATUSES = HELD_STATUSES | {"booked"}


class FollowUpRuleError(ValueError):
    """The follow-up rule file is inconsistent; the message names the rule and field."""


@dataclass(frozen=True)
class FollowUpRule:
    """One follow-up rule of `knowledge/followup.toml`."""

    id: str
    trigger: str
    within_days: int
    reason: str
    source: str
    citation: str
    verification: Verification
    drug_classes: frozenset[str] = frozenset()
    event_kinds: frozenset[str] = frozenset()
    within_days_higher_risk: int = 0
    higher_risk_max_age: int = 0
    then_every_days: int = 0
    for_days: int = 0
    repeat_reason: str = ""


@dataclass(frozen=True)
class RegimenChange:
    """A regimen event as the rules read it: its date, kind (`RegimenEvent.Kind` value) and
    the drug's knowledge-base class."""

    on: dt.date
    kind: str
    drug_class: str


@dataclass(frozen=True)
class Visit:
    """An appointment (or a recorded encounter, as "fulfilled") on a day, with its status."""

    on: dt.date
    status: str


@dataclass(frozen=True)
class FollowUpFacts:
    """What the rules need to know about one patient."""

    today: dt.date
    age: int | None = None
    regimen_changes: tuple[RegimenChange, ...] = ()
    on_psychotropic: bool = False
    positive_suicide_items: tuple[dt.date, ...] = ()
    urgent_alerts: tuple[dt.date, ...] = ()
    visits: tuple[Visit, ...] = ()


@dataclass(frozen=True)
class FollowUpDue:
    """The next visit a rule calls for: by when, why, and whether it is booked."""

    due_by: dt.date
    reason: str
    rule_id: str
    source: str
    status: str  # "booked" | "due" | "overdue"
    trigger_on: dt.date  # the event, alert or last visit the rule counts from
    drug_class: str = ""  # the class whose change triggered it ("" for alerts, maintenance)
    citation: str = ""
    verification: Verification = Verification.UNVERIFIED
    booked_on: dt.date | None = None  # the upcoming appointment that covers it

    def days_overdue(self, today: dt.date) -> int:
        return max(0, (today - self.due_by).days)


# --- the rule file -----------------------------------------------------------------------

_KEYS = {
    "id",
    "trigger",
    "drug_classes",
    "event_kinds",
    "within_days",
    "within_days_higher_risk",
    "higher_risk_max_age",
    "then_every_days",
    "for_days",
    "reason",
    "repeat_reason",
    "source",
    "citation",
    "verification",
}


def _fail(where: str, message: str) -> FollowUpRuleError:
    return FollowUpRuleError(f"followup.toml: {where}: {message}")


def _text(where: str, raw: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(where, f"{key} must be non-empty text")
    return value.strip()


def _days(where: str, raw: Mapping[str, Any], key: str, *, required: bool = False) -> int:
    value = raw.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(where, f"{key} must be a whole number of days, got {value!r}")
    if required and value == 0:
        raise _fail(where, f"{key} is required")
    return value


def _texts(where: str, raw: Mapping[str, Any], key: str) -> frozenset[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _fail(where, f"{key} must be a list of text")
    return frozenset(value)


def parse_rules(text: str, *, source_ids: Iterable[str]) -> tuple[FollowUpRule, ...]:
    """Validate the rule file's text; raise FollowUpRuleError naming the first problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FollowUpRuleError(f"followup.toml: not valid TOML: {exc}") from None
    known_sources = set(source_ids)
    if set(raw) - {"rule"}:
        raise FollowUpRuleError("followup.toml: only [[rule]] tables are allowed")
    rules: list[FollowUpRule] = []
    for position, entry in enumerate(raw.get("rule", [])):
        where = f"rule[{position}]"
        unknown = set(entry) - _KEYS
        if unknown:
            raise _fail(where, f"unknown field(s) {', '.join(sorted(unknown))}")
        rule_id = _text(where, entry, "id")
        where = f"rule {rule_id!r}"
        trigger = _text(where, entry, "trigger")
        if trigger not in TRIGGERS:
            raise _fail(where, f"trigger {trigger!r} is not one of {', '.join(TRIGGERS)}")
        kinds = _texts(where, entry, "event_kinds")
        if kinds - set(EVENT_KINDS):
            raise _fail(
                where, f"unknown event kind(s) {', '.join(sorted(kinds - set(EVENT_KINDS)))}"
            )
        classes = _texts(where, entry, "drug_classes")
        if trigger == "regimen" and not (classes and kinds):
            raise _fail(where, "a regimen rule needs drug_classes and event_kinds")
        source = _text(where, entry, "source")
        if source not in known_sources:
            raise _fail(where, f"source {source!r} is not defined in knowledge/sources/*.toml")
        try:
            verification = Verification(entry.get("verification"))
        except ValueError:
            raise _fail(where, "verification must be verified, unverified or uncertain") from None
        rule = FollowUpRule(
            id=rule_id,
            trigger=trigger,
            within_days=_days(where, entry, "within_days", required=True),
            reason=_text(where, entry, "reason"),
            source=source,
            citation=_text(where, entry, "citation"),
            verification=verification,
            drug_classes=classes,
            event_kinds=kinds,
            within_days_higher_risk=_days(where, entry, "within_days_higher_risk"),
            higher_risk_max_age=_days(where, entry, "higher_risk_max_age"),
            then_every_days=_days(where, entry, "then_every_days"),
            for_days=_days(where, entry, "for_days"),
            repeat_reason=_text(where, entry, "repeat_reason", required=False),
        )
        if rule.then_every_days and not (rule.for_days and rule.repeat_reason):
            raise _fail(where, "then_every_days needs for_days and repeat_reason")
        if rule.within_days_higher_risk > rule.within_days:
            raise _fail(where, "within_days_higher_risk must not exceed within_days")
        if any(existing.id == rule.id for existing in rules):
            raise _fail(where, "duplicate rule id")
        rules.append(rule)
    if not rules:
        raise FollowUpRuleError("followup.toml: no rules")
    return tuple(rules)


def _source_ids() -> set[str]:
    # The ids of knowledge/sources/*.toml (the knowledge loader checks the files themselves).
    ids: set[str] = set()
    for path in sorted((RULES_PATH.parent / "sources").glob("*.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        ids.update(str(entry.get("id", "")) for entry in raw.get("source", []))
    return ids


@functools.cache
def default_rules() -> tuple[FollowUpRule, ...]:
    """The shipped rules, their sources checked against knowledge/sources, loaded once."""
    return parse_rules(RULES_PATH.read_text(encoding="utf-8"), source_ids=_source_ids())


# --- the rules ---------------------------------------------------------------------------


def _is_higher_risk(rule: FollowUpRule, facts: FollowUpFacts, trigger_on: dt.date) -> bool:
    """Younger patients and a positive suicide item shorten the first window (brief §4.9).

    Any positive item on record before the first visit would be due counts: "raised suicide
    risk" has no expiry in the source, so the rule does not invent one.
    """
    if not rule.within_days_higher_risk:
        return False
    young = facts.age is not None and facts.age <= rule.higher_risk_max_age
    first_due = trigger_on + dt.timedelta(days=rule.within_days)
    return young or any(on <= first_due for on in facts.positive_suicide_items)


def _follow(
    rule: FollowUpRule,
    facts: FollowUpFacts,
    *,
    trigger_on: dt.date,
    first_within: int,
    drug_class: str = "",
) -> FollowUpDue | None:
    """Walk the visits after the trigger; return the outstanding visit, if any."""
    held = sorted(
        visit.on
        for visit in facts.visits
        if visit.status in HELD_STATUSES and trigger_on < visit.on <= facts.today
    )
    upcoming = sorted(
        visit.on
        for visit in facts.visits
        if visit.status == "booked" and visit.on >= facts.today and visit.on > trigger_on
    )
    anchor = trigger_on
    due_by = trigger_on + dt.timedelta(days=first_within)
    reason = rule.reason
    while True:
        seen = [on for on in held if on > anchor]
        if not seen:
            break
        anchor = seen[0]  # satisfied (on time or late) by the first visit after the anchor
        if not rule.then_every_days:
            return None
        due_by = anchor + dt.timedelta(days=rule.then_every_days)
        if due_by > trigger_on + dt.timedelta(days=rule.for_days):
            return None
        reason = rule.repeat_reason
    booked = next((on for on in upcoming if anchor < on <= due_by), None)
    if booked is not None:
        status = BOOKED
    elif facts.today > due_by:
        status = OVERDUE
    else:
        status = DUE
    return FollowUpDue(
        due_by=due_by,
        reason=reason,
        rule_id=rule.id,
        source=rule.source,
        status=status,
        trigger_on=trigger_on,
        drug_class=drug_class,
        citation=rule.citation,
        verification=rule.verification,
        booked_on=booked,
    )


def _regimen(rule: FollowUpRule, facts: FollowUpFacts) -> FollowUpDue | None:
    changes = [
        change
        for change in facts.regimen_changes
        if change.kind in rule.event_kinds
        and change.drug_class in rule.drug_classes
        and change.on <= facts.today
    ]
    if not changes:
        return None
    # The latest change restarts the rule: its visit is due no later than an earlier one's.
    latest = max(changes, key=lambda change: change.on)
    first_within = (
        rule.within_days_higher_risk
        if _is_higher_risk(rule, facts, latest.on)
        else rule.within_days
    )
    return _follow(
        rule, facts, trigger_on=latest.on, first_within=first_within, drug_class=latest.drug_class
    )


def _urgent_alert(rule: FollowUpRule, facts: FollowUpFacts) -> FollowUpDue | None:
    alerts = [on for on in facts.urgent_alerts if on <= facts.today]
    if not alerts:
        return None
    return _follow(rule, facts, trigger_on=max(alerts), first_within=rule.within_days)


def _maintenance(rule: FollowUpRule, facts: FollowUpFacts) -> FollowUpDue | None:
    if not facts.on_psychotropic:
        return None
    starts = [
        *(visit.on for visit in facts.visits if visit.status in HELD_STATUSES),
        *(change.on for change in facts.regimen_changes),
    ]
    past = [on for on in starts if on <= facts.today]
    if not past:
        return None
    # Counted from the last visit (or the last change, if the patient was never seen since);
    # a visit on that same day is the one being counted from, so only later ones satisfy it.
    return _follow(rule, facts, trigger_on=max(past), first_within=rule.within_days)


def follow_ups_due(
    facts: FollowUpFacts, rules: Iterable[FollowUpRule] | None = None
) -> list[FollowUpDue]:
    """The outstanding follow-up visits of one patient, soonest due first.

    Each regimen rule follows the latest triggering event of its classes; maintenance is only
    listed when nothing else is outstanding (any other follow-up is sooner and also reviews
    the regimen).
    """
    rules = default_rules() if rules is None else tuple(rules)
    found: list[FollowUpDue] = []
    for rule in rules:
        if rule.trigger == "regimen":
            due = _regimen(rule, facts)
        elif rule.trigger == "urgent-alert":
            due = _urgent_alert(rule, facts)
        else:
            continue
        if due is not None:
            found.append(due)
    if not found:
        for rule in rules:
            if rule.trigger == "maintenance":
                due = _maintenance(rule, facts)
                if due is not None:
                    found.append(due)
    return sorted(found, key=lambda due: (due.due_by, due.rule_id))
