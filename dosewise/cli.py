"""`dosewise`: the scriptable face of the domain layer (no Django needed).

    dosewise check < case.json          findings for one proposed order, as JSON
    dosewise drugs search TEXT          drugs whose name or brand contains TEXT
    dosewise drugs show NAME            one drug's facts with their sources
    dosewise score phq9 --answers 1,2,0,...
                                        score a rating scale, as one line of JSON
    dosewise plan taper|titrate|switch ...
                                        a taper, titration or switch plan, as JSON

Exit 0 on success; exit 2 with a one-line message on stderr (and nothing on stdout) for bad input;
exit 3 with {"findings": [...]} on stdout when the safety engine refuses a plan.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn

from dosewise.domain.knowledge.export import drug_as_dict
from dosewise.domain.knowledge.loader import UnknownDrug, default_knowledge
from dosewise.domain.plans import Plan, PlanError, PlanRefused, switch, taper, titrate
from dosewise.domain.safety import check
from dosewise.domain.safety.parse import InputError, parse_check_request
from dosewise.domain.scales import (
    Instrument,
    InstrumentError,
    ScoreInputError,
    UnknownInstrument,
    default_instruments,
    load_instruments,
    score_instrument,
)

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")  # not \d: it also matches non-ASCII digits


class UsageError(Exception):
    """Bad input: printed on one line, exit 2."""


class Refused(Exception):
    """A plan the safety engine refuses: findings on stdout, exit 3."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__("refused")
        self.result = result


class _Parser(argparse.ArgumentParser):
    """argparse prints usage lines and exits on bad arguments; we promise one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def _check(_args: argparse.Namespace) -> dict[str, Any]:
    try:
        document = json.loads(sys.stdin.read())
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"malformed JSON on stdin: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    knowledge = default_knowledge()
    try:
        request = parse_check_request(document, knowledge, today=dt.date.today())  # noqa: DTZ011 - the CLI's "today"
    except InputError as exc:
        raise UsageError(str(exc)) from None
    findings = check(request.order, request.medications, request.patient, knowledge, on=request.on)
    titles = {source.id: source.title for source in knowledge.sources.values()}
    return {"findings": [item.as_dict(titles) for item in findings]}


def _drugs_search(args: argparse.Namespace) -> dict[str, Any]:
    found = default_knowledge().search(args.text)
    return {
        "drugs": [
            {"name": drug.name, "class": drug.drug_class, "subclass": drug.subclass}
            for drug in found
        ]
    }


def _drugs_show(args: argparse.Namespace) -> dict[str, Any]:
    try:
        drug = default_knowledge().find(args.name)
    except UnknownDrug as exc:
        raise UsageError(str(exc)) from None
    return {"drug": drug_as_dict(drug)}


def _score(args: argparse.Namespace) -> dict[str, Any]:
    try:
        instruments = (
            load_instruments(extra_dirs=[Path(folder) for folder in args.instruments_dir])
            if args.instruments_dir
            else default_instruments()
        )
        instrument = instruments.get(args.instrument)
    except (InstrumentError, UnknownInstrument) as exc:
        raise UsageError(str(exc)) from None
    answers = _answers(instrument, args.answers)
    threshold = None
    if args.threshold is not None:
        if not _WHOLE_NUMBER.fullmatch(args.threshold.strip()):
            raise UsageError(f"--threshold {args.threshold!r} is not a whole number")
        threshold = int(args.threshold)
    try:
        return score_instrument(instrument, answers, threshold=threshold).as_dict()
    except ScoreInputError as exc:
        raise UsageError(str(exc)) from None


def _answers(instrument: Instrument, text: str) -> list[int | None]:
    """'1,2,0' -> [1, 2, 0]; an empty place is an unanswered item (refused by the scoring)."""
    if not text.strip():
        raise UsageError(f"{instrument.name}: --answers is empty")
    answers: list[int | None] = []
    scored = instrument.scored_items
    for position, piece in enumerate(text.split(","), start=1):
        piece = piece.strip()
        if not piece:
            answers.append(None)
        elif _WHOLE_NUMBER.fullmatch(piece):
            answers.append(int(piece))
        else:
            where = (
                f"item {position} ({scored[position - 1].label})"
                if position <= len(scored)
                else f"answer {position}"
            )
            raise UsageError(f"{instrument.name} {where}: {piece!r} is not a whole number")
    return answers


def _number(value: Decimal) -> int | float:
    """JSON numbers: whole doses as ints, others as their exact decimal value."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _plan_as_dict(plan: Plan) -> dict[str, Any]:
    steps = []
    for step in plan.steps:
        entry: dict[str, Any] = {
            "date": step.on.isoformat(),
            "drug": step.drug,
            "daily_dose_mg": _number(step.daily_dose_mg),
            "take": step.take,
        }
        if step.every_days != 1:
            entry["every_days"] = step.every_days
        steps.append(entry)
    return {"kind": plan.kind, "steps": steps, "notes": list(plan.notes)}


def _mg(option: str, text: str, unit: str = "mg") -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise UsageError(f"{option} {text!r} is not a number ({unit})") from None
    if not value.is_finite() or value <= 0:
        raise UsageError(f"{option} {text!r} must be above 0 {unit}")
    return value


def _date(option: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


def _drug_dose(option: str, text: str) -> tuple[str, Decimal]:
    name, sep, dose = text.rpartition(":")
    if not sep or not name.strip():
        raise UsageError(f"{option} {text!r} must be DRUG:MG, e.g. sertraline:100")
    try:
        return name.strip(), _mg(option, dose)
    except UsageError:
        raise UsageError(f"{option} {text!r} must be DRUG:MG with a dose above 0 mg") from None


def _run_plan(make: Any) -> dict[str, Any]:
    try:
        plan = make()
    except PlanError as exc:
        raise UsageError(str(exc)) from None
    except PlanRefused as exc:
        titles = {source.id: source.title for source in default_knowledge().sources.values()}
        raise Refused({"findings": [item.as_dict(titles) for item in exc.findings]}) from None
    return _plan_as_dict(plan)


def _plan_taper(args: argparse.Namespace) -> dict[str, Any]:
    percent = _mg("--step-percent", args.step_percent, unit="%")
    return _run_plan(
        lambda: taper(
            args.drug,
            from_mg=_mg("--from-mg", args.from_mg),
            start=_date("--start", args.start),
            knowledge=default_knowledge(),
            method=args.method,
            step_percent=percent,
            interval_days=args.interval_days,
        )
    )


def _plan_titrate(args: argparse.Namespace) -> dict[str, Any]:
    return _run_plan(
        lambda: titrate(
            args.drug,
            to_mg=_mg("--to-mg", args.to_mg),
            start=_date("--start", args.start),
            knowledge=default_knowledge(),
            from_mg=_mg("--from-mg", args.from_mg) if args.from_mg is not None else None,
            step_mg=_mg("--step-mg", args.step_mg) if args.step_mg is not None else None,
            interval_days=args.interval_days,
            with_drugs=tuple(args.with_drugs),
        )
    )


def _plan_switch(args: argparse.Namespace) -> dict[str, Any]:
    from_drug, from_mg = _drug_dose("--from", args.from_drug)
    to_drug, to_mg = _drug_dose("--to", args.to_drug)
    return _run_plan(
        lambda: switch(
            from_drug,
            from_mg,
            to_drug,
            to_mg,
            start=_date("--start", args.start),
            knowledge=default_knowledge(),
            strategy=args.strategy,
        )
    )


def _add_plan_commands(commands: Any) -> None:
    plan = commands.add_parser(
        "plan",
        help="plan a taper, titration or switch (JSON)",
        description="Print a plan as JSON; exit 3 with the findings if the safety engine refuses it.",
    )
    kinds = plan.add_subparsers(dest="plan_command", required=True)
    down = kinds.add_parser("taper", help="taper a drug to zero")
    down.add_argument("--drug", required=True)
    down.add_argument("--from-mg", required=True, help="current daily dose in mg")
    down.add_argument("--start", required=True, help="date of the first reduction (YYYY-MM-DD)")
    down.add_argument("--method", choices=("hyperbolic", "linear"), default="hyperbolic")
    down.add_argument("--step-percent", default="25", help="reduction per step, percent")
    down.add_argument("--interval-days", type=int, default=14)
    down.set_defaults(run=_plan_taper)
    up = kinds.add_parser("titrate", help="titrate a drug up to a target dose")
    up.add_argument("--drug", required=True)
    up.add_argument("--to-mg", required=True, help="target daily dose in mg")
    up.add_argument("--start", required=True, help="date of the first step (YYYY-MM-DD)")
    up.add_argument("--from-mg", help="current daily dose, if already taking it")
    up.add_argument("--step-mg", help="largest step in mg (default: the label's)")
    up.add_argument("--interval-days", type=int, help="days between steps (default: the label's)")
    up.add_argument(
        "--with",
        dest="with_drugs",
        action="append",
        default=[],
        metavar="DRUG",
        help="another drug taken alongside (e.g. valproate); repeatable",
    )
    up.set_defaults(run=_plan_titrate)
    move = kinds.add_parser("switch", help="switch from one drug to another")
    move.add_argument("--from", dest="from_drug", required=True, metavar="DRUG:MG")
    move.add_argument("--to", dest="to_drug", required=True, metavar="DRUG:MG")
    move.add_argument("--start", required=True, help="first day of the switch (YYYY-MM-DD)")
    move.add_argument(
        "--strategy", choices=("cross-taper", "taper-then-switch", "direct"), default="cross-taper"
    )
    move.set_defaults(run=_plan_switch)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dosewise", description="Dosewise domain tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="check one order (JSON on stdin)").set_defaults(run=_check)
    drugs = commands.add_parser("drugs", help="look up the drug knowledge base")
    drug_commands = drugs.add_subparsers(dest="drugs_command", required=True)
    search = drug_commands.add_parser("search", help="find drugs by name or brand")
    search.add_argument("text")
    search.set_defaults(run=_drugs_search)
    show = drug_commands.add_parser("show", help="show one drug's facts")
    show.add_argument("name")
    show.set_defaults(run=_drugs_show)
    scale = commands.add_parser(
        "score",
        help="score a rating scale (PHQ-9, GAD-7, ASRS, PCL-5, AIMS, ASQ...)",
        description="Score one administration; prints one line of JSON.",
    )
    scale.add_argument(
        "instrument", help="phq9, phq2, gad7, gad2, asrs, pcl5, aims or asq (or a clinic's own)"
    )
    scale.add_argument(
        "--answers",
        required=True,
        help="the scored items' values in order, comma-separated; yes/no as 1/0",
    )
    scale.add_argument(
        "--threshold", help="cut-off for a positive screen where adjustable (pcl5: default 33)"
    )
    scale.add_argument(
        "--instruments-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="also load a clinic's instrument files from DIR (repeatable)",
    )
    scale.set_defaults(run=_score, compact=True)
    _add_plan_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        result = args.run(args)
    except UsageError as exc:
        print(f"dosewise: {exc}", file=sys.stderr)
        return 2
    except Refused as exc:
        print(json.dumps(exc.result, indent=2, ensure_ascii=False))
        return 3
    indent = None if getattr(args, "compact", False) else 2
    print(json.dumps(result, indent=indent, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
