"""Thresholds of `eval/thresholds.toml`: `[targets.<mode>]` (what the issue asks for, shown in reports)
and `[gate.<mode>]` (what CI enforces). Keys are `min_<metric>`, `max_<metric>` or `<metric>` (exact)."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from assistant.errors import InputError
from assistant.evaluation.metrics import METRICS, Value
from assistant.settings import PROJECT_ROOT

THRESHOLDS = PROJECT_ROOT / "eval" / "thresholds.toml"
Kind = Literal["targets", "gate"]
_SYMBOL = {"min": ">=", "max": "<=", "exact": "="}


@dataclass(frozen=True)
class Threshold:
    metric: str
    op: Literal["min", "max", "exact"]
    value: float

    def met(self, measured: Value) -> bool:
        """Whether a measured value passes; n/a never passes, since a gated metric must be measured."""
        if measured is None:
            return False
        if self.op == "min":
            return measured >= self.value
        if self.op == "max":
            return measured <= self.value
        return math.isclose(measured, self.value, abs_tol=1e-9)

    def __str__(self) -> str:
        return f"{_SYMBOL[self.op]} {self.value:g}"


def load_thresholds(kind: Kind, mode: str, path: Path = THRESHOLDS, suite: str = "seeds") -> dict[str, Threshold]:
    """The `[kind.mode]` table (the tune split, `seeds`) or `[kind.<suite>.mode]` (another split) by metric name;
    empty when the table is absent. Unknown metrics are an error."""
    tables = tomllib.loads(path.read_text(encoding="utf-8")).get(kind, {})
    table = (tables if suite == "seeds" else tables.get(suite, {})).get(mode, {})
    found: dict[str, Threshold] = {}
    for key, value in table.items():
        threshold = _parse(key, value)
        if threshold.metric not in METRICS:
            raise InputError(f"{path}: [{kind}.{mode}] ({suite}) {key}: no metric named {threshold.metric!r}")
        found[threshold.metric] = threshold
    return found


def _parse(key: str, value: object) -> Threshold:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise InputError(f"threshold {key} must be a number, not {value!r}")
    prefix, _, rest = key.partition("_")
    if prefix == "min":
        return Threshold(rest, "min", float(value))
    if prefix == "max":
        return Threshold(rest, "max", float(value))
    return Threshold(key, "exact", float(value))
