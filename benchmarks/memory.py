"""Case 6: memory per buffered event, RSS growth after flush, and the buffer bound when down.

One process per tracer (``--peer ours|otel|langfuse|honeyhive|langsmith``):

* **bytes per buffered event**: the exporter is kept from sending (ours: huge flush interval
  and batch size; OTel-based peers: ``OTEL_BSP_*`` / ``LANGFUSE_FLUSH_*`` so the batch
  processor holds every span), N traced sync calls run under tracemalloc, and the heap growth
  is divided by N. Payloads (a small dict per call, returned as is) are built before the
  measurement, so their own bytes are excluded; copies a tracer makes of them are not.
  langsmith's queue drains continuously and has no setting to hold it, so it has no figure.
* **RSS growth per traced calls after flush**: calls in chunks of 2,000 with a flush after
  each (against the loopback sink), a warm-up pass, then RSS before/after a second pass.
* **buffer bound** (ours): the server is down (a closed loopback port), ``max_queue_size`` =
  1,000 and ``max_buffer_bytes`` = 1 MiB; 60,000 calls in three steps: what is pending,
  dropped (by reason) and held on the heap after each step. Bounded = the heap stops growing.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from ._out import args, emit, log
from .servers import closed_port, serve
from .tracing import bare_otel, setup_peer


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _hold_env(n: int) -> None:
    """Make OTel batch processors (bare, langfuse, honeyhive) hold every span."""
    big = str(4 * n)
    os.environ.update(
        OTEL_BSP_MAX_QUEUE_SIZE=big,
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE=big,
        OTEL_BSP_SCHEDULE_DELAY=str(10**9),
        LANGFUSE_FLUSH_AT=big,
        LANGFUSE_FLUSH_INTERVAL=str(10**6),
    )


def tracer_for(
    peer: str, url: str, *, hold: bool
) -> tuple[Callable[..., Any], Callable[[], Any], Any]:
    """(decorator, flush, handle) for a tracer whose exporter points at `url`."""
    if peer == "ours":
        from honeyhive_async import AsyncHoneyHive
        from honeyhive_async.tracing import Tracer, trace

        options: dict[str, Any] = (
            {"flush_interval": 10**9, "max_batch_size": 10**9, "max_queue_size": 10**7}
            if hold
            else {}
        )
        tracer = Tracer(AsyncHoneyHive(api_key="k", base_url=url), flush_at_exit=False, **options)
        return trace(tracer=tracer), tracer.flush_sync, tracer
    if peer == "otel":
        deco, flush = bare_otel()
        return deco, flush, None
    deco, flush, _ = setup_peer(peer, url)
    return deco, flush, None


def buffered(peer: str, n: int) -> dict[str, Any]:
    _hold_env(n)
    deco, _, handle = tracer_for(peer, f"http://127.0.0.1:{closed_port()}", hold=True)

    def f(payload: dict[str, str]) -> dict[str, str]:
        return payload

    traced = deco(f)
    payloads = [{"q": f"question {i}"} for i in range(n)]
    for p in payloads[:10]:
        traced(p)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for p in payloads:
        traced(p)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    result: dict[str, Any] = {"n": n, "bytes_per_event": (after - before) / n}
    if peer == "ours":
        report = handle.stats()
        result["pending"] = report.pending
        result["sent"] = report.sent
    return result


def rss_growth(peer: str, calls: int) -> dict[str, Any]:
    with serve("sink") as (sink, _):
        deco, flush, _ = tracer_for(peer, sink, hold=False)

        @deco
        def f(x: int) -> dict[str, int]:
            return {"answer": x}

        def one_pass() -> None:
            for start in range(0, calls, 2_000):
                for i in range(start, start + 2_000):
                    f(i)
                flush()

        one_pass()  # warm-up: allocator arenas, caches, sessions
        gc.collect()
        r0 = rss()
        one_pass()
        gc.collect()
        r1 = rss()
        one_pass()
        gc.collect()
        r2 = rss()
    return {"calls": calls, "rss_pass2": r1 - r0, "rss_pass3": r2 - r1, "rss_total": r2}


def bound(calls: int, max_queue: int, max_buffer: int) -> dict[str, Any]:
    """Calls in three equal steps with the server down: what is held after each step."""
    from honeyhive_async import AsyncHoneyHive
    from honeyhive_async.tracing import Tracer, trace

    down = f"http://127.0.0.1:{closed_port()}"
    tracer = Tracer(
        AsyncHoneyHive(api_key="k", base_url=down),
        max_queue_size=max_queue,
        max_buffer_bytes=max_buffer,
        flush_at_exit=False,
    )

    @trace(tracer=tracer)
    def f(x: int) -> dict[str, int]:
        return {"answer": x}

    gc.collect()
    tracemalloc.start()
    steps = []
    for step in range(3):
        for i in range(calls // 3):
            f(step * calls + i)
        time.sleep(0.5)  # let the exporter encode what it can and fail its sends
        gc.collect()
        report = tracer.stats()
        steps.append(
            {
                "calls": (step + 1) * (calls // 3),
                "pending": report.pending,
                "dropped": dict(report.dropped),
                "held_bytes": tracemalloc.get_traced_memory()[0],
            }
        )
    tracemalloc.stop()
    closed = tracer.close_sync(timeout=0.5)
    return {
        "max_queue_size": max_queue,
        "max_buffer_bytes": max_buffer,
        "steps": steps,
        "after_close": {"pending": closed.pending, "dropped": dict(closed.dropped)},
    }


def main(argv: list[str] | None = None) -> None:
    opts = args(argv, peer="ours", part="buffered")
    started = time.monotonic()
    peer, part, quick = opts.peer, opts.part, opts.quick
    fast = peer in ("ours", "otel")
    if part == "buffered":
        result = buffered(
            peer, (2_000 if quick else 100_000) if fast else (200 if quick else 2_000)
        )
    elif part == "rss":
        result = rss_growth(
            peer, (2_000 if quick else 100_000) if fast else (2_000 if quick else 10_000)
        )
    else:
        result = bound(3_000 if quick else 60_000, 1_000, 1024 * 1024)
    log(f"memory[{peer} {part}] done in {time.monotonic() - started:.0f}s: {result}")
    emit([], {}, memory={"peer": peer, "part": part, **result})
    # Skip the peers' exit-time flushes: in the buffered part they would retry a closed port.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
