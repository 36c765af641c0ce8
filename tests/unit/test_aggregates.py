"""The local server's run arithmetic: aggregate functions, percentiles, changes, metric values."""

from __future__ import annotations

import pytest

from honeyhive_async.server.aggregates import (
    AGGREGATE_FUNCTIONS,
    aggregate,
    difference,
    metric_number,
    percentage_change,
    percentile,
)

VALUES = [4.0, 1.0, 3.0, 2.0]


@pytest.mark.parametrize(
    ("function", "values", "expected"),
    [
        ("average", VALUES, 2.5),
        ("min", VALUES, 1.0),
        ("max", VALUES, 4.0),
        ("median", VALUES, 2.5),  # even count: the mean of the middle two
        ("median", [5.0, 1.0, 3.0], 3.0),
        ("p90", VALUES, 3.7),  # rank 0.9 * 3 = 2.7: 3 + 0.7 * (4 - 3)
        ("p95", VALUES, 3.85),
        ("p99", VALUES, 3.97),
        ("p90", [7.0], 7.0),
        ("sum", VALUES, 10.0),
        ("count", VALUES, 4.0),
        ("average", [], None),
        ("median", [], None),
        ("min", [], None),
        ("sum", [], 0.0),
        ("count", [], 0.0),
        ("sum", [1e308, 1e308], None),  # past the float range: JSON cannot carry inf
        ("average", [1e308, 1e308], None),
        ("sum", [0.1] * 10, 1.0),  # fsum: exact where a running sum drifts
        # Two values further apart than the float range still have a percentile in it.
        ("median", [1e308, -1e308], 0.0),
        ("p90", [-1.7e308, 1.7e308], 1.36e308),
    ],
)
def test_aggregate(function: str, values: list[float], expected: float | None) -> None:
    result = aggregate(values, function)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_every_spec_function_is_computed() -> None:
    assert set(AGGREGATE_FUNCTIONS) == {
        "average",
        "min",
        "max",
        "median",
        "p90",
        "p95",
        "p99",
        "sum",
        "count",
    }
    for function in AGGREGATE_FUNCTIONS:
        assert aggregate([1.0, 2.0], function) is not None


def test_an_unknown_function_is_rejected() -> None:
    with pytest.raises(ValueError, match="aggregate_function"):
        aggregate([1.0], "mode")


@pytest.mark.parametrize(
    ("ordered", "fraction", "expected"),
    [([1.0, 2.0, 3.0, 4.0, 5.0], 0.5, 3.0), ([1.0, 2.0], 0.0, 1.0), ([1.0, 2.0], 1.0, 2.0)],
)
def test_percentile(ordered: list[float], fraction: float, expected: float) -> None:
    assert percentile(ordered, fraction) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [(2.0, 3.0, 50.0), (4.0, 1.0, -75.0), (-2.0, -1.0, 50.0), (0.0, 1.0, None), (1.0, 1.0, 0.0)],
)
def test_percentage_change(old: float, new: float, expected: float | None) -> None:
    assert percentage_change(old, new) == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [(2.0, 3.0, 1.0), (3.0, 2.0, -1.0), (-1.7e308, 1.7e308, None), (1.7e308, -1.7e308, None)],
)
def test_difference(old: float, new: float, expected: float | None) -> None:
    assert difference(old, new) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1.0),
        (0.5, 0.5),
        (True, 1.0),
        (False, 0.0),
        ("1", None),
        (None, None),
        ([1], None),
        (10**400, None),
        (float("nan"), None),
    ],
)
def test_metric_number(value: object, expected: float | None) -> None:
    assert metric_number(value) == expected
