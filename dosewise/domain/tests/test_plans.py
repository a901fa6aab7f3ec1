"""Planners (issue 7): tapers end at zero in steps the forms can give and no larger than allowed,
hyperbolic steps shrink, lamotrigine follows its label schedules, switches keep the washouts and
never contain a contraindicated day; `dosewise plan` keeps its JSON and exit-code contract."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dosewise.cli import main
from dosewise.domain.knowledge.loader import default_knowledge
from dosewise.domain.knowledge.model import Drug, Tag
from dosewise.domain.plans import Plan, PlanError, PlanRefused, PlanStep, switch, taper, titrate
from dosewise.domain.plans.doses import concentration_mg_per_ml, usable_forms, ways_for_form
from dosewise.domain.plans.taper import max_reduction_mg
from dosewise.domain.safety import Medication, Order, PatientFacts, Severity, check

KNOWLEDGE = default_knowledge()
START = dt.date(2026, 12, 1)
D = Decimal
TAPERABLE = sorted(
    name for name, drug in KNOWLEDGE.drugs.items() if drug.dosing is not None and usable_forms(drug)
)
_PIECE = re.compile(r"(1/2|\d+) (tablet|capsule)s? of ([0-9.]+) mg")
_LIQUID = re.compile(r"^([0-9.]+) mL of the (.+) \(([0-9.]+) mg\)")


def given_by_wording(drug: Drug, step: PlanStep) -> bool:
    """Independent of the planner: the patient wording adds up to the dose, with real strengths
    (halves only of plain tablets) or a real liquid's concentration."""
    assert drug.dosing is not None
    liquid = _LIQUID.match(step.take)
    if liquid:
        form = next(f for f in drug.dosing.forms if f.form == liquid.group(2))
        concentration = concentration_mg_per_ml(form)
        assert concentration is not None
        return D(liquid.group(1)) * concentration == step.daily_dose_mg == D(liquid.group(3))
    strengths = {s for form in drug.dosing.forms for s in form.strengths_mg}
    total = D(0)
    for count, noun, strength in _PIECE.findall(step.take):
        if D(strength) not in strengths:
            return False
        if count == "1/2":
            if noun != "tablet":
                return False
            total += D(strength) / 2
        else:
            total += int(count) * D(strength)
    return total == step.daily_dose_mg


def doses_for(name: str) -> list[Decimal]:
    drug = KNOWLEDGE.drugs[name]
    assert drug.dosing is not None
    ceiling = drug.dosing.label_max_mg_per_day or D(2400)
    found = {dose for form in usable_forms(drug) for dose in ways_for_form(form)}
    return sorted(dose for dose in found if dose <= ceiling)


@st.composite
def tapers(draw: st.DrawFn) -> tuple[Drug, Plan, str, Decimal, Decimal, int]:
    name = draw(st.sampled_from(TAPERABLE))
    drug = KNOWLEDGE.drugs[name]
    from_mg = draw(st.sampled_from(doses_for(name)))
    method = draw(st.sampled_from(["hyperbolic", "linear"]))
    percent = D(draw(st.integers(1, 50)))
    interval = draw(st.integers(1, 42))
    try:
        plan = taper(
            name,
            from_mg=from_mg,
            start=START,
            knowledge=KNOWLEDGE,
            method=method,
            step_percent=percent,
            interval_days=interval,
        )
    except PlanError as exc:
        # Only refusals the planner documents: benzodiazepine limits and too many steps.
        assert str(exc).startswith(("method:", "step_percent:")), exc
        assume(False)
        raise
    return drug, plan, method, from_mg, percent, interval


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(tapers())
def test_taper_ends_at_zero_with_one_stop(
    case: tuple[Drug, Plan, str, Decimal, Decimal, int],
) -> None:
    drug, plan, *_ = case
    assert plan.kind == "taper"
    assert plan.steps[-1].daily_dose_mg == 0
    assert plan.steps[-1].take == "stop"
    assert all(step.daily_dose_mg > 0 for step in plan.steps[:-1])
    assert all(step.drug == drug.name for step in plan.steps)


@FAST
@given(tapers())
def test_taper_doses_fall_at_the_interval(
    case: tuple[Drug, Plan, str, Decimal, Decimal, int],
) -> None:
    _, plan, _, from_mg, _, interval = case
    doses = [from_mg] + [step.daily_dose_mg for step in plan.steps]
    assert all(later < earlier for earlier, later in zip(doses, doses[1:], strict=False))
    dates = [step.on for step in plan.steps]
    assert dates[0] == START
    assert all((b - a).days == interval for a, b in zip(dates, dates[1:], strict=False))


@FAST
@given(tapers())
def test_every_taper_dose_is_given_by_available_strengths(
    case: tuple[Drug, Plan, str, Decimal, Decimal, int],
) -> None:
    drug, plan, *_ = case
    for step in plan.steps[:-1]:
        assert given_by_wording(drug, step), step


@FAST
@given(tapers())
def test_taper_steps_stay_within_the_maximum_reduction(
    case: tuple[Drug, Plan, str, Decimal, Decimal, int],
) -> None:
    """Except the last step to zero, and steps the strengths force (no dose in between), which
    the notes must name."""
    drug, plan, method, from_mg, percent, interval = case
    current = from_mg
    forced_note = " ".join(plan.notes)
    for step in plan.steps[:-1]:
        allowed = max_reduction_mg(
            method,
            from_mg,
            current,
            percent,
            interval_days=interval,
            benzodiazepine=drug.has(Tag.BENZODIAZEPINE_LIKE),
        )
        reduction = current - step.daily_dose_mg
        if reduction > allowed:
            assert _nothing_between(drug, step.daily_dose_mg, current), step
            assert f"-> {step.daily_dose_mg.normalize():f} mg" in forced_note
        current = step.daily_dose_mg


def _nothing_between(drug: Drug, low: Decimal, high: Decimal) -> bool:
    return not any(low < dose < high for form in usable_forms(drug) for dose in ways_for_form(form))


@FAST
@given(tapers())
def test_hyperbolic_steps_shrink(case: tuple[Drug, Plan, str, Decimal, Decimal, int]) -> None:
    """Each step is no larger than the one before, unless it is the smallest step the forms
    allow (the next dose down)."""
    drug, plan, method, from_mg, *_ = case
    assume(method == "hyperbolic")
    doses = [from_mg] + [step.daily_dose_mg for step in plan.steps[:-1]]
    for before, current, after in zip(doses, doses[1:], doses[2:], strict=False):
        assert current - after <= before - current or _nothing_between(drug, after, current), doses


def test_benzodiazepine_taper_never_exceeds_25_percent_in_two_weeks() -> None:
    """ASAM 2025: typically no more than 25 % every 2 weeks; the planner refuses faster."""
    with pytest.raises(PlanError, match="^step_percent:"):
        taper("alprazolam", from_mg=D(2), start=START, knowledge=KNOWLEDGE, interval_days=7)
    with pytest.raises(PlanError, match="^method:"):
        taper("lorazepam", from_mg=D(2), start=START, knowledge=KNOWLEDGE, method="linear")
    plan = taper("clonazepam", from_mg=D(2), start=START, knowledge=KNOWLEDGE, step_percent=D(10))
    assert any("equivalence tables disagree" in note for note in plan.notes)
    assert any("ASAM" in note for note in plan.notes)


def test_sertraline_hyperbolic_taper_uses_the_liquid_for_small_doses() -> None:
    plan = taper("sertraline", from_mg=D(100), start=START, knowledge=KNOWLEDGE)
    assert [step.daily_dose_mg for step in plan.steps] == [
        75,
        D("62.5"),
        50,
        D("37.5"),
        30,
        24,
        18,
        14,
        12,
        10,
        8,
        6,
        0,
    ]
    assert plan.steps[4].take == "1.5 mL of the oral concentrate (20 mg/mL) (30 mg) a day"


def test_linear_taper_takes_equal_steps() -> None:
    plan = taper("sertraline", from_mg=D(100), start=START, knowledge=KNOWLEDGE, method="linear")
    assert [(s.on, s.daily_dose_mg) for s in plan.steps] == [
        (dt.date(2026, 12, 1), 75),
        (dt.date(2026, 12, 15), 50),
        (dt.date(2026, 12, 29), 25),
        (dt.date(2027, 1, 12), 0),
    ]


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"from_mg": D(0)}, "from_mg"),
        ({"from_mg": D(100), "method": "cliff"}, "method"),
        ({"from_mg": D(100), "step_percent": D(80)}, "step_percent"),
        ({"from_mg": D(100), "interval_days": 0}, "interval_days"),
    ],
)
def test_taper_names_the_bad_parameter(kwargs: dict[str, object], parameter: str) -> None:
    with pytest.raises(PlanError, match=f"^{parameter}:"):
        taper("sertraline", start=START, knowledge=KNOWLEDGE, **kwargs)  # type: ignore[arg-type]


# Lamotrigine schedules: brief §2.2 Table A row 20 (alone), §3.2 I-11 (valproate), I-12 (inducer).
@pytest.mark.parametrize(
    ("with_drugs", "to_mg", "expected"),
    [
        ((), D(200), [(0, 25, 1), (14, 50, 1), (28, 100, 1), (35, 200, 1)]),
        (("valproate",), D(100), [(0, 25, 2), (14, 25, 1), (28, 50, 1), (35, 100, 1)]),
        (
            ("carbamazepine",),
            D(400),
            [(0, 50, 1), (14, 100, 1), (28, 200, 1), (35, 300, 1), (42, 400, 1)],
        ),
        ((), D(150), [(0, 25, 1), (14, 50, 1), (28, 100, 1), (35, 150, 1)]),
    ],
)
def test_lamotrigine_follows_the_label_schedule(
    with_drugs: tuple[str, ...], to_mg: Decimal, expected: list[tuple[int, int, int]]
) -> None:
    plan = titrate(
        "lamotrigine", to_mg=to_mg, start=START, knowledge=KNOWLEDGE, with_drugs=with_drugs
    )
    assert [((s.on - START).days, s.daily_dose_mg, s.every_days) for s in plan.steps] == expected
    assert any("unverified" in note for note in plan.notes)


def test_lamotrigine_with_valproate_never_above_100() -> None:
    with pytest.raises(PlanError, match="^to_mg:.*100"):
        titrate(
            "lamotrigine", to_mg=D(200), start=START, knowledge=KNOWLEDGE, with_drugs=("valproate",)
        )


def test_titration_never_above_the_label_maximum() -> None:
    with pytest.raises(PlanError, match="^to_mg:"):
        titrate("sertraline", to_mg=D(250), start=START, knowledge=KNOWLEDGE)


def test_titration_uses_the_label_step_and_interval() -> None:
    plan = titrate("sertraline", to_mg=D(150), start=START, knowledge=KNOWLEDGE)
    assert [((s.on - START).days, s.daily_dose_mg) for s in plan.steps] == [
        (0, 50),
        (7, 100),
        (14, 150),
    ]
    slower = titrate(
        "sertraline",
        to_mg=D(100),
        start=START,
        knowledge=KNOWLEDGE,
        from_mg=D(50),
        step_mg=D(25),
        interval_days=14,
    )
    assert [((s.on - START).days, s.daily_dose_mg) for s in slower.steps] == [(0, 75), (14, 100)]


@pytest.mark.parametrize(
    ("from_drug", "from_mg", "to_drug", "gap_days", "source"),
    [
        ("sertraline", D(100), "phenelzine", 14, "brief §3.3 (14 days)"),
        ("fluoxetine", D(20), "phenelzine", 35, "APA 2010: 5 weeks after fluoxetine"),
        ("phenelzine", D(45), "sertraline", 14, "APA 2010: 14 days after an MAOI"),
    ],
)
def test_taper_then_switch_keeps_the_washout(
    from_drug: str, from_mg: Decimal, to_drug: str, gap_days: int, source: str
) -> None:
    plan = switch(
        from_drug,
        from_mg,
        to_drug,
        D(45) if to_drug == "phenelzine" else D(100),
        start=START,
        knowledge=KNOWLEDGE,
        strategy="taper-then-switch",
    )
    stop = next(s.on for s in plan.steps if s.drug == from_drug and s.daily_dose_mg == 0)
    first = min(s.on for s in plan.steps if s.drug == to_drug)
    assert (first - stop).days == gap_days, source


def test_cross_taper_into_an_maoi_is_refused() -> None:
    with pytest.raises(PlanRefused) as refused:
        switch("sertraline", D(100), "phenelzine", D(45), start=START, knowledge=KNOWLEDGE)
    assert refused.value.findings
    assert all(f.severity is Severity.CONTRAINDICATED for f in refused.value.findings)
    assert "cross-taper-with-maoi" in {f.code for f in refused.value.findings}


def test_cross_taper_overlaps_the_two_drugs() -> None:
    plan = switch("escitalopram", D(20), "sertraline", D(100), start=START, knowledge=KNOWLEDGE)
    assert plan.kind == "switch"
    on_start = {s.drug: s.daily_dose_mg for s in plan.steps if s.on == START}
    assert on_start == {"escitalopram": 15, "sertraline": 50}
    assert plan.steps[-1].daily_dose_mg == 0 or plan.steps[-1].drug == "sertraline"


SWITCH_DRUGS = [
    "sertraline",
    "fluoxetine",
    "paroxetine",
    "escitalopram",
    "venlafaxine",
    "duloxetine",
    "mirtazapine",
    "bupropion",
    "phenelzine",
    "tranylcypromine",
    "isocarboxazid",
    "quetiapine",
    "aripiprazole",
    "lithium carbonate",
    "alprazolam",
    "clonazepam",
    "vortioxetine",
    "amitriptyline",
    "linezolid",
    "trazodone",
]


def _course(steps: tuple[PlanStep, ...], drug: Drug, taking_before: bool) -> list[Medication]:
    own = [s for s in steps if s.drug == drug.name]
    meds = []
    for index, step in enumerate(own):
        stop = own[index + 1].on if index + 1 < len(own) else None
        if step.daily_dose_mg == 0:
            continue
        begin = None if taking_before and index == 0 else step.on
        meds.append(Medication(drug, step.daily_dose_mg, start=begin, stop=stop))
    if taking_before and own and own[0].daily_dose_mg == 0:
        meds.append(Medication(drug, None, start=None, stop=own[0].on))
    return meds


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SWITCH_DRUGS),
    st.sampled_from(SWITCH_DRUGS),
    st.sampled_from(["cross-taper", "taper-then-switch", "direct"]),
)
def test_no_switch_plan_contains_a_contraindicated_day(a: str, b: str, strategy: str) -> None:
    assume(a != b)
    drug_a, drug_b = KNOWLEDGE.find(a), KNOWLEDGE.find(b)
    assert drug_a.dosing is not None and drug_b.dosing is not None
    try:
        plan = switch(
            a,
            drug_a.dosing.start_mg_per_day,
            b,
            drug_b.dosing.start_mg_per_day,
            start=START,
            knowledge=KNOWLEDGE,
            strategy=strategy,
        )
    except PlanRefused as refused:
        assert refused.findings
        assert all(f.severity is Severity.CONTRAINDICATED for f in refused.findings)
        return
    except PlanError:
        return
    if strategy == "cross-taper":
        assert not (drug_a.has(Tag.MAOI) or drug_b.has(Tag.MAOI))
    course_a = _course(plan.steps, drug_a, taking_before=True)
    course_b = _course(plan.steps, drug_b, taking_before=False)
    last = plan.steps[-1].on
    day = START
    while day <= last:
        for drug, own, other in ((drug_a, course_a, course_b), (drug_b, course_b, course_a)):
            taking = [m for m in own if m.is_active(day) and m.dose_mg]
            for med in taking:
                order = Order(drug, med.dose_mg or D(0), start=day)
                findings = check(order, other, PatientFacts(), KNOWLEDGE, on=day)
                assert not [f for f in findings if f.severity is Severity.CONTRAINDICATED], (
                    day,
                    drug.name,
                    findings,
                )
        day += dt.timedelta(days=1)


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["plan", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_prints_a_taper(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(
        capsys, "taper", "--drug", "sertraline", "--from-mg", "100", "--start", "2026-12-01"
    )
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["steps"][0] == {
        "date": "2026-12-01",
        "drug": "sertraline",
        "daily_dose_mg": 75,
        "take": "1 tablet of 50 mg and 1 tablet of 25 mg a day",
    }
    assert document["steps"][1]["daily_dose_mg"] == 62.5
    assert document["steps"][-1]["daily_dose_mg"] == 0
    assert document["notes"]


def test_cli_titrate_with_valproate_shows_every_other_day(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _cli(
        capsys,
        "titrate",
        "--drug",
        "lamotrigine",
        "--to-mg",
        "100",
        "--start",
        "2026-12-01",
        "--with",
        "valproate",
    )
    assert code == 0
    steps = json.loads(out)["steps"]
    assert steps[0]["every_days"] == 2
    assert "every_days" not in steps[1]


def test_cli_switch(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(
        capsys,
        "switch",
        "--from",
        "escitalopram:20",
        "--to",
        "sertraline:100",
        "--start",
        "2026-12-01",
    )
    assert code == 0
    assert {step["drug"] for step in json.loads(out)["steps"]} == {"escitalopram", "sertraline"}


def test_cli_refused_plan_exits_3_with_findings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(
        capsys,
        "switch",
        "--from",
        "sertraline:100",
        "--to",
        "phenelzine:45",
        "--start",
        "2026-12-01",
        "--strategy",
        "cross-taper",
    )
    assert (code, err) == (3, "")
    findings = json.loads(out)["findings"]
    assert findings and all(f["severity"] == "contraindicated" for f in findings)


@pytest.mark.parametrize(
    "args",
    [
        ["taper", "--drug", "sertralin", "--from-mg", "100", "--start", "2026-12-01"],
        ["taper", "--drug", "sertraline", "--from-mg", "lots", "--start", "2026-12-01"],
        ["taper", "--drug", "sertraline", "--from-mg", "100", "--start", "12/01/2026"],
        [
            "taper",
            "--drug",
            "sertraline",
            "--from-mg",
            "100",
            "--start",
            "2026-12-01",
            "--step-percent",
            "90",
        ],
        [
            "taper",
            "--drug",
            "alprazolam",
            "--from-mg",
            "2",
            "--start",
            "2026-12-01",
            "--interval-days",
            "7",
        ],
        ["titrate", "--drug", "sertraline", "--to-mg", "400", "--start", "2026-12-01"],
        ["switch", "--from", "sertraline", "--to", "phenelzine:45", "--start", "2026-12-01"],
        ["switch", "--from", "sertraline:100", "--to", "sertraline:50", "--start", "2026-12-01"],
        ["plan-nothing"],
    ],
)
def test_cli_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, out, err = _cli(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.startswith("dosewise: ") and err.count("\n") == 1


@FAST
@given(st.data())
def test_titration_rises_to_the_target_within_the_step_and_maximum(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(TAPERABLE))
    drug = KNOWLEDGE.drugs[name]
    assert drug.dosing is not None
    to_mg = data.draw(st.sampled_from(doses_for(name)))
    assume(drug.dosing.titration_step_mg > 0 and drug.dosing.titration_interval_days > 0)
    assume(name != "lamotrigine")
    try:
        plan = titrate(name, to_mg=to_mg, start=START, knowledge=KNOWLEDGE)
    except PlanError as exc:
        assert str(exc).startswith(("to_mg:", "step_mg:")), exc
        return
    doses = [step.daily_dose_mg for step in plan.steps]
    assert doses[-1] == to_mg
    assert all(a < b for a, b in zip(doses, doses[1:], strict=False))
    assert all(
        b - a <= drug.dosing.titration_step_mg for a, b in zip(doses, doses[1:], strict=False)
    )
    if drug.dosing.label_max_mg_per_day:
        assert max(doses) <= drug.dosing.label_max_mg_per_day
