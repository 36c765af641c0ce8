"""What the service case's ``--profile`` reads inside a service: its collector's work, its threads.

Installed in the service process only when profiling (`install`): a `gc.callbacks` clock that
counts collections per generation and times them by the thread they ran on (a collection runs
on whichever thread's allocation crossed the threshold, so the exporter thread can pay for the
app's garbage and the other way round), and the threads' CPU seconds and context switches from
``/proc`` (a switch per wake-up of a thread, per wait for the GIL, per hand-off). `snapshot` is
served at ``/_probe``; `per_request` turns two snapshots into figures per request.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from typing import Any

from .servers import stat_cpu_seconds

__all__ = ["install", "per_request", "snapshot"]

_perf = time.perf_counter


class GcClock:
    """A `gc.callbacks` entry: collections per generation, seconds in them per thread."""

    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.seconds: dict[str, list[float]] = {"main": [0.0] * 3, "other": [0.0] * 3}
        self.collected = [0, 0, 0]
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = _perf()
            return
        gen = info["generation"]
        main = threading.current_thread() is threading.main_thread()
        self.seconds["main" if main else "other"][gen] += _perf() - self._t0
        self.collections[gen] += 1
        self.collected[gen] += info["collected"]


_clock: GcClock | None = None


def install() -> None:
    """Start counting (once)."""
    global _clock
    if _clock is None:
        _clock = GcClock()
        gc.callbacks.append(_clock)


def _thread_stats(native_id: int) -> dict[str, float]:
    base = f"/proc/self/task/{native_id}"
    try:
        cpu_s = stat_cpu_seconds(f"{base}/stat")
        with open(f"{base}/status") as f:
            status = dict(line.split(":", 1) for line in f if "ctxt_switches" in line)
    except OSError:  # the thread ended
        return {}
    return {
        "cpu_s": cpu_s,
        "voluntary": int(status["voluntary_ctxt_switches"]),
        "involuntary": int(status["nonvoluntary_ctxt_switches"]),
    }


def snapshot() -> dict[str, Any]:
    """The counters as they stand (JSON-safe)."""
    threads: dict[str, dict[str, float]] = {}
    for thread in threading.enumerate():
        if thread.native_id is None:
            continue
        name = "main" if thread is threading.main_thread() else thread.name.split("-")[0]
        if name.startswith("ThreadPoolExecutor"):
            name = "executor"
        stats = _thread_stats(thread.native_id)
        into = threads.setdefault(name, {})
        for key, value in stats.items():
            into[key] = into.get(key, 0) + value
    clock = _clock or GcClock()
    return {
        "gc": {
            "collections": list(clock.collections),  # copies: the clock goes on counting
            "seconds": {who: list(seconds) for who, seconds in clock.seconds.items()},
            "collected": list(clock.collected),
            "thresholds": gc.get_threshold(),
        },
        "threads": threads,
        "objects": len(gc.get_objects()) if os.environ.get("BENCH_PROBE_OBJECTS") else None,
    }


def per_request(before: dict[str, Any], after: dict[str, Any], requests: int) -> str:
    """One log line: collections per 1,000 requests, collector and thread figures per request."""
    if not requests:
        return "no requests"
    per = 1.0 / requests
    g0, g1 = before["gc"], after["gc"]
    gens = [(g1["collections"][i] - g0["collections"][i]) * per * 1e3 for i in range(3)]
    parts = ["gc per 1k req " + "/".join(f"{n:.1f}" for n in gens)]
    for who in ("main", "other"):
        us = [(g1["seconds"][who][i] - g0["seconds"][who][i]) * per * 1e6 for i in range(3)]
        parts.append(f"gc us/req {who} {sum(us):.1f} (" + "/".join(f"{u:.1f}" for u in us) + ")")
    for name, stats in after["threads"].items():
        old = before["threads"].get(name, {})
        cpu = (stats.get("cpu_s", 0) - old.get("cpu_s", 0)) * per * 1e6
        vol = (stats.get("voluntary", 0) - old.get("voluntary", 0)) * per
        inv = (stats.get("involuntary", 0) - old.get("involuntary", 0)) * per
        parts.append(f"{name}: cpu {cpu:.0f} us, switches {vol:.2f}+{inv:.2f} invol")
    if after.get("objects") is not None:
        parts.append(f"objects {before['objects']}->{after['objects']}")
    return "; ".join(parts)
