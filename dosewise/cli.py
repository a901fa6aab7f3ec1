"""`dosewise`: the scriptable face of the domain layer (no Django needed).

    dosewise check < case.json          findings for one proposed order, as JSON
    dosewise drugs search TEXT          drugs whose name or brand contains TEXT
    dosewise drugs show NAME            one drug's facts with their sources
    dosewise score phq9 --answers 1,2,0,...
                                        score a rating scale, as one line of JSON

Exit 0 on success; exit 2 with a one-line message on stderr (and nothing on stdout) for bad input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from dosewise.domain.knowledge.export import drug_as_dict
from dosewise.domain.knowledge.loader import UnknownDrug, default_knowledge
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        result = args.run(args)
    except UsageError as exc:
        print(f"dosewise: {exc}", file=sys.stderr)
        return 2
    indent = None if getattr(args, "compact", False) else 2
    print(json.dumps(result, indent=indent, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
