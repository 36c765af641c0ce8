"""Case 5: export throughput, and the application's event-loop lag while the exporter works.

An async app makes N traced calls (``@trace`` on ``async def handle(i)`` returning a small
dict), yielding to its loop every 100 calls as an app awaiting I/O would, then awaits
``tracer.flush()``. A ticker task in the same loop records how late ``asyncio.sleep(0.001)``
wakes up. Delivered events/s = ``ExportReport.sent`` / (first call to flush done). Targets, each
in its own process: the null sink (answers at once) and `LocalServer` (SQLite in memory). The
queue is sized to N so nothing is dropped (drops are reported). A row with no tracer shows
the loop's own lag.

``--part sessions`` (issue 14, target 1): an app that opens one session per "request" with 10
traced calls in it, unpaced, against raw 500-event ``client.events.create_batch`` calls, both
into the same `LocalServer` in the same run; the ratio of delivered events/s is the bar.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from typing import Any

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.models import CreateEventRequest
from honeyhive_async.server import LOCAL_API_KEY
from honeyhive_async.tracing import Tracer, trace

from ._out import args, emit, log, num, table
from ._timer import perf
from .servers import serve


async def _ticker(lags: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        t0 = perf()
        await asyncio.sleep(0.001)
        lags.append(perf() - t0 - 0.001)


async def run_once(url: str | None, key: str, n: int) -> dict[str, Any]:
    lags: list[float] = []
    stop = asyncio.Event()
    tracer = None
    if url is not None:
        tracer = Tracer(
            AsyncHoneyHive(api_key=key, base_url=url),
            max_queue_size=n + 10,
            flush_at_exit=False,
            set_default=False,
        )

    async def handle(i: int) -> dict[str, Any]:
        return {"answer": i, "status": "ok"}

    traced = trace(tracer=tracer)(handle) if tracer is not None else handle
    ticker = asyncio.create_task(_ticker(lags, stop))
    await asyncio.sleep(0.01)
    t0 = perf()
    for i in range(n):
        await traced(i)
        if i % 100 == 99:
            await asyncio.sleep(0)
    produced = perf() - t0
    report = await tracer.flush(timeout=60) if tracer is not None else None
    elapsed = perf() - t0
    stop.set()
    await ticker
    if tracer is not None:
        await tracer.aclose()
    lags.sort()
    return {
        "sent": report.sent if report else 0,
        "dropped": sum(report.dropped.values()) if report else 0,
        "events_s": (report.sent if report else n) / elapsed,
        "produce_s": produced,
        "elapsed": elapsed,
        "p50": lags[len(lags) // 2],
        "p99": lags[min(len(lags) - 1, int(len(lags) * 0.99))],
        "max": lags[-1],
        "ticks": len(lags),
    }


SPANS_PER_SESSION = 10
RAW_BATCH = 500


async def run_sessions(url: str, n_sessions: int) -> dict[str, float]:
    """One session per request, 10 traced calls in each, unpaced; then `await tracer.flush()`."""
    events = n_sessions * (SPANS_PER_SESSION + 1)
    tracer = Tracer(
        AsyncHoneyHive(api_key=LOCAL_API_KEY, base_url=url),
        max_queue_size=events + n_sessions + 10,  # a session's closing update is queued too
        flush_at_exit=False,
        set_default=False,
    )

    @trace(tracer=tracer)
    async def step(i: int) -> dict[str, Any]:
        return {"answer": i, "status": "ok"}

    t0 = perf()
    for i in range(n_sessions):
        async with tracer.session("request", inputs={"request": i}) as session:
            for j in range(SPANS_PER_SESSION):
                await step(j)
            session.update(outputs={"status": "ok"})
        if i % 10 == 9:
            await asyncio.sleep(0)  # a web app awaits I/O between requests
    report = await tracer.flush(timeout=120)
    elapsed = perf() - t0
    await tracer.aclose()
    return {
        "sent": report.sent,
        "dropped": report.dropped_total,
        "failed_updates": report.failed_updates,
        "events_s": report.sent / elapsed,
        "elapsed": elapsed,
    }


def _raw_batches(n_events: int) -> list[list[CreateEventRequest]]:
    session_id = str(uuid.uuid4())
    now = int(time.time() * 1000)
    events = [
        CreateEventRequest(
            event_type="tool",
            event_name="step",
            event_id=str(uuid.uuid4()),
            session_id=session_id,
            parent_id=session_id,
            source="bench",
            inputs={"i": i},
            outputs={"answer": i, "status": "ok"},
            start_time=now,
            end_time=now,
            duration=0.01,
        )
        for i in range(n_events)
    ]
    return [events[i : i + RAW_BATCH] for i in range(0, n_events, RAW_BATCH)]


async def run_raw(url: str, n_events: int) -> dict[str, float]:
    """The same number of events as raw 500-event `create_batch` calls, one after another."""
    batches = _raw_batches(n_events)  # built before the clock starts
    async with AsyncHoneyHive(api_key=LOCAL_API_KEY, base_url=url) as client:
        t0 = perf()
        for batch in batches:
            await client.events.create_batch(batch)
        elapsed = perf() - t0
    return {"sent": n_events, "events_s": n_events / elapsed, "elapsed": elapsed}


def sessions_main(quick: bool) -> None:
    started = time.monotonic()
    n_sessions = 200 if quick else 3_000
    rounds = 1 if quick else 3
    n_events = n_sessions * (SPANS_PER_SESSION + 1)
    ours: list[dict[str, float]] = []
    raw: list[dict[str, float]] = []
    with serve("local") as (local, _):
        asyncio.run(run_raw(local, RAW_BATCH))  # warm the server up
        for _ in range(rounds):  # interleaved: a noisy spell hits both
            raw.append(asyncio.run(run_raw(local, n_events)))
            ours.append(asyncio.run(run_sessions(local, n_sessions)))
            log(
                f"export sessions: {ours[-1]['events_s']:,.0f} ev/s, raw create_batch "
                f"{raw[-1]['events_s']:,.0f} ev/s"
            )
    ratios = [o["events_s"] / r["events_s"] for o, r in zip(ours, raw, strict=True)]
    ours_rate = statistics.median(o["events_s"] for o in ours)
    raw_rate = statistics.median(r["events_s"] for r in raw)
    rows = [
        [
            f"tracer, {n_sessions:,} sessions x {SPANS_PER_SESSION} spans",
            f"{int(statistics.median(o['sent'] for o in ours)):,} / {n_events:,}",
            f"{int(max(o['dropped'] for o in ours))}",
            num(ours_rate, 0),
            f"{num(min(o['events_s'] for o in ours), 0)}-{num(max(o['events_s'] for o in ours), 0)}",
            f"{statistics.median(ratios):.2f}x",
        ],
        [
            f"raw create_batch, {RAW_BATCH} events a call",
            f"{n_events:,} / {n_events:,}",
            "0",
            num(raw_rate, 0),
            f"{num(min(r['events_s'] for r in raw), 0)}-{num(max(r['events_s'] for r in raw), 0)}",
            "1.00x",
        ],
    ]
    t = table(
        f"Export with a session per request: {n_sessions:,} sessions of {SPANS_PER_SESSION} traced "
        f"calls into LocalServer (SQLite) vs raw batches of the same events; medians of {rounds} runs",
        ["sender", "sent", "dropped", "delivered events/s", "min-max events/s", "vs raw batches"],
        rows,
        "Events = spans + their sessions (each session is an event). The clock runs from the first call "
        "to the end of `tracer.flush()`; the raw batches are built before it starts and sent one after "
        "another by one client. The ratio is the median of the per-round ratios.",
    )
    log(f"export sessions done in {time.monotonic() - started:.0f}s")
    emit(
        [t],
        {
            "export.sessions.events_s": ours_rate,
            "export.raw_batch.events_s": raw_rate,
            "export.sessions.vs_raw_batch": statistics.median(ratios),
            "export.sessions.dropped": max(o["dropped"] for o in ours),
        },
    )


def main(argv: list[str] | None = None) -> None:
    opts = args(argv, part="lag")
    if opts.part == "sessions":
        sessions_main(opts.quick)
        return
    started = time.monotonic()
    n = 2_000 if opts.quick else 100_000
    rounds = 1 if opts.quick else 3
    runs: dict[str, list[dict[str, Any]]] = {}
    with serve("sink") as (sink, _), serve("local") as (local, _):
        targets = {
            "no tracer (the loop's own lag)": (None, "k"),
            "null sink": (sink, "k"),
            "LocalServer (SQLite)": (local, LOCAL_API_KEY),
        }
        for _ in range(rounds):
            for name, (url, key) in targets.items():
                result = asyncio.run(run_once(url, key, n))
                runs.setdefault(name, []).append(result)
                log(
                    f"export {name}: {result['events_s']:,.0f} ev/s p99 {result['p99'] * 1e3:.2f} ms"
                )
    rows, metrics = [], {}
    for name, rs in runs.items():
        rate = [r["events_s"] for r in rs]

        def med(key: str, rs: list[dict[str, Any]] = rs) -> float:
            return statistics.median(r[key] for r in rs)

        rows.append(
            [
                name,
                f"{int(med('sent')):,} / {n:,}" if "tracer" not in name else "-",
                f"{int(med('dropped'))}" if "tracer" not in name else "-",
                num(statistics.median(rate), 0),
                f"{num(min(rate), 0)}-{num(max(rate), 0)}",
                num(med("produce_s") * 1e3, 0),
                num(med("p50") * 1e3, 3),
                num(med("p99") * 1e3, 2),
                num(med("max") * 1e3, 1),
            ]
        )
        key = {"null sink": "sink", "LocalServer (SQLite)": "local"}.get(name, "none")
        metrics[f"export.{key}.events_s"] = statistics.median(rate)
        metrics[f"export.{key}.lag_p99_ms"] = med("p99") * 1e3
        metrics[f"export.{key}.lag_p50_ms"] = med("p50") * 1e3
        metrics[f"export.{key}.dropped"] = med("dropped")
    t = table(
        f"Export: {n:,} traced async calls shipped, then `await tracer.flush()`; medians of {rounds} runs",
        [
            "target",
            "sent",
            "dropped",
            "delivered events/s",
            "min-max events/s",
            "calls took ms",
            "loop lag p50 ms",
            "loop lag p99 ms",
            "lag max ms",
        ],
        rows,
        "events/s counts from the first call to the end of the flush. Lag = how late `asyncio.sleep(0.001)` "
        "woke up in the app's loop, over the same period. Servers run in their own processes on the same 2 cores.",
    )
    log(f"export done in {time.monotonic() - started:.0f}s")
    emit([t], metrics)


if __name__ == "__main__":
    main()
