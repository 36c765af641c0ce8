"""Evaluators: their names, what their return values become as metrics, and statistics over them.

An evaluator is ``evaluator(outputs, inputs, ground_truth)``, sync or async, returning a number,
a bool, a string or a dict. As in honeyhive 1.7.0 (`EvaluatorMetricResult`), a scalar is the
metric ``name``; a dict's ``score`` is ``name``, its ``explanation`` is ``name_explanation`` and
its other scalar entries ``name_<key>``; a one-element list stands for its element; None and
values of other types give no metric (run comparison only pairs scalars).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Evaluator",
    "EvaluatorStats",
    "evaluator_name",
    "metrics_of",
    "stats_for",
]

Evaluator = (
    Callable[[Any, dict[str, Any], Any], Any] | Callable[[Any, dict[str, Any], Any], Awaitable[Any]]
)
"""``(outputs, inputs, ground_truth) -> number | bool | str | dict`` (or a coroutine of one)."""

_SCALARS = (bool, int, float, str)


def evaluator_name(evaluator: Callable[..., Any]) -> str:
    """The metric name of an evaluator: its ``name`` attribute, else its ``__name__``."""
    name = getattr(evaluator, "name", None)
    if isinstance(name, str) and name:
        return name
    return str(getattr(evaluator, "__name__", None) or type(evaluator).__name__)


def _scalar(value: Any) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return False  # NaN and infinities are not JSON: the metric would be rejected
    return isinstance(value, _SCALARS)


def metrics_of(name: str, value: Any) -> dict[str, Any]:
    """The session metrics one evaluator's return value gives (empty when it gives none)."""
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if _scalar(value):
        return {name: value}
    if not isinstance(value, Mapping):
        return {}
    metrics: dict[str, Any] = {}
    if "score" in value and _scalar(value["score"]):
        metrics[name] = value["score"]
    explanation = value.get("explanation")
    if explanation is not None:
        metrics[f"{name}_explanation"] = str(explanation)
    for key, extra in value.items():
        if key not in ("score", "explanation") and _scalar(extra):
            metrics[f"{name}_{key}"] = extra
    return metrics


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


@dataclass(frozen=True)
class EvaluatorStats:
    """One evaluator over the datapoints it scored.

    `count` is every score it gave, `judged` the numbers and booleans among them. `passed`
    counts those inside the evaluator's passing range, or the true booleans when it has none;
    it is None when neither applies (numbers without a range).
    """

    name: str
    count: int
    judged: int
    mean: float | None
    min: float | None
    max: float | None
    passed: int | None
    passing_range: Mapping[str, Any] | None = None

    @property
    def pass_rate(self) -> float | None:
        """`passed` over the datapoints scored, if `passed` applies."""
        if self.passed is None or not self.judged:
            return None
        return self.passed / self.judged


def _passes(value: Any, number: float, passing: Mapping[str, Any] | None) -> bool | None:
    if passing:
        low, high = passing.get("min"), passing.get("max")
        return (low is None or number >= low) and (high is None or number <= high)
    return bool(value) if isinstance(value, bool) else None


def stats_for(
    name: str, scores: Iterable[Any], passing_range: Mapping[str, Any] | None = None
) -> EvaluatorStats:
    """Mean, min, max and passes of one evaluator's scores (strings are counted, not averaged)."""
    values = list(scores)
    numbers = [n for n in map(_number, values) if n is not None]
    verdicts = [
        _passes(value, number, passing_range)
        for value, number in zip(values, map(_number, values), strict=True)
        if number is not None
    ]
    known = [v for v in verdicts if v is not None]
    return EvaluatorStats(
        name=name,
        count=len(values),
        judged=len(verdicts),
        mean=sum(numbers) / len(numbers) if numbers else None,
        min=min(numbers) if numbers else None,
        max=max(numbers) if numbers else None,
        passed=sum(known) if known and len(known) == len(verdicts) else None,
        passing_range=passing_range,
    )
