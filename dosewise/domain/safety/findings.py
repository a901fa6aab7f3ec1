"""What a safety rule returns: a finding that says what, why, what to do, and on whose word."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(Enum):
    CONTRAINDICATED = "contraindicated"
    MAJOR = "major"
    MODERATE = "moderate"
    MINOR = "minor"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 is the most severe."""
        return list(Severity).index(self)


@dataclass(frozen=True)
class Finding:
    code: str  # stable, documented in docs/safety-rules.md
    severity: Severity
    drugs: tuple[str, ...]  # canonical generic names, sorted
    message: str  # plain language: what is wrong
    mechanism: str  # why
    action: str  # what to do
    source: str  # source id from the knowledge base

    def sort_key(self) -> tuple[int, str, tuple[str, ...]]:
        return (self.severity.rank, self.code, self.drugs)

    def as_dict(self, source_titles: dict[str, str] | None = None) -> dict[str, object]:
        titles = source_titles or {}
        return {
            "code": self.code,
            "severity": self.severity.value,
            "drugs": list(self.drugs),
            "message": self.message,
            "mechanism": self.mechanism,
            "action": self.action,
            "source": titles.get(self.source, self.source),
        }


def finding(
    code: str,
    severity: Severity,
    drugs: tuple[str, ...] | list[str],
    *,
    message: str,
    mechanism: str,
    action: str,
    source: str,
) -> Finding:
    return Finding(code, severity, tuple(sorted(set(drugs))), message, mechanism, action, source)
