"""What a gate run found: per expectation, and per suite (passed / warned / failed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PASSED, WARNED, FAILED = "passed", "warned", "failed"
SAMPLE_ROWS = 5
WHOLE_TABLE = "whole table"


@dataclass
class ExpectationOutcome:
    gate: str  # meta.gate: the short name people read
    expectation_type: str
    blocking: bool  # GX severity critical
    success: bool
    observed_value: Any = None
    unexpected_count: int | None = None
    sample_rows: list[dict[str, Any]] = field(default_factory=list)  # key columns only
    error: str | None = None  # the expectation could not be evaluated


@dataclass
class SuiteOutcome:
    suite_name: str
    layer: str
    asset_key_path: tuple[str, str]
    expectations: list[ExpectationOutcome]
    scope: str = WHOLE_TABLE  # the rows validated: the whole table, or what a run could have changed

    @property
    def failed_errors(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if not e.success and e.blocking]

    @property
    def failed_warnings(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if not e.success and not e.blocking]

    @property
    def status(self) -> str:
        if self.failed_errors:
            return FAILED
        return WARNED if self.failed_warnings else PASSED

    def failing_names(self) -> list[str]:
        return [e.gate for e in (*self.failed_errors, *self.failed_warnings)]
