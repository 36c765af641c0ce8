"""The arithmetic of run summaries and comparisons: pure functions over lists of numbers.

Percentiles (``median``, ``p90``, ``p95``, ``p99``) interpolate linearly between the two
closest ranks (numpy's default method), so the median of an even count is the mean of the
middle two. A result that is not a finite number (a sum past the float range) is None: JSON
cannot carry it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..models import AGGREGATE_FUNCTIONS

__all__ = [
    "AGGREGATE_FUNCTIONS",
    "aggregate",
    "difference",
    "metric_number",
    "percentage_change",
    "percentile",
]

_PERCENTILES = {"median": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}


def metric_number(value: object) -> float | None:
    """Return a metric value as a number (a boolean counts 1 or 0), or None if it is not one."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float
            return None
        return number if math.isfinite(number) else None
    return None


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Return the `fraction` (0..1) percentile of ascending, non-empty `ordered` values."""
    rank = fraction * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    weight = rank - low
    result = ordered[low] + (ordered[high] - ordered[low]) * weight
    if not math.isfinite(result):
        # The two values are more than the float range apart (-1e308 and 1e308): the
        # weighted mean of the two is in range, and only loses the last bit elsewhere.
        result = ordered[low] * (1 - weight) + ordered[high] * weight
    return result


def aggregate(values: Sequence[float], function: str) -> float | None:
    """Return `function` of `values`; None for no values (``count`` and ``sum`` give 0).

    Raises:
        ValueError: `function` is not one of `AGGREGATE_FUNCTIONS`.
    """
    if function == "count":
        return float(len(values))
    if function == "sum":
        return _sum(values)
    if function not in AGGREGATE_FUNCTIONS:
        raise ValueError(f"aggregate_function must be one of {AGGREGATE_FUNCTIONS}")
    if not values:
        return None
    if function == "average":
        total = _sum(values)
        return None if total is None else total / len(values)
    if function == "min":
        return min(values)
    if function == "max":
        return max(values)
    return percentile(sorted(values), _PERCENTILES[function])


def difference(old: float, new: float) -> float | None:
    """Return `new` minus `old`; None when that is past the float range (1e308 - -1e308)."""
    return _finite(new - old)


def percentage_change(old: float, new: float) -> float | None:
    """Return how much `new` differs from `old`, in percent of `old`; None when `old` is 0."""
    if old == 0:
        return None
    return _finite((new - old) / abs(old) * 100.0)


def _sum(values: Sequence[float]) -> float | None:
    try:
        return _finite(math.fsum(values))
    except OverflowError:  # fsum's own check on an intermediate sum past the float range
        return None


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
