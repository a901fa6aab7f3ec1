"""Side-effect alert rules and the suspected-drug window, table-driven with their sources."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from dosewise.domain.knowledge.loader import default_knowledge
from dosewise.domain.knowledge.model import Tag, Verification
from dosewise.domain.regimen import EventKind
from dosewise.domain.side_effects import (
    RECENT_STOP_DAYS,
    RULES_PATH,
    SEVERITIES,
    SYMPTOMS,
    AlertKind,
    Exposure,
    SideEffectRuleError,
    default_rules,
    exposure,
    parse_rules,
    urgent_alert,
)
from dosewise.domain.timeline import SideEffectMark, TimelineEvent
from dosewise.domain.timeline import layout as timeline_layout

KNOWLEDGE = default_knowledge()
D = dt.date
ISSUE = "issue 6: a rash on lamotrigine or carbamazepine, or any severe report, is urgent"

# (symptom, severity, suspected drugs, expected kind or None, source of the expected answer)
CASES = [
    ("rash", "mild", ["lamotrigine"], AlertKind.SERIOUS_RASH, f"{ISSUE}; brief §4.4"),
    ("rash", "moderate", ["carbamazepine"], AlertKind.SERIOUS_RASH, f"{ISSUE}; brief §2.3"),
    ("rash", "severe", ["lamotrigine"], AlertKind.SERIOUS_RASH, f"{ISSUE}: rash outranks severe"),
    (
        "rash",
        "mild",
        ["valproate", "lamotrigine"],
        AlertKind.SERIOUS_RASH,
        f"{ISSUE}: lamotrigine among the suspects is enough (brief I-11: valproate raises risk)",
    ),
    ("rash", "mild", ["sertraline"], None, "issue 6: mild, no boxed rash warning on sertraline"),
    (
        "rash",
        "moderate",
        ["valproate"],
        None,
        "brief §2.3: valproate's boxed warnings are not skin",
    ),
    (
        "rash",
        "moderate",
        ["oxcarbazepine"],
        None,
        "label-oxcarbazepine-ranbaxy: SJS/TEN is a warning, not boxed (tag severe_skin_reaction only)",
    ),
    ("rash", "severe", ["sertraline"], AlertKind.SEVERE_SIDE_EFFECT, f"{ISSUE}: any severe"),
    ("nausea", "severe", ["sertraline"], AlertKind.SEVERE_SIDE_EFFECT, f"{ISSUE}: any severe"),
    ("other", "severe", ["quetiapine"], AlertKind.SEVERE_SIDE_EFFECT, f"{ISSUE}: any severe"),
    ("nausea", "moderate", ["lamotrigine"], None, "issue 6: only a rash is urgent on lamotrigine"),
    ("dizziness", "mild", ["carbamazepine"], None, "issue 6: not a rash, not severe"),
    ("insomnia", "moderate", ["methylphenidate"], None, "issue 6: not a rash, not severe"),
    ("sexual_dysfunction", "moderate", ["escitalopram"], None, "issue 6: not urgent"),
]


@pytest.mark.parametrize(("symptom", "severity", "drugs", "expected", "source"), CASES)
def test_which_reports_raise_an_urgent_alert(
    symptom: str, severity: str, drugs: list[str], expected: AlertKind | None, source: str
) -> None:
    alert = urgent_alert(
        symptom,
        severity,
        [KNOWLEDGE.find(name) for name in drugs],
        other_text="Vivid dreams",
    )
    assert (alert.kind if alert else None) is expected, source


def test_a_rash_on_lamotrigine_asks_to_stop_it_unless_clearly_not_drug_related() -> None:
    alert = urgent_alert("rash", "mild", [KNOWLEDGE.find("lamictal")])
    assert alert is not None
    assert alert.action == (
        "Stop lamotrigine unless the rash is clearly not drug-related; same-day review."
    )
    assert alert.reason == (
        "Rash (mild) on lamotrigine, whose label carries a boxed warning for serious rash "
        "(SJS/TEN). Stop lamotrigine unless the rash is clearly not drug-related; same-day review."
    )
    assert alert.drugs == ("lamotrigine",)
    assert alert.actions[0].source == "brief"
    assert alert.verification is Verification.UNVERIFIED


def test_a_rash_on_two_boxed_warning_drugs_names_both_actions() -> None:
    alert = urgent_alert(
        "rash", "moderate", [KNOWLEDGE.find("carbamazepine"), KNOWLEDGE.find("lamotrigine")]
    )
    assert alert is not None
    assert alert.drugs == ("carbamazepine", "lamotrigine")
    assert alert.reason.startswith("Rash (moderate) on carbamazepine and lamotrigine, ")
    assert "Stop carbamazepine" in alert.action and "Stop lamotrigine" in alert.action
    assert len(alert.reason) <= 300


def test_a_severe_report_names_the_symptom_and_the_suspects() -> None:
    alert = urgent_alert(
        "other", "severe", [KNOWLEDGE.find("quetiapine")], other_text="Fainting on standing"
    )
    assert alert is not None
    assert alert.reason.startswith(
        "Severe side effect: Fainting on standing (suspected: quetiapine). Review"
    )
    assert alert.verification is Verification.VERIFIED  # the requirement itself, read in issue 6


@pytest.mark.parametrize(
    ("symptom", "severity"), [("itching", "mild"), ("rash", "life-threatening"), ("", "")]
)
def test_an_unknown_symptom_or_severity_is_an_error_never_not_urgent(
    symptom: str, severity: str
) -> None:
    with pytest.raises(ValueError, match="unknown"):
        urgent_alert(symptom, severity, [KNOWLEDGE.find("lamotrigine")])


def test_the_vocabulary_is_issue_sixs_list() -> None:
    assert list(SYMPTOMS) == [
        "nausea",
        "sexual_dysfunction",
        "insomnia",
        "sedation",
        "weight_gain",
        "tremor",
        "akathisia",
        "rash",
        "dizziness",
        "headache",
        "activation",
        "other",
    ]
    assert SEVERITIES == ("mild", "moderate", "severe")


# --- the knowledge base carries the tag exactly where the label has the boxed warning --------

_SKIN = re.compile(r"rash|skin|dermatolog|stevens|SJS|TEN\b", re.IGNORECASE)


def test_the_serious_rash_tag_matches_the_boxed_warnings_in_the_knowledge_base() -> None:
    """brief §2.3 Table B: lamotrigine (serious skin rashes, SJS/TEN) and carbamazepine (SJS/TEN,
    HLA-B*15:02) are the only drugs with a boxed skin warning; the tag must follow the data."""
    tagged = {drug.name for drug in KNOWLEDGE.drugs.values() if drug.has(Tag.SERIOUS_RASH)}
    boxed_skin = {
        drug.name
        for drug in KNOWLEDGE.drugs.values()
        if any(_SKIN.search(text) for text in drug.boxed_warnings)
    }
    assert tagged == boxed_skin == {"lamotrigine", "carbamazepine"}
    assert set(default_rules().serious_rash) == tagged


# --- the rule file is checked against the knowledge base -----------------------------------

SEVERE = """
[severe]
action = "Review today."
source = "issue-6-side-effects"
citation = "issue 6"
verification = "verified"
"""


def _rash(drug: str, source: str = "brief") -> str:
    return f"""
[[serious_rash]]
drug = "{drug}"
action = "Stop it."
source = "{source}"
citation = "brief"
verification = "unverified"
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_rash("lamotrigine") + _rash("carbamazepine"), "the \\[severe\\] table is required"),
        (SEVERE + _rash("lamotrigine"), "no action for the tagged drug\\(s\\) carbamazepine"),
        (
            SEVERE + _rash("lamotrigine") + _rash("carbamazepine") + _rash("sertraline"),
            "not tagged",
        ),
        (SEVERE + _rash("lamictal") + _rash("carbamazepine"), "not a canonical name"),
        (SEVERE + _rash("lamotrigine", "nowhere") + _rash("carbamazepine"), "'nowhere' is not"),
        (SEVERE + _rash("lamotrigine") + _rash("lamotrigine"), "listed twice"),
        (SEVERE.replace("verified", "checked"), "verification 'checked' is not known"),
        (SEVERE + "[other]\n", "only \\[severe\\] and \\[\\[serious_rash\\]\\] allowed"),
        ("[severe\n", "not valid TOML"),
    ],
)
def test_a_broken_rule_file_fails_loudly_naming_the_problem(text: str, message: str) -> None:
    with pytest.raises(SideEffectRuleError, match=message):
        parse_rules(text, KNOWLEDGE)


def test_the_shipped_rule_file_loads() -> None:
    rules = parse_rules(RULES_PATH.read_text(encoding="utf-8"), KNOWLEDGE)
    assert rules.severe.source == "issue-6-side-effects"
    assert rules.serious_rash["carbamazepine"].source == "label-tegretol-rash"


# --- which drugs may be suspected ------------------------------------------------------------

ONSET = D(2026, 6, 1)

# (periods taken: (start, end exclusive or None), expected, why)
EXPOSURES = [
    ([(D(2026, 5, 1), None)], Exposure.TAKING, "still taken"),
    ([(D(2026, 6, 1), None)], Exposure.TAKING, "started on the onset day"),
    ([(D(2026, 6, 2), None)], Exposure.NOT_YET_STARTED, "started the day after the onset"),
    ([], Exposure.NOT_YET_STARTED, "never taken"),
    ([(D(2026, 1, 1), D(2026, 6, 2))], Exposure.TAKING, "last taken on the onset day"),
    ([(D(2026, 1, 1), D(2026, 6, 1))], Exposure.RECENTLY_STOPPED, "stopped the day of the onset"),
    (
        [(D(2026, 1, 1), ONSET - dt.timedelta(days=RECENT_STOP_DAYS))],
        Exposure.RECENTLY_STOPPED,
        "stopped exactly 90 days before: still offered",
    ),
    (
        [(D(2025, 1, 1), ONSET - dt.timedelta(days=RECENT_STOP_DAYS + 1))],
        Exposure.STOPPED_LONG_BEFORE,
        "stopped 91 days before",
    ),
    (
        [(D(2024, 1, 1), D(2024, 6, 1)), (D(2026, 3, 1), D(2026, 5, 1))],
        Exposure.RECENTLY_STOPPED,
        "an old course and a recent one: the recent one counts",
    ),
    (
        [(D(2024, 1, 1), D(2024, 6, 1)), (D(2026, 7, 1), None)],
        Exposure.STOPPED_LONG_BEFORE,
        "an old course, restarted after the onset",
    ),
]


@pytest.mark.parametrize(("periods", "expected", "why"), EXPOSURES)
def test_a_drug_may_be_suspected_only_if_taken_before_the_onset_and_recently(
    periods: list[tuple[dt.date, dt.date | None]], expected: Exposure, why: str
) -> None:
    found = exposure(periods, ONSET)
    assert found is expected, why
    assert found.may_be_suspected is (expected in (Exposure.TAKING, Exposure.RECENTLY_STOPPED))


# --- the timeline marker ---------------------------------------------------------------------


def _started(sequence: int, prescription: int, drug: str, on: dt.date) -> TimelineEvent:
    return TimelineEvent(sequence, EventKind.STARTED, prescription, on, drug, Decimal(50))


def test_timeline_marks_each_suspected_lane_at_the_onset_beside_that_days_events() -> None:
    events = [
        _started(1, 1, "sertraline", D(2026, 1, 10)),
        _started(2, 2, "lamotrigine", D(2026, 3, 1)),
    ]
    marks = [
        SideEffectMark(
            7,
            D(2026, 3, 1),
            ("lamotrigine", "sertraline"),
            "rash",
            "mild",
            "stopped",
            is_urgent=True,
            anchor="side-effect-a",
        ),
        SideEffectMark(
            8,
            D(2026, 2, 1),
            ("sertraline", "clozapine"),
            "nausea",
            "mild",
            "continue",
            anchor="side-effect-b",
        ),
    ]

    layout = timeline_layout(events, today=D(2026, 4, 1), side_effects=marks)

    lanes = {lane.drug: lane for lane in layout.lanes}
    lamotrigine = [(m.kind, m.anchor) for m in lanes["lamotrigine"].markers]
    sertraline = [(m.kind, m.anchor) for m in lanes["sertraline"].markers]
    assert lamotrigine == [("started", ""), ("side_effect_urgent", "side-effect-a")]
    assert sertraline == [
        ("started", ""),
        ("side_effect", "side-effect-b"),
        ("side_effect_urgent", "side-effect-a"),
    ]
    started, urgent = lanes["lamotrigine"].markers
    assert urgent.x == started.x + 8  # the same day's markers sit side by side
    assert urgent.title == (
        "2026-03-01 — Side effect (mild): rash; suspected lamotrigine, sertraline. "
        "Action: stopped. Urgent alert raised."
    )
    assert "clozapine" not in lanes  # a drug without recorded events gets no lane
    assert layout.has_side_effects


def test_a_timeline_without_reports_has_no_side_effect_markers() -> None:
    layout = timeline_layout([_started(1, 1, "sertraline", D(2026, 1, 10))], today=D(2026, 2, 1))
    assert not layout.has_side_effects
