"""Knowledge values as JSON-ready dicts (for the CLI and the API)."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from enum import Enum
from typing import Any

from dosewise.domain.knowledge.model import Drug


def plain(value: Any) -> Any:
    """Decimals become numbers, enums their values, sets sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, frozenset | set):
        return sorted(plain(item) for item in value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def drug_as_dict(drug: Drug) -> dict[str, Any]:
    data: dict[str, Any] = plain(asdict(drug))
    data["washout_days"] = drug.washout_days
    return data
