"""Cases 3 and 4: tracing overhead per span, and per chunk of a traced generator.

Run once per tracer, each in its own process (OTel-based peers install global providers):
``python -m benchmarks.tracing --peer ours|langfuse|langsmith|honeyhive``. Every process
starts its own loopback sink (all exporters succeed there) and re-measures the reference rows:

* undecorated: the plain function;
* floor: a hand-rolled decorator: a contextvar for the parent, two clock reads, a dict record
  appended to a bounded deque;
* bare OTel: ``tracer.start_as_current_span`` on a private ``TracerProvider`` with a
  ``BatchSpanProcessor`` and an exporter that returns SUCCESS.

Workloads: ``f(x) = x + 1`` sync and async (awaited in a loop in one running event loop), a
depth-3 chain (a -> b -> c, all decorated), and generators yielding 100 string chunks. A sample
runs chunks of calls (at most 2,000 spans each) and flushes the tracer after each chunk, outside
the timed span, so no queue overflows; the exporters run during the timed calls. "Added" =
decorated median - undecorated median, in the same process.

``--clock thread`` times the calls by the calling thread's CPU time (``time.thread_time``)
instead of the wall clock: what the traced call itself costs its caller, without the exporter
thread's share of the GIL and without the time other processes take the core. For A/B work on
a shared, loaded machine (where wall-clock figures came out 2-4x the CPU ones); the results and
bars are wall-clock figures.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from ._out import args, emit, log, num, ratio
from ._timer import ainterleave, interleave, perf, summarize
from .servers import serve

CHUNKS = 100
"""Chunks yielded by the streaming workloads."""
SPANS_PER_FLUSH = 2_000
PROBE = 50
"""Calls timed, after a warm-up, to size the chunks. Sized on a cold first call (which starts
an exporter thread), chunks came out ten times too small for whichever workload ran first, and
its exporter never woke inside the timed calls."""
CLOCKS: dict[str, Callable[[], float]] = {"wall": perf, "thread": time.thread_time}
_clock = perf
"""What `_sync_run`/`_async_run` time the calls with (`--clock`)."""
FLOOR = "floor (contextvar + dict + deque)"
OTEL = "bare OTel span (BatchSpanProcessor, no-op exporter)"

# -- reference decorators ------------------------------------------------------------------------

_floor_parent: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "floor", default=None
)
_floor_records: deque[dict[str, Any]] = deque(maxlen=100_000)


def floor(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The hand-rolled floor: what any tracer must at least do per span."""
    name = fn.__qualname__
    ns = time.perf_counter_ns

    if asyncio.iscoroutinefunction(fn):

        async def awrapper(*args: Any, **kwargs: Any) -> Any:
            rec = {"name": name, "parent": _floor_parent.get(), "args": args, "t0": ns()}
            token = _floor_parent.set(rec)
            try:
                rec["result"] = result = await fn(*args, **kwargs)
            finally:
                _floor_parent.reset(token)
                rec["t1"] = ns()
                _floor_records.append(rec)
            return result

        return awrapper

    if _is_asyncgen(fn):

        async def agwrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            rec = {"name": name, "parent": _floor_parent.get(), "args": args, "t0": ns()}
            chunks: list[Any] = []
            gen = fn(*args, **kwargs)
            try:
                while True:
                    token = _floor_parent.set(rec)
                    try:
                        item = await gen.__anext__()
                    except StopAsyncIteration:
                        return
                    finally:
                        _floor_parent.reset(token)
                    chunks.append(item)
                    yield item
            finally:
                rec["chunks"], rec["t1"] = chunks, ns()
                _floor_records.append(rec)

        return agwrapper

    if _is_gen(fn):

        def gwrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            rec = {"name": name, "parent": _floor_parent.get(), "args": args, "t0": ns()}
            chunks: list[Any] = []
            gen = fn(*args, **kwargs)
            try:
                while True:
                    token = _floor_parent.set(rec)
                    try:
                        item = next(gen)
                    except StopIteration:
                        return
                    finally:
                        _floor_parent.reset(token)
                    chunks.append(item)
                    yield item
            finally:
                rec["chunks"], rec["t1"] = chunks, ns()
                _floor_records.append(rec)

        return gwrapper

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        rec = {"name": name, "parent": _floor_parent.get(), "args": args, "t0": ns()}
        token = _floor_parent.set(rec)
        try:
            rec["result"] = result = fn(*args, **kwargs)
        finally:
            _floor_parent.reset(token)
            rec["t1"] = ns()
            _floor_records.append(rec)
        return result

    return wrapper


def _is_asyncgen(fn: Callable[..., Any]) -> bool:
    import inspect

    return inspect.isasyncgenfunction(fn)


def _is_gen(fn: Callable[..., Any]) -> bool:
    import inspect

    return inspect.isgeneratorfunction(fn)


def bare_otel() -> tuple[Callable[..., Any] | None, Callable[[], None]]:
    """A decorator over a private OTel provider with a batch processor and a no-op exporter."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class NoOp(SpanExporter):
        def export(self, _spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(NoOp()))
    tracer = provider.get_tracer("bench")

    def deco(fn: Callable[..., Any]) -> Callable[..., Any] | None:
        name = fn.__qualname__
        if asyncio.iscoroutinefunction(fn):

            async def awrapper(*args: Any, **kwargs: Any) -> Any:
                with tracer.start_as_current_span(name):
                    return await fn(*args, **kwargs)

            return awrapper
        if _is_gen(fn) or _is_asyncgen(fn):
            return None  # OTel has no generator support of its own

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with tracer.start_as_current_span(name):
                return fn(*args, **kwargs)

        return wrapper

    return deco, lambda: provider.force_flush()  # type: ignore[return-value]


# -- peers ---------------------------------------------------------------------------------------


def setup_peer(
    peer: str, sink: str
) -> tuple[Callable[..., Any], Callable[[], None], Callable[[], Any]]:
    """Return (decorator, flush, stats) for a tracer pointed at the loopback sink."""
    if peer == "ours":
        from honeyhive_async import AsyncHoneyHive
        from honeyhive_async.tracing import Tracer, trace

        tracer = Tracer(AsyncHoneyHive(api_key="k", base_url=sink), flush_at_exit=False)
        return trace, lambda: tracer.flush_sync(), tracer.stats
    if peer == "langfuse":
        os.environ["LANGFUSE_BASE_URL"] = os.environ["LANGFUSE_HOST"] = sink
        from langfuse import get_client, observe

        client = get_client()
        return observe(), client.flush, lambda: None
    if peer == "langsmith":
        os.environ["LANGSMITH_ENDPOINT"] = os.environ["LANGCHAIN_ENDPOINT"] = sink
        os.environ["LANGSMITH_TRACING"] = "true"
        from langsmith import traceable
        from langsmith.run_trees import get_cached_client

        return traceable, lambda: get_cached_client().flush(), lambda: None
    if peer == "honeyhive":
        os.environ["HH_API_URL"] = sink
        from honeyhive import HoneyHiveTracer, trace

        hh = HoneyHiveTracer.init(
            api_key="hh_bench", server_url=sink, session_name="bench", source="bench"
        )
        return trace(event_type="tool"), hh.force_flush, lambda: None
    raise ValueError(peer)


def workloads(deco: Callable[..., Any]) -> dict[str, tuple[Any, int]] | None:
    """The decorated workloads: name -> (callable or None, spans per call)."""

    def f(x: int) -> int:
        return x + 1

    async def af(x: int) -> int:
        return x + 1

    def c(x: int) -> int:
        return x + 1

    def b(x: int) -> int:
        return dc(x) + 1

    def a(x: int) -> int:
        return db(x) + 1

    async def ac(x: int) -> int:
        return x + 1

    async def ab(x: int) -> int:
        return await dac(x) + 1

    async def aa(x: int) -> int:
        return await dab(x) + 1

    async def agen(n: int) -> AsyncIterator[str]:
        for _ in range(n):
            yield "tok"

    def gen(n: int) -> Iterator[str]:
        for _ in range(n):
            yield "tok"

    dc, dac = deco(c), deco(ac)
    db, dab = deco(b), deco(ab)
    return {
        "sync": (deco(f), 1),
        "async": (deco(af), 1),
        "sync, depth 3": (deco(a), 3),
        "async, depth 3": (deco(aa), 3),
        "async generator": (deco(agen), 1),
        "sync generator": (deco(gen), 1),
    }


def plain_workloads() -> dict[str, tuple[Any, int]]:
    return workloads(lambda fn: fn)  # type: ignore[return-value]


# -- timing --------------------------------------------------------------------------------------


def _sync_run(kind: str, fn: Any) -> Callable[[int], float]:
    if kind.endswith("generator"):

        def run(n: int) -> float:
            t0 = _clock()
            for _ in range(n):
                for _chunk in fn(CHUNKS):
                    pass
            return _clock() - t0

        return run

    def run_calls(n: int) -> float:
        t0 = _clock()
        for i in range(n):
            fn(i)
        return _clock() - t0

    return run_calls


def _async_run(kind: str, fn: Any) -> Callable[[int], Awaitable[float]]:
    if kind.endswith("generator"):

        async def run(n: int) -> float:
            t0 = _clock()
            for _ in range(n):
                async for _chunk in fn(CHUNKS):
                    pass
            return _clock() - t0

        return run

    async def run_calls(n: int) -> float:
        t0 = _clock()
        for i in range(n):
            await fn(i)
        return _clock() - t0

    return run_calls


class Plan:
    """Chunks of calls sized from a first estimate: ~`target` s per sample, flushed between."""

    def __init__(self, per_call: float, spans: int, target: float) -> None:
        self.n = max(1, min(int(target / per_call), SPANS_PER_FLUSH // spans))
        self.chunks = max(1, round(target / (self.n * per_call)))


def measure(peer: str, quick: bool) -> dict[str, Any]:
    with serve("sink") as (sink, _pid):
        deco, flush, stats = setup_peer(peer, sink)
        otel, otel_flush = bare_otel()
        decorators: dict[str, tuple[Callable[..., Any], Callable[[], Any]]] = {
            "undecorated": (lambda fn: fn, lambda: None),
            FLOOR: (floor, lambda: None),
            OTEL: (otel, otel_flush),
            peer: (deco, flush),
        }
        target = 0.004 if quick else 0.08
        rounds = 1 if quick else 9
        warmup = 0 if quick else 1
        results: dict[str, Any] = {}
        for kind in plain_workloads():
            spans = 3 if "depth 3" in kind else 1
            is_async = kind.startswith("async")
            flushes: dict[str, list[float]] = {}
            contenders: dict[str, Any] = {}
            for name, (d, fl) in decorators.items():
                fn = workloads(d)[kind][0]
                if fn is not None:
                    contenders[name] = _contender(
                        kind, fn, fl, spans, target, is_async, flushes.setdefault(name, [])
                    )
            if is_async:
                samples = asyncio.run(ainterleave(contenders, rounds, warmup))
            else:
                samples = interleave(contenders, rounds, warmup)
            st = summarize(samples)
            results[kind] = {
                name: {
                    **s,
                    "flush_per_call": sorted(flushes[name])[len(flushes[name]) // 2],
                    "spans": spans,
                }
                for name, s in st.items()
            }
            log(
                f"tracing[{peer}] {kind}: "
                + ", ".join(f"{k[:12]}={v['median'] * 1e6:.2f}us" for k, v in st.items())
            )
        report = stats()
        return {
            "peer": peer,
            "results": results,
            "report": None if report is None else _plain(report),
        }


def _plain(report: Any) -> dict[str, Any]:
    return {"sent": report.sent, "dropped": dict(report.dropped), "pending": report.pending}


def _contender(
    kind: str,
    fn: Any,
    flush: Callable[[], Any],
    spans: int,
    target: float,
    is_async: bool,
    flush_times: list[float],
) -> Callable[[], Any]:
    if not is_async:
        run = _sync_run(kind, fn)
        run(10)  # warm-up: the first call may start an exporter thread, open a pool, ...
        flush()
        t = run(PROBE)
        flush()
        plan = Plan(max(t / PROBE, 1e-8), spans, target)

        def sample() -> float:
            total = flushed = 0.0
            for _ in range(plan.chunks):
                total += run(plan.n)
                t0 = perf()
                flush()
                flushed += perf() - t0
            flush_times.append(flushed / (plan.n * plan.chunks))
            return total / (plan.n * plan.chunks)

        return sample

    arun = _async_run(kind, fn)
    state: dict[str, Plan] = {}

    async def asample() -> float:
        plan = state.get("plan")
        if plan is None:
            await arun(10)  # warm-up, as above
            flush()
            t = await arun(PROBE)
            flush()
            plan = state["plan"] = Plan(max(t / PROBE, 1e-8), spans, target)
        total = flushed = 0.0
        for _ in range(plan.chunks):
            total += await arun(plan.n)
            t0 = perf()
            flush()  # blocking on purpose: untimed, and nothing else runs in this loop
            flushed += perf() - t0
        flush_times.append(flushed / (plan.n * plan.chunks))
        return total / (plan.n * plan.chunks)

    return asample


def rows_for(data: dict[str, Any]) -> list[list[str]]:
    rows = []
    for kind, by_name in data["results"].items():
        base = by_name["undecorated"]["median"]
        otel = by_name.get(OTEL)
        for name, s in by_name.items():
            per = CHUNKS if kind.endswith("generator") else s["spans"]
            added = (s["median"] - base) / per * 1e6
            vs_otel = ""
            if otel is not None and name != "undecorated":
                otel_added = otel["median"] - base
                vs_otel = ratio(otel_added / max(s["median"] - base, 1e-12))
            rows.append(
                [
                    kind,
                    name,
                    num(s["median"] * 1e6, 2),
                    f"{num(s['min'] * 1e6, 2)}-{num(s['max'] * 1e6, 2)}",
                    "" if name == "undecorated" else num(added, 2),
                    ""
                    if name == "undecorated"
                    else num((s["median"] + s["flush_per_call"] - base) / per * 1e6, 2),
                    vs_otel,
                ]
            )
    return rows


HEADERS = [
    "workload",
    "contender",
    "median us/call",
    "min-max us",
    "added us per span (per chunk for generators)",
    "added incl. untimed flush",
    "bare OTel added / this added",
]


def main(argv: list[str] | None = None) -> None:
    global _clock
    opts = args(argv, peer="ours", clock="wall")
    _clock = CLOCKS[opts.clock]
    started = time.monotonic()
    data = measure(opts.peer, opts.quick)
    log(f"tracing[{opts.peer}] done in {time.monotonic() - started:.0f}s")
    if opts.clock != "wall":
        data["clock"] = opts.clock
    emit([], {}, tracing=data)


if __name__ == "__main__":
    main()
