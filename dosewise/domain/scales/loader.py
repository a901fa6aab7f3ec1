"""Load and validate rating-scale definitions; fail loudly on anything malformed.

Files: `instruments/<id>.toml`, one instrument each (format in `docs/rating-scales.md`). A clinic
may add instruments it holds a licence for (for example the C-SSRS, whose items Dosewise must not
ship) by passing further directories; such a file may not reuse a shipped id. Loading reads files,
so it happens once per process (`default_instruments()` caches it); scoring receives the loaded
value.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dosewise.domain.scales.model import (
    FLAGS,
    Band,
    Condition,
    Flag,
    Instrument,
    Item,
    Option,
    Rule,
    Scoring,
    TotalKind,
    Wording,
)

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"

_ID = re.compile(r"[a-z][a-z0-9_]*")
_LOINC = re.compile(r"(\d{1,7})-(\d)")
_LOINC_ANSWER = re.compile(r"LA\d{1,8}-\d")


class InstrumentError(Exception):
    """An instrument file is malformed; the message names the file, item and field."""


class UnknownInstrument(LookupError):
    """An instrument id that is not loaded; never scored as anything."""

    def __init__(self, instrument_id: str, known: Sequence[str]) -> None:
        self.instrument_id = instrument_id
        super().__init__(f"unknown instrument {instrument_id!r}; one of {', '.join(known)}")


@dataclass(frozen=True)
class Instruments:
    """The loaded instruments by id."""

    by_id: Mapping[str, Instrument]

    def get(self, instrument_id: str) -> Instrument:
        try:
            return self.by_id[instrument_id]
        except KeyError:
            raise UnknownInstrument(instrument_id, sorted(self.by_id)) from None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(sorted(self.by_id))


def _fail(where: str, message: str) -> InstrumentError:
    return InstrumentError(f"{where}: {message}")


def _check_keys(where: str, table: object, allowed: Iterable[str]) -> Mapping[str, Any]:
    if not isinstance(table, dict):
        raise _fail(where, "must be a table")
    unknown = set(table) - set(allowed)
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(sorted(unknown))}")
    return table


def _text(where: str, table: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise _fail(where, f"{key} must be text")
    if required and not value.strip():
        raise _fail(where, f"{key} is required")
    return value.strip()


def _int(where: str, value: object, what: str) -> int:
    # TOML booleans are not numbers here: `true` for a threshold is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"{what} must be a whole number, got {value!r}")
    return value


def _ints(where: str, value: object, what: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(where, f"{what} must be a non-empty list of item numbers")
    numbers = tuple(_int(where, number, what) for number in value)
    if len(set(numbers)) != len(numbers):
        raise _fail(where, f"{what} lists an item twice")
    return numbers


def loinc_check_digit(number: str) -> int:
    """LOINC's mod-10 check digit: double every other digit from the right, add the digits."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            digit = digit // 10 + digit % 10
        total += digit
    return (10 - total % 10) % 10


def _loinc(where: str, table: Mapping[str, Any], key: str) -> str:
    """A LOINC term code, with its check digit verified: a typo must not reach an export."""
    code = _text(where, table, key, required=False)
    if not code:
        return ""
    match = _LOINC.fullmatch(code)
    if match is None:
        raise _fail(where, f"{key} {code!r} is not a LOINC code (NNNNN-N)")
    if loinc_check_digit(match.group(1)) != int(match.group(2)):
        raise _fail(where, f"{key} {code!r} has a wrong check digit")
    return code


def _options(path: str, raw: object) -> dict[str, tuple[Option, ...]]:
    if not isinstance(raw, dict):
        raise _fail(f"{path}: options", "must be a table of named option lists")
    sets: dict[str, tuple[Option, ...]] = {}
    for name, entries in raw.items():
        where = f"{path}: options.{name}"
        if not isinstance(entries, list) or not entries:
            raise _fail(where, "must be a non-empty list of options")
        options = []
        for position, entry in enumerate(entries):
            entry_where = f"{where}[{position}]"
            entry = _check_keys(entry_where, entry, ("value", "label", "loinc"))
            answer_code = _text(entry_where, entry, "loinc", required=False)
            if answer_code and not _LOINC_ANSWER.fullmatch(answer_code):
                raise _fail(
                    entry_where, f"loinc {answer_code!r} is not a LOINC answer code (LA...)"
                )
            options.append(
                Option(
                    value=_int(entry_where, entry.get("value"), "value"),
                    label=_text(entry_where, entry, "label"),
                    loinc=answer_code,
                )
            )
        values = [option.value for option in options]
        if values != sorted(set(values)):
            raise _fail(where, "values must be distinct and ascending")
        sets[name] = tuple(options)
    return sets


_ITEM_KEYS = ("number", "label", "text", "options", "scored", "section", "hint", "loinc")


def _item(
    where: str, raw: object, options: Mapping[str, tuple[Option, ...]], wording: Wording
) -> Item:
    table = _check_keys(where, raw, _ITEM_KEYS)
    option_set = _text(where, table, "options")
    if option_set not in options:
        raise _fail(where, f"options {option_set!r} is not defined under [options]")
    scored = table.get("scored", True)
    if not isinstance(scored, bool):
        raise _fail(where, "scored must be true or false")
    text = _text(where, table, "text", required=wording is Wording.VERBATIM)
    if text and wording is Wording.NOT_EMBEDDED:
        raise _fail(where, "text given, but the instrument's wording is not-embedded")
    return Item(
        number=_int(where, table.get("number"), "number"),
        label=_text(where, table, "label"),
        text=text,
        options=options[option_set],
        scored=scored,
        section=_text(where, table, "section", required=False),
        hint=_text(where, table, "hint", required=False),
        loinc=_loinc(where, table, "loinc"),
    )


def _check_items(path: str, items: Sequence[Item]) -> None:
    if not items:
        raise _fail(path, "no items")
    numbers = [item.number for item in items]
    if numbers != list(range(1, len(items) + 1)):
        raise _fail(path, f"items must be numbered 1..{len(items)} in order, got {numbers}")
    scored = [item.number for item in items if item.scored]
    # score() takes answers in order and names each by its number, so the scored items must be
    # the first ones: answer k is item k.
    if not scored or scored != list(range(1, len(scored) + 1)):
        raise _fail(path, "scored items must come first (items 1..n), unscored ones after them")


def _condition(
    where: str, raw: object, items: Sequence[Item], total_range: tuple[int, int]
) -> Condition:
    table = _check_keys(where, raw, ("items", "at_least", "count"))
    at_least = _int(where, table.get("at_least"), "at_least")
    if "items" not in table:
        if "count" in table:
            raise _fail(where, "count applies to items, not to the total")
        low, high = total_range
        if not low < at_least <= high:
            raise _fail(where, f"total cut-off {at_least} must be within {low + 1}-{high}")
        return Condition(at_least=at_least)
    numbers = _scored_numbers(where, table["items"], items, "items")
    count = _int(where, table.get("count", 1), "count")
    if not 1 <= count <= len(numbers):
        raise _fail(where, f"count {count} must be between 1 and {len(numbers)}")
    for number in numbers:
        values = items[number - 1].values
        # A threshold at or below the lowest answer always holds; above the highest, never.
        if not min(values) < at_least <= max(values):
            raise _fail(
                where,
                f"at_least {at_least} can never separate answers to item {number} "
                f"({min(values)}-{max(values)})",
            )
    return Condition(at_least=at_least, items=numbers, count=count)


def _scored_numbers(where: str, raw: object, items: Sequence[Item], what: str) -> tuple[int, ...]:
    numbers = _ints(where, raw, what)
    for number in numbers:
        if not 1 <= number <= len(items) or not items[number - 1].scored:
            raise _fail(where, f"{what}: item {number} is not a scored item")
    return numbers


def _rule(
    where: str,
    raw: object,
    items: Sequence[Item],
    total_range: tuple[int, int],
    extra_keys: tuple[str, ...],
) -> Rule:
    table = _check_keys(where, raw, ("match", "conditions", *extra_keys))
    match = _text(where, table, "match")
    if match not in ("any", "all"):
        raise _fail(where, f"match {match!r} must be 'any' or 'all'")
    conditions = table.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        raise _fail(where, "conditions must be a non-empty list")
    return Rule(
        match=match,
        conditions=tuple(
            _condition(f"{where}.conditions[{position}]", condition, items, total_range)
            for position, condition in enumerate(conditions)
        ),
    )


_SCORING_KEYS = ("total", "total_items", "total_label", "count", "bands", "positive", "flag")


def _scoring(path: str, raw: object, items: Sequence[Item]) -> Scoring:
    where = f"{path}: scoring"
    table = _check_keys(where, raw, _SCORING_KEYS)
    kind_name = _text(where, table, "total")
    try:
        kind = TotalKind(kind_name)
    except ValueError:
        raise _fail(where, f"total {kind_name!r} must be 'sum' or 'count'") from None
    thresholds: list[tuple[int, int]] = []
    if kind is TotalKind.SUM:
        if "count" in table:
            raise _fail(where, "count belongs to total = 'count'")
        total_items = _scored_numbers(where, table.get("total_items"), items, "total_items")
        total_min = sum(min(items[number - 1].values) for number in total_items)
        total_max = sum(max(items[number - 1].values) for number in total_items)
    else:
        if "total_items" in table:
            raise _fail(where, "total = 'count' takes its items from count = [...]")
        groups = table.get("count")
        if not isinstance(groups, list) or not groups:
            raise _fail(where, "total = 'count' needs count = [{ items = [...], at_least = N }]")
        for position, group in enumerate(groups):
            group_where = f"{where}.count[{position}]"
            group = _check_keys(group_where, group, ("items", "at_least"))
            if "items" not in group:
                raise _fail(group_where, "items is required")
            condition = _condition(group_where, group, items, (0, 0))
            thresholds.extend((number, condition.at_least) for number in condition.items)
        total_items = tuple(number for number, _ in thresholds)
        if len(set(total_items)) != len(total_items):
            raise _fail(where, "count lists an item twice")
        total_min, total_max = 0, len(total_items)
    total_range = (total_min, total_max)
    positive = None
    adjustable = False
    if "positive" in table:
        positive = _rule(
            f"{where}.positive", table["positive"], items, total_range, ("adjustable_threshold",)
        )
        adjustable = table["positive"].get("adjustable_threshold", False)
        if not isinstance(adjustable, bool):
            raise _fail(f"{where}.positive", "adjustable_threshold must be true or false")
        if adjustable and (len(positive.conditions) != 1 or not positive.conditions[0].on_total):
            raise _fail(
                f"{where}.positive", "adjustable_threshold needs a single total cut-off condition"
            )
    return Scoring(
        total_kind=kind,
        total_items=total_items,
        count_thresholds=tuple(thresholds),
        total_min=total_min,
        total_max=total_max,
        total_label=_text(where, table, "total_label", required=False),
        bands=_bands(where, table.get("bands", []), total_range),
        positive=positive,
        adjustable_threshold=adjustable,
        flags=_flags(where, table.get("flag", []), items, total_range),
    )


def _bands(where: str, raw: object, total_range: tuple[int, int]) -> tuple[Band, ...]:
    if not isinstance(raw, list):
        raise _fail(where, "bands must be a list")
    bands = []
    for position, entry in enumerate(raw):
        band_where = f"{where}.bands[{position}]"
        entry = _check_keys(band_where, entry, ("low", "high", "label"))
        band = Band(
            low=_int(band_where, entry.get("low"), "low"),
            high=_int(band_where, entry.get("high"), "high"),
            label=_text(band_where, entry, "label"),
        )
        if band.low > band.high:
            raise _fail(band_where, "low is above high")
        bands.append(band)
    if not bands:
        return ()
    # Every possible total falls in exactly one band: no gap, no overlap, nothing outside.
    expected = total_range[0]
    for band in bands:
        if band.low != expected:
            raise _fail(where, f"band {band.label!r} starts at {band.low}, expected {expected}")
        expected = band.high + 1
    if expected - 1 != total_range[1]:
        raise _fail(where, f"bands end at {expected - 1}, the total goes to {total_range[1]}")
    labels = [band.label for band in bands]
    if len(set(labels)) != len(labels):
        raise _fail(where, "band labels must be distinct")
    return tuple(bands)


def _flags(
    where: str, raw: object, items: Sequence[Item], total_range: tuple[int, int]
) -> tuple[Flag, ...]:
    if not isinstance(raw, list):
        raise _fail(where, "flag must be a list of [[scoring.flag]] tables")
    flags = []
    for position, entry in enumerate(raw):
        flag_where = f"{where}.flag[{position}]"
        if not isinstance(entry, dict):
            raise _fail(flag_where, "must be a table")
        name = _text(flag_where, entry, "name")
        if name not in FLAGS:
            raise _fail(flag_where, f"flag {name!r} is not one of {', '.join(FLAGS)}")
        rule = _rule(flag_where, entry, items, total_range, ("name",))
        flags.append(Flag(name=name, rule=rule))
    names = [flag.name for flag in flags]
    if len(set(names)) != len(names):
        raise _fail(where, "a flag is defined twice")
    return tuple(flags)


_INSTRUMENT_KEYS = (
    "id",
    "name",
    "title",
    "version",
    "wording",
    "wording_note",
    "copyright",
    "licence",
    "source",
    "wording_source",
    "verification",
    "recall_period",
    "stem",
    "instructions",
    "loinc",
    "total_loinc",
)


@dataclass(frozen=True)
class _Parsed:
    path: Path
    header: Mapping[str, Any]
    wording: Wording
    items: tuple[Item, ...]
    items_from: tuple[str, tuple[int, ...]] | None
    scoring: object


def _parse(path: Path) -> _Parsed:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path.name, f"not valid TOML: {exc}") from None
    _check_keys(path.name, raw, ("instrument", "options", "item", "items_from", "scoring"))
    where = f"{path.name}: instrument"
    header = _check_keys(where, raw.get("instrument"), _INSTRUMENT_KEYS)
    instrument_id = _text(where, header, "id")
    if not _ID.fullmatch(instrument_id):
        raise _fail(where, f"id {instrument_id!r} must be lower-case letters, digits, _")
    if instrument_id != path.stem:
        raise _fail(where, f"id {instrument_id!r} must match the file name {path.stem!r}")
    for key in ("name", "title", "version", "copyright", "licence", "source", "verification"):
        _text(where, header, key)
    wording_name = _text(where, header, "wording")
    try:
        wording = Wording(wording_name)
    except ValueError:
        raise _fail(
            where, f"wording {wording_name!r} must be 'verbatim' or 'not-embedded'"
        ) from None
    if wording is Wording.NOT_EMBEDDED:
        _text(where, header, "wording_note")
    else:
        _text(where, header, "wording_source")
    if "scoring" not in raw:
        raise _fail(path.name, "[scoring] is required")
    if "items_from" in raw:
        if "item" in raw or "options" in raw:
            raise _fail(
                path.name, "items_from replaces [[item]] and [options]; give one or the other"
            )
        source = _check_keys(f"{path.name}: items_from", raw["items_from"], ("instrument", "items"))
        items_from = (
            _text(f"{path.name}: items_from", source, "instrument"),
            _ints(f"{path.name}: items_from", source.get("items"), "items"),
        )
        return _Parsed(path, header, wording, (), items_from, raw["scoring"])
    options = _options(path.name, raw.get("options", {}))
    entries = raw.get("item", [])
    if not isinstance(entries, list):
        raise _fail(path.name, "items must be [[item]] tables")
    items = tuple(
        _item(f"{path.name}: item[{position}]", entry, options, wording)
        for position, entry in enumerate(entries)
    )
    _check_items(path.name, items)
    return _Parsed(path, header, wording, items, None, raw["scoring"])


def _borrow(
    parsed: _Parsed, items_from: tuple[str, tuple[int, ...]], by_id: Mapping[str, _Parsed]
) -> tuple[Item, ...]:
    """The PHQ-2 is the PHQ-9's first two items: copy them, so the wording cannot drift."""
    parent_id, numbers = items_from
    parent = by_id.get(parent_id)
    where = f"{parsed.path.name}: items_from"
    if parent is None:
        raise _fail(where, f"instrument {parent_id!r} is not defined")
    if parent.items_from is not None:
        raise _fail(where, f"{parent_id!r} is itself derived; name the original instrument")
    if parent.wording is not parsed.wording:
        raise _fail(where, f"wording must match {parent_id!r} ({parent.wording.value})")
    if numbers != tuple(range(1, len(numbers) + 1)):
        # Answers are positional: the derived scale must be the parent's first items in order.
        raise _fail(where, "items must be the parent's first items, 1..n in order")
    if len(numbers) > len(parent.items) or not all(
        parent.items[number - 1].scored for number in numbers
    ):
        raise _fail(where, f"items {list(numbers)} are not scored items of {parent_id!r}")
    return tuple(parent.items[number - 1] for number in numbers)


def _build(parsed: _Parsed, items: tuple[Item, ...], origin: str) -> Instrument:
    header = parsed.header
    where = f"{parsed.path.name}: instrument"
    return Instrument(
        id=_text(where, header, "id"),
        name=_text(where, header, "name"),
        title=_text(where, header, "title"),
        version=_text(where, header, "version"),
        wording=parsed.wording,
        wording_note=_text(where, header, "wording_note", required=False),
        copyright=_text(where, header, "copyright"),
        licence=_text(where, header, "licence"),
        source=_text(where, header, "source"),
        wording_source=_text(where, header, "wording_source", required=False),
        verification=_text(where, header, "verification"),
        recall_period=_text(where, header, "recall_period", required=False),
        stem=_text(where, header, "stem", required=False),
        instructions=_text(where, header, "instructions", required=False),
        loinc=_loinc(where, header, "loinc"),
        total_loinc=_loinc(where, header, "total_loinc"),
        items=items,
        scoring=_scoring(parsed.path.name, parsed.scoring, items),
        derived_from=parsed.items_from[0] if parsed.items_from else "",
        origin=origin,
    )


def _read_directory(directory: Path) -> list[_Parsed]:
    if not directory.is_dir():
        raise InstrumentError(f"{directory}: not a directory")
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        raise InstrumentError(f"{directory}: no instrument files (*.toml)")
    return [_parse(path) for path in paths]


def load_instruments(
    directory: Path = INSTRUMENTS_DIR, *, extra_dirs: Sequence[Path] = ()
) -> Instruments:
    """Read and validate every instrument file; raise InstrumentError naming the first problem.

    `extra_dirs` hold a clinic's own instrument files (licensed scales); they may derive from a
    shipped instrument but never replace one.
    """
    parsed: dict[str, _Parsed] = {}
    origins: dict[str, str] = {}
    for index, folder in enumerate((directory, *extra_dirs)):
        for entry in _read_directory(folder):
            instrument_id = entry.path.stem
            if instrument_id in parsed:
                raise _fail(
                    str(entry.path),
                    f"instrument {instrument_id!r} is already defined by {parsed[instrument_id].path}",
                )
            parsed[instrument_id] = entry
            origins[instrument_id] = "shipped" if index == 0 else str(entry.path)
    built: dict[str, Instrument] = {}
    for instrument_id, entry in sorted(parsed.items()):
        items = _borrow(entry, entry.items_from, parsed) if entry.items_from else entry.items
        built[instrument_id] = _build(entry, items, origins[instrument_id])
    return Instruments(by_id=built)


@functools.cache
def default_instruments() -> Instruments:
    """The shipped instruments, loaded once per process."""
    return load_instruments()
