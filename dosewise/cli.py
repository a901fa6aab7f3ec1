"""`dosewise`: the scriptable face of the domain layer (no Django needed).

    dosewise check < case.json          findings for one proposed order, as JSON
    dosewise drugs search TEXT          drugs whose name or brand contains TEXT
    dosewise drugs show NAME            one drug's facts with their sources

Exit 0 on success; exit 2 with a one-line message on stderr for bad input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import Any

from dosewise.domain.knowledge.export import drug_as_dict
from dosewise.domain.knowledge.loader import UnknownDrug, default_knowledge
from dosewise.domain.safety import check
from dosewise.domain.safety.parse import InputError, parse_check_request


class UsageError(Exception):
    """Bad input: printed on one line, exit 2."""


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dosewise", description="Dosewise domain tools.")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result = args.run(args)
    except UsageError as exc:
        print(f"dosewise: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
