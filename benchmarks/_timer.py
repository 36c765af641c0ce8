"""A tiny timer: contenders sampled round-robin so noisy periods hit every contender alike.

A contender is a callable returning one sample (seconds per operation, or any number the case
defines). Every round runs each contender once, after a `gc.collect()`; the result is the list
of samples per contender, summarised by `stats` (median, min, max, quartiles).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

Sample = Callable[[], float]
AsyncSample = Callable[[], Awaitable[float]]

perf = time.perf_counter


def interleave(
    contenders: Mapping[str, Sample], rounds: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Run `warmup` untimed rounds, then `rounds` rounds of one sample per contender."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for r in range(warmup + rounds):
        for name, sample in contenders.items():
            gc.collect()
            value = sample()
            if r >= warmup:
                samples[name].append(value)
    return samples


async def ainterleave(
    contenders: Mapping[str, AsyncSample], rounds: int, warmup: int = 1
) -> dict[str, list[float]]:
    """`interleave` for contenders that run inside the event loop."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for r in range(warmup + rounds):
        for name, sample in contenders.items():
            gc.collect()
            value = await sample()
            if r >= warmup:
                samples[name].append(value)
    return samples


def loops_for(fn: Callable[[], object], target: float, cap: int = 10_000_000) -> int:
    """How many calls of `fn` take about `target` seconds (at least 1)."""
    n = 1
    while n < cap:
        t0 = perf()
        for _ in range(n):
            fn()
        if perf() - t0 >= target / 10:
            break
        n *= 10
    elapsed = max(perf() - t0, 1e-9)
    return max(1, min(cap, int(n * target / elapsed)))


def stats(values: list[float]) -> dict[str, Any]:
    """Median, spread (min, max, quartiles) and count of a list of samples."""
    ordered = sorted(values)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return {
        "median": statistics.median(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "q1": q1,
        "q3": q3,
        "n": len(ordered),
    }


def summarize(samples: Mapping[str, list[float]]) -> dict[str, dict[str, Any]]:
    """`stats` for every contender."""
    return {name: stats(values) for name, values in samples.items()}
