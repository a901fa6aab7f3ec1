"""Follow-up visit rules (issue 6): table-driven, each row naming the source of its answer,
with the day moved forward ("time travel") to watch a visit go from due to booked or overdue."""

from __future__ import annotations

import datetime as dt

import pytest

from dosewise.domain.followup import (
    BOOKED,
    DUE,
    OVERDUE,
    FollowUpDue,
    FollowUpFacts,
    FollowUpRuleError,
    RegimenChange,
    Visit,
    default_rules,
    follow_ups_due,
    parse_rules,
)
from dosewise.domain.knowledge.loader import default_knowledge
from dosewise.domain.knowledge.model import Verification

START = dt.date(2026, 3, 2)
NICE = "nice-depression-followup"
ISSUE = "issue-6-followup"


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


def started(
    kind: str = "started", drug_class: str = "antidepressant", on: int = 0
) -> RegimenChange:
    return RegimenChange(day(on), kind, drug_class)


def fulfilled(on: int) -> Visit:
    return Visit(day(on), "fulfilled")


def booked(on: int) -> Visit:
    return Visit(day(on), "booked")


def due(facts: FollowUpFacts) -> list[tuple[str, dt.date, str]]:
    return [(item.rule_id, item.due_by, item.status) for item in follow_ups_due(facts)]


# (case, facts, expected [(rule, due by, status)], source of the expected answer)
CASES = [
    (
        "antidepressant start, adult: first visit within 2 weeks",
        FollowUpFacts(today=day(10), age=40, regimen_changes=(started(),)),
        [("antidepressant-change", day(14), DUE)],
        "brief §4.9 / NICE CG90-NG222: within 2 weeks",
    ),
    (
        "antidepressant start, adult, no visit by day 14: overdue on day 15",
        FollowUpFacts(today=day(15), age=40, regimen_changes=(started(),)),
        [("antidepressant-change", day(14), OVERDUE)],
        "issue 6: no appointment by the due date shows as overdue",
    ),
    (
        "on the due day itself it is still due, not overdue",
        FollowUpFacts(today=day(14), age=40, regimen_changes=(started(),)),
        [("antidepressant-change", day(14), DUE)],
        "issue 6: overdue only once the due date has passed",
    ),
    (
        "antidepressant dose change counts like a start",
        FollowUpFacts(today=day(1), age=40, regimen_changes=(started("dose_changed"),)),
        [("antidepressant-change", day(14), DUE)],
        "brief §4.9: after start/dose change",
    ),
    (
        "switch onto an antidepressant counts like a start",
        FollowUpFacts(today=day(1), age=40, regimen_changes=(started("switched"),)),
        [("antidepressant-change", day(14), DUE)],
        "issue 6: starting or changing an antidepressant",
    ),
    (
        "age 24: first visit within 1 week",
        FollowUpFacts(today=day(1), age=24, regimen_changes=(started(),)),
        [("antidepressant-change", day(7), DUE)],
        "issue 6: 1 week if under 25",
    ),
    (
        "age 25: first visit within 1 week",
        FollowUpFacts(today=day(1), age=25, regimen_changes=(started(),)),
        [("antidepressant-change", day(7), DUE)],
        "brief §4.9 / NICE: 1 week if aged 18-25 (25 inclusive)",
    ),
    (
        "age 26: within 2 weeks",
        FollowUpFacts(today=day(1), age=26, regimen_changes=(started(),)),
        [("antidepressant-change", day(14), DUE)],
        "brief §4.9: the 1-week window is for 18-25",
    ),
    (
        "positive suicide item before the start: within 1 week",
        FollowUpFacts(
            today=day(1), age=40, regimen_changes=(started(),), positive_suicide_items=(day(-3),)
        ),
        [("antidepressant-change", day(7), DUE)],
        "issue 6 / brief §4.9: 1 week with a positive suicide item (raised suicide risk)",
    ),
    (
        "a positive suicide item years ago still counts (the source sets no expiry)",
        FollowUpFacts(
            today=day(1), age=40, regimen_changes=(started(),), positive_suicide_items=(day(-800),)
        ),
        [("antidepressant-change", day(7), DUE)],
        "brief §4.9: raised suicide risk, no time limit given",
    ),
    (
        "an upcoming appointment inside the window: booked",
        FollowUpFacts(today=day(5), age=40, regimen_changes=(started(),), visits=(booked(12),)),
        [("antidepressant-change", day(14), BOOKED)],
        "issue 6: booked when an appointment exists in the window",
    ),
    (
        "an upcoming appointment after the due date does not cover it",
        FollowUpFacts(today=day(5), age=40, regimen_changes=(started(),), visits=(booked(20),)),
        [("antidepressant-change", day(14), DUE)],
        "issue 6: the visit must be within 2 weeks",
    ),
    (
        "a visit on the day of the start is the prescribing visit, not the follow-up",
        FollowUpFacts(today=day(3), age=40, regimen_changes=(started(),), visits=(fulfilled(0),)),
        [("antidepressant-change", day(14), DUE)],
        "brief §4.9: first follow-up after the start",
    ),
    (
        "a past appointment never marked arrived does not count as seen",
        FollowUpFacts(today=day(16), age=40, regimen_changes=(started(),), visits=(booked(10),)),
        [("antidepressant-change", day(14), OVERDUE)],
        "issue 6: overdue unless seen; an unmarked past booking proves nothing",
    ),
    (
        "first visit held on day 10: next within 4 weeks of it",
        FollowUpFacts(today=day(20), age=40, regimen_changes=(started(),), visits=(fulfilled(10),)),
        [("antidepressant-change", day(38), DUE)],
        "brief §4.9 / NICE: then every 2-4 weeks for the first 3 months",
    ),
    (
        "a late first visit still satisfies it; the next counts from that visit",
        FollowUpFacts(today=day(25), age=40, regimen_changes=(started(),), visits=(fulfilled(20),)),
        [("antidepressant-change", day(48), DUE)],
        "brief §4.9: every 2-4 weeks (from the last visit)",
    ),
    (
        "second visit missed: overdue 4 weeks after the first",
        FollowUpFacts(today=day(40), age=40, regimen_changes=(started(),), visits=(fulfilled(10),)),
        [("antidepressant-change", day(38), OVERDUE)],
        "brief §4.9: at most 4 weeks apart in the first 3 months",
    ),
    (
        "after 3 months of visits the early phase ends; maintenance every 3 months follows",
        FollowUpFacts(
            today=day(80),
            age=40,
            regimen_changes=(started(),),
            on_psychotropic=True,
            visits=(fulfilled(10), fulfilled(38), fulfilled(66)),
        ),
        [("stable-maintenance", day(156), DUE)],
        "brief §4.9 (first 3 months) then issue 6 (stable maintenance every 3 months)",
    ),
    (
        "a later dose change restarts the rule",
        FollowUpFacts(
            today=day(31),
            age=40,
            regimen_changes=(started(), started("dose_changed", on=30)),
            visits=(fulfilled(10),),
        ),
        [("antidepressant-change", day(44), DUE)],
        "brief §4.9: within 2 weeks after a dose change",
    ),
    (
        "discontinuing an antidepressant is not a start or change the rule names",
        FollowUpFacts(today=day(1), age=40, regimen_changes=(started("discontinued"),)),
        [],
        "issue 6 names starting or changing; nothing invented for stopping",
    ),
    (
        "a change dated after today is not followed yet",
        FollowUpFacts(today=day(1), age=40, regimen_changes=(started(on=5),)),
        [],
        "rules run on events that happened",
    ),
    (
        "stimulant start: within 1-2 weeks (overdue after 2)",
        FollowUpFacts(today=day(15), age=30, regimen_changes=(started(drug_class="stimulant"),)),
        [("stimulant-change", day(14), OVERDUE)],
        "issue 6: stimulant start or dose change within 1-2 weeks",
    ),
    (
        "stimulant dose change, visit booked on day 9",
        FollowUpFacts(
            today=day(2),
            age=30,
            regimen_changes=(started("dose_changed", "stimulant"),),
            visits=(booked(9),),
        ),
        [("stimulant-change", day(14), BOOKED)],
        "issue 6; brief §4.7 (BP/HR at each change)",
    ),
    (
        "stimulant visit held: nothing more from that rule; maintenance next",
        FollowUpFacts(
            today=day(12),
            age=30,
            regimen_changes=(started(drug_class="stimulant"),),
            on_psychotropic=True,
            visits=(fulfilled(10),),
        ),
        [("stable-maintenance", day(100), DUE)],
        "issue 6: stimulant 1-2 weeks, then stable maintenance every 3 months",
    ),
    (
        "a non-stimulant ADHD drug is not a stimulant",
        FollowUpFacts(
            today=day(1), age=30, regimen_changes=(started(drug_class="adhd_nonstimulant"),)
        ),
        [],
        "issue 6 names stimulants only (knowledge class 'stimulant')",
    ),
    (
        "urgent alert: within 1 week",
        FollowUpFacts(today=day(3), age=40, urgent_alerts=(day(0),)),
        [("urgent-alert", day(7), DUE)],
        "issue 6: after an urgent alert within 1 week",
    ),
    (
        "urgent alert, no visit in a week: overdue",
        FollowUpFacts(today=day(8), age=40, urgent_alerts=(day(0),)),
        [("urgent-alert", day(7), OVERDUE)],
        "issue 6",
    ),
    (
        "urgent alert followed by a visit two days later: done",
        FollowUpFacts(today=day(8), age=40, urgent_alerts=(day(0),), visits=(fulfilled(2),)),
        [],
        "issue 6",
    ),
    (
        "antidepressant start and an alert: both listed, soonest first",
        FollowUpFacts(today=day(2), age=40, regimen_changes=(started(),), urgent_alerts=(day(1),)),
        [("urgent-alert", day(8), DUE), ("antidepressant-change", day(14), DUE)],
        "issue 6 (alert 1 week) and brief §4.9 (antidepressant 2 weeks)",
    ),
    (
        "stable maintenance: 3 months after the last visit",
        FollowUpFacts(
            today=day(200),
            age=50,
            regimen_changes=(started(drug_class="mood_stabilizer", on=-400),),
            on_psychotropic=True,
            visits=(fulfilled(100),),
        ),
        [("stable-maintenance", day(190), OVERDUE)],
        "issue 6: stable maintenance every 3 months",
    ),
    (
        "maintenance visit booked within the 3 months",
        FollowUpFacts(
            today=day(150),
            age=50,
            regimen_changes=(started(drug_class="antipsychotic", on=-400),),
            on_psychotropic=True,
            visits=(fulfilled(100), booked(160)),
        ),
        [("stable-maintenance", day(190), BOOKED)],
        "issue 6",
    ),
    (
        "no psychotropic: no maintenance visit",
        FollowUpFacts(today=day(200), age=50, visits=(fulfilled(10),)),
        [],
        "issue 6: maintenance is for patients on medication",
    ),
]


@pytest.mark.parametrize(("case", "facts", "expected", "source"), CASES, ids=[c[0] for c in CASES])
def test_follow_up_rules(
    case: str, facts: FollowUpFacts, expected: list[tuple[str, dt.date, str]], source: str
) -> None:
    assert due(facts) == expected, source


def test_time_travel_from_due_to_overdue_to_booked_to_next_visit() -> None:
    """One antidepressant start, watched day by day."""
    change = (started(),)
    assert due(FollowUpFacts(today=day(0), age=40, regimen_changes=change)) == [
        ("antidepressant-change", day(14), DUE)
    ]
    assert due(FollowUpFacts(today=day(15), age=40, regimen_changes=change)) == [
        ("antidepressant-change", day(14), OVERDUE)
    ]
    # The front desk books a (late) visit for day 18: still overdue, the window has passed.
    late = (booked(18),)
    assert due(FollowUpFacts(today=day(16), age=40, regimen_changes=change, visits=late)) == [
        ("antidepressant-change", day(14), OVERDUE)
    ]
    # Day 18, the patient arrives: the next visit is due 4 weeks later.
    seen = (Visit(day(18), "arrived"),)
    assert due(FollowUpFacts(today=day(18), age=40, regimen_changes=change, visits=seen)) == [
        ("antidepressant-change", day(46), DUE)
    ]


def test_result_carries_reason_source_citation_and_verification() -> None:
    [item] = follow_ups_due(
        FollowUpFacts(today=day(1), age=40, regimen_changes=(started(),), visits=(booked(9),))
    )
    assert item == FollowUpDue(
        due_by=day(14),
        reason="Follow-up after an antidepressant start or dose change",
        rule_id="antidepressant-change",
        source=NICE,
        status=BOOKED,
        trigger_on=START,
        drug_class="antidepressant",
        citation="brief §4.9, NICE CG90/NG222",
        verification=Verification.UNVERIFIED,
        booked_on=day(9),
    )
    assert item.days_overdue(day(20)) == 6
    assert item.days_overdue(day(10)) == 0


def test_every_rule_names_a_known_source_and_knowledge_base_classes() -> None:
    knowledge = default_knowledge()
    classes = {drug.drug_class for drug in knowledge.drugs.values()}
    rules = default_rules()
    assert [rule.id for rule in rules] == [
        "antidepressant-change",
        "stimulant-change",
        "urgent-alert",
        "stable-maintenance",
    ]
    for rule in rules:
        assert rule.source in knowledge.sources
        assert rule.drug_classes <= classes, rule.id
    assert {rule.source for rule in rules} == {NICE, ISSUE}


GOOD = """
[[rule]]
id = "r"
trigger = "regimen"
drug_classes = ["antidepressant"]
event_kinds = ["started"]
within_days = 14
reason = "x"
source = "s"
citation = "c"
verification = "unverified"
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rule]\n", "not valid TOML"),
        ("", "no rules"),
        ("[other]\nx = 1\n", "only [[rule]]"),
        (GOOD.replace('reason = "x"', 'reason = "x"\nextra = 1'), "unknown field(s) extra"),
        (GOOD.replace('"regimen"', '"weekly"'), "trigger 'weekly'"),
        (GOOD.replace('["started"]', '["begun"]'), "unknown event kind(s) begun"),
        (GOOD.replace('drug_classes = ["antidepressant"]\n', ""), "needs drug_classes"),
        (GOOD.replace('source = "s"', 'source = "nowhere"'), "source 'nowhere'"),
        (GOOD.replace("within_days = 14", "within_days = -1"), "within_days must be"),
        (GOOD.replace("within_days = 14", 'within_days = "14"'), "within_days must be"),
        (GOOD.replace("within_days = 14\n", ""), "within_days is required"),
        (GOOD.replace('"unverified"', '"probably"'), "verification must be"),
        (
            GOOD.replace("within_days = 14", "within_days = 14\nthen_every_days = 28"),
            "needs for_days",
        ),
        (
            GOOD.replace("within_days = 14", "within_days = 7\nwithin_days_higher_risk = 14"),
            "must not exceed",
        ),
        (GOOD + GOOD, "duplicate rule id"),
    ],
)
def test_rule_file_errors_name_the_rule_and_field(text: str, message: str) -> None:
    with pytest.raises(FollowUpRuleError, match=None) as caught:
        parse_rules(text, source_ids={"s"})
    assert message in str(caught.value)


def test_a_valid_rule_file_parses() -> None:
    [rule] = parse_rules(GOOD, source_ids={"s"})
    assert (rule.id, rule.within_days, rule.drug_classes) == (
        "r",
        14,
        frozenset({"antidepressant"}),
    )
