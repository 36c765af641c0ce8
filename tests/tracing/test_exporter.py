"""The background exporter against the local server: batching, failures and accounting."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import time
import weakref
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import (
    ExportReport,
    Session,
    Span,
    Tracer,
    current_span,
    enrich_span,
    trace,
)
from honeyhive_async.tracing._record import SpanRecord

from .conftest import events_of, make_tracer

BATCH = "/v1/events/batch"


def _freed(ref: weakref.ref[Any]) -> bool:
    """Whether the object behind `ref` is gone once the cyclic GC has run."""
    gc.collect()
    return ref() is None


def _running(tracer: Tracer) -> bool:
    """Whether the tracer's exporter thread is up."""
    thread = tracer._exporter._thread
    return thread is not None and thread.is_alive()


def _run(n: int) -> None:
    @trace(event_name="unit")
    def unit(i: int) -> int:
        return i

    for i in range(n):
        unit(i)


async def test_batches_respect_the_size_limit(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    tracer = tracer_factory(max_batch_size=7)
    _run(20)
    report = await tracer.flush(5)
    assert report.sent == 21  # 20 events and the default session
    assert report.pending == 0
    sizes = [len(r.json()["events"]) for r in honeyhive_server.requests if r.path == BATCH]
    assert sum(sizes) == 20
    assert max(sizes) <= 7


async def test_a_full_queue_drops_new_events_counts_them_and_calls_on_drop(
    tracer_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    dropped: list[tuple[str, SpanRecord | Session]] = []
    tracer = tracer_factory(
        max_queue_size=5,
        max_batch_size=1000,
        flush_interval=3600,
        on_drop=lambda reason, span: dropped.append((reason, span)),
    )
    # The exporter stays down while the queue fills (as when the app outruns it): one that
    # started sending would free slots by taking a batch, and the count would vary by timing.
    exporter = tracer._exporter
    with (
        caplog.at_level(logging.WARNING, logger="honeyhive_async.tracing"),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(exporter, "_start", lambda: None)
        _run(20)
    assert exporter._thread is None
    # One slot holds the default session's start; four events fit after it.
    assert [reason for reason, _ in dropped] == ["queue_full"] * 16
    assert all(span.event_name == "unit" for _, span in dropped)
    warnings = [r for r in caplog.records if "dropped an event" in r.getMessage()]
    assert len(warnings) == 1, "the warning is rate-limited"
    stats = tracer.stats()
    assert stats.dropped == {"queue_full": 16}
    assert stats.pending == 5
    report = await tracer.flush(5)
    assert report.sent == 5
    assert report.pending == 0


async def test_flush_returns_at_its_timeout_when_the_server_hangs(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    tracer = tracer_factory()
    hang = honeyhive_server.faults.hang_next(path=BATCH)
    _run(3)
    started = time.monotonic()
    report = await tracer.flush(timeout=0.3)
    assert time.monotonic() - started >= 0.29  # its whole timeout (timers may fire a hair early)
    assert hang.hits == 1
    assert report.timed_out is True
    assert report.pending == 3
    final = await tracer.aclose(timeout=0.2)
    assert final.timed_out is True
    await asyncio.wrap_future(tracer._exporter._stopped)  # the cancelled send winds up
    assert tracer.stats().pending == 0
    assert tracer.stats().dropped == {"shutdown": 3}


async def test_a_partial_batch_resends_only_the_uncreated_events(
    tracer_factory: Any, honeyhive_server: LocalServer, client: AsyncHoneyHive
) -> None:
    tracer = tracer_factory()
    honeyhive_server.faults.partial_batch(created=2)
    _run(5)
    report = await tracer.flush(10)
    assert report.dropped == {}
    assert report.sent == 6
    assert report.retried == 3
    batches = [r.json()["events"] for r in honeyhive_server.requests if r.path == BATCH]
    assert [len(b) for b in batches] == [5, 3]
    assert {e["event_id"] for e in batches[1]} == {e["event_id"] for e in batches[0][2:]}
    session = tracer._default_session
    events = [e for e in await events_of(client, session.event_id) if e.event_type != "session"]
    assert len(events) == 5
    assert len({e.event_id for e in events}) == 5


@pytest.mark.parametrize(("status", "reason"), [(400, "rejected_400"), (422, "rejected_422")])
async def test_a_4xx_that_will_not_change_is_dropped_and_counted_not_retried(
    tracer_factory: Any, honeyhive_server: LocalServer, status: int, reason: str
) -> None:
    dropped: list[str] = []
    tracer = tracer_factory(on_drop=lambda r, _s: dropped.append(r))
    fault = honeyhive_server.faults.fail_next(1, status, path=BATCH)
    _run(4)
    report = await tracer.flush(5)
    assert fault.hits == 1
    assert report.dropped == {reason: 4}
    assert dropped == [reason] * 4
    assert report.sent == 1  # the session
    assert [r.path for r in honeyhive_server.requests].count(BATCH) == 1


async def test_transient_failures_are_retried_honouring_retry_after(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    tracer = tracer_factory()
    fault = honeyhive_server.faults.fail_next(2, 503, retry_after_ms=20, path=BATCH)
    _run(3)
    report = await tracer.flush(10)
    assert fault.hits == 2
    assert report.dropped == {}
    assert report.sent == 4
    assert report.retried == 6


async def test_a_413_splits_the_batch(tracer_factory: Any, honeyhive_server: LocalServer) -> None:
    tracer = tracer_factory()
    honeyhive_server.faults.fail_next(1, 413, path=BATCH)
    _run(6)
    report = await tracer.flush(10)
    assert report.dropped == {}
    assert report.sent == 7
    sizes = [len(r.json()["events"]) for r in honeyhive_server.requests if r.path == BATCH]
    assert sizes == [6, 3, 3]


async def test_giving_up_after_the_attempts_counts_export_failed(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    tracer = tracer_factory(max_export_attempts=2)
    honeyhive_server.faults.fail_next(2, 500, retry_after="0", path=BATCH)
    _run(2)
    report = await tracer.flush(10)
    # A plain 500 on a batch reads as "partially created, none created": retried, then lost.
    assert report.dropped == {"export_failed": 2}


async def test_events_after_close_are_dropped_as_tracer_closed(tracer_factory: Any) -> None:
    tracer = tracer_factory()
    _run(1)
    await tracer.aclose(5)
    _run(2)
    assert tracer.stats().dropped == {"tracer_closed": 2}


async def test_the_encoded_buffer_is_bounded_in_bytes_while_the_server_hangs(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    dropped: list[str] = []
    tracer = tracer_factory(
        max_buffer_bytes=20_000, max_batch_size=1, on_drop=lambda r, _s: dropped.append(r)
    )
    honeyhive_server.faults.hang_next(path=BATCH)

    @trace(event_name="big")
    def big(text: str) -> None: ...

    for _ in range(10):
        big("x" * 5000)
    report = await tracer.flush(timeout=0.5)
    assert report.timed_out
    # One event hangs in flight; about three 5 KB events fit the 20 KB buffer; the rest drop.
    assert 4 <= dropped.count("buffer_full") <= 7
    assert set(dropped) == {"buffer_full"}
    assert report.sent + report.pending + report.dropped_total == 11  # + the default session


async def test_an_encoded_event_lets_go_of_the_payload_while_the_server_hangs(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:

    class Payload:
        pass

    tracer = tracer_factory(max_batch_size=1)
    honeyhive_server.faults.hang_next(path=BATCH)

    @trace(event_name="slow")
    def slow(payload: Payload) -> None: ...

    payload = Payload()
    ref = weakref.ref(payload)
    slow(payload)
    slow(Payload())  # waits, encoded, behind the first one, which hangs in flight
    del payload
    report = await tracer.flush(timeout=0.5)
    assert report.timed_out
    assert report.pending >= 1
    gc.collect()
    assert ref() is None  # encoded: the event waits as JSON, not as the caller's objects


async def test_a_span_lets_go_of_captured_values_once_exported(tracer: Tracer) -> None:

    class Payload:
        pass

    kept: list[Any] = []

    @trace
    def consume(payload: Payload) -> Payload:
        kept.append(current_span())  # the span outlives the call
        return payload

    payload = Payload()
    ref = weakref.ref(payload)
    async with tracer.session("release"):
        consume(payload)
    del payload
    await tracer.flush(5)
    gc.collect()
    assert kept[0].ended
    assert ref() is None


class _Holder:
    """A user object that keeps the span it was made in: a cycle through an untracked span."""

    span: Span | None = None


def _cyclic() -> Any:
    @trace(event_name="cyclic")
    def make() -> _Holder:
        holder = _Holder()
        holder.span = current_span()
        return holder  # the span's outputs point back at it

    return make


async def test_a_cycle_through_a_span_is_freed_once_the_span_is_exported(tracer: Tracer) -> None:

    holder = _cyclic()()
    ref = weakref.ref(holder)
    del holder
    report = await tracer.flush(5)
    assert report.sent >= 1
    assert _freed(ref)


async def test_a_cycle_through_a_dropped_span_is_freed(tracer_factory: Any) -> None:

    tracer_factory(max_queue_size=1, flush_interval=3600)  # the session start fills it
    holder = _cyclic()()
    ref = weakref.ref(holder)
    del holder
    assert _freed(ref)


def test_a_cycle_through_a_span_with_no_tracer_is_freed() -> None:

    from honeyhive_async.tracing import trace_span

    with trace_span("detached") as span:
        holder = _Holder()
        holder.span = span
        span.update(outputs={"holder": holder})
    ref = weakref.ref(holder)
    del holder, span
    assert _freed(ref)


async def test_an_abandoned_generator_kept_by_its_owner_is_collected_and_its_event_sent(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:

    class Reader:
        @trace(event_name="lines")
        def lines(self) -> Iterator[str]:
            yield "a"
            yield "b"

    async with tracer.session("abandoned") as session:
        reader = Reader()
        reader.it = reader.lines()  # type: ignore[attr-defined]
        assert next(reader.it) == "a"  # type: ignore[attr-defined]
        ref = weakref.ref(reader)
        del reader
        gc.collect()  # the running span holds `self`: the cycle must still be visible
    assert ref() is None
    await tracer.flush(5)
    (event,) = [e for e in await events_of(client, session.event_id) if e.event_name == "lines"]
    assert event.metadata == {"stopped_early": True}


async def test_a_pending_traced_task_dropped_with_its_owner_is_collected(tracer: Tracer) -> None:

    started = asyncio.Event()

    class Worker:
        @trace
        async def run(self) -> None:
            started.set()
            await asyncio.get_running_loop().create_future()  # never resolved

    worker = Worker()
    worker.task = asyncio.ensure_future(worker.run())  # type: ignore[attr-defined]
    await started.wait()
    ref = weakref.ref(worker)
    del worker
    loop = asyncio.get_running_loop()
    handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda *_: None)  # "Task was destroyed but it is pending!"
    try:
        gc.collect()
    finally:
        loop.set_exception_handler(handler)
    assert ref() is None


async def test_a_cycle_through_enriched_metadata_is_freed_once_exported(tracer: Tracer) -> None:

    @trace(event_name="enriched")
    def step() -> None:
        holder = _Holder()
        holder.span = current_span()
        enrich_span(metadata={"holder": holder})
        refs.append(weakref.ref(holder))

    refs: list[Any] = []
    step()
    report = await tracer.flush(5)
    assert report.sent >= 1
    assert _freed(refs[0])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_cyclic_span_queued_at_fork_is_freed_in_the_child(
    tracer_factory: Any,
) -> None:

    tracer_factory(flush_interval=3600, max_batch_size=1000)
    holder = _cyclic()()
    ref = weakref.ref(holder)
    del holder
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code only
        code = 1
        try:
            gc.collect()
            code = 0 if ref() is None else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


async def test_the_redaction_hook_sees_empty_inputs_too(
    tracer_factory: Any, client: AsyncHoneyHive
) -> None:
    from honeyhive_async.tracing import trace_span

    seen: list[str] = []

    def tag(field: str, value: Any) -> Any:
        seen.append(field)
        return {**value, "env": "prod"} if isinstance(value, dict) else value

    tracer = tracer_factory(redact=tag)
    async with tracer.session("tagged") as session:
        with trace_span("no inputs"):
            pass
    await tracer.flush(5)
    assert "inputs" in seen
    events = await events_of(client, session.event_id)
    (event,) = [e for e in events if e.event_name == "no inputs"]
    assert event.inputs == {"env": "prod"}


async def test_on_drop_after_a_rejection_still_sees_the_error_and_enriched_fields(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    # The exporter's copy lets go of the call's payload once encoded, not of what the span
    # was enriched with: a dead-letter handler still learns what failed.
    seen: list[tuple[str, str, Any, Any, Any]] = []

    def on_drop(reason: str, record: SpanRecord | Session) -> None:
        seen.append((reason, record.event_name, record.error, record.metadata, record.config))

    tracer = tracer_factory(on_drop=on_drop)
    honeyhive_server.faults.fail_next(1, 400, path=BATCH)

    @trace(event_name="step", config={"model": "m"}, metadata={"route": "/chat"})
    def step() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        step()
    report = await tracer.flush(5)
    assert report.dropped == {"rejected_400": 1}
    ((reason, name, error, metadata, config),) = seen
    assert (reason, name, error, config) == (
        "rejected_400",
        "step",
        "ValueError: boom",
        {"model": "m"},
    )
    assert metadata == {"route": "/chat", "error_type": "ValueError"}


async def test_a_dead_letter_on_drop_does_not_keep_the_tracer_alive(
    honeyhive_server: LocalServer,
) -> None:

    class App:
        def __init__(self) -> None:
            self.dead: list[SpanRecord | Session] = []  # events given up on, kept for later
            self.tracer = make_tracer(
                honeyhive_server,
                max_queue_size=1,
                flush_interval=3600,
                set_default=False,
                on_drop=self.on_drop,
            )

        def on_drop(self, reason: str, record: SpanRecord | Session) -> None:
            self.dead.append(record)

    app = App()

    @trace(tracer=app.tracer)
    def step(x: int) -> int:
        return x

    step(1)  # the session start fills the queue: this span is dropped
    await app.tracer.aclose(2)
    assert [record.event_name for record in app.dead] == [step.__qualname__]
    ref = weakref.ref(app)
    del app, step
    assert _freed(ref)


async def test_what_is_set_on_a_span_after_it_finished_is_not_exported(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    from honeyhive_async.tracing import trace_span

    async with tracer.session("late") as session:
        with trace_span("block", inputs={"q": 1}) as span:
            span.update(metadata={"early": 1})
        span.update(metadata={"late": 1}, outputs={"late": 1})
    await tracer.flush(5)
    (event,) = [e for e in await events_of(client, session.event_id) if e.event_name == "block"]
    assert event.metadata == {"early": 1}
    assert event.outputs in (None, {})


async def test_a_partial_reply_that_lists_every_event_as_created_is_a_success(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    dropped: list[str] = []
    tracer = tracer_factory(on_drop=lambda r, _s: dropped.append(r))
    honeyhive_server.faults.partial_batch(created=100)
    _run(3)
    report = await tracer.flush(5)
    assert (report.sent, report.dropped, report.retried) == (4, {}, 0)
    assert dropped == []
    assert [r.path for r in honeyhive_server.requests].count(BATCH) == 1


async def test_a_flush_that_timed_out_does_not_break_the_exporter(tracer_factory: Any) -> None:
    tracer = tracer_factory()
    _run(2)
    first = await tracer.flush(timeout=0)  # gives up at once and cancels its wait
    assert first.timed_out
    report = await tracer.flush(5)
    assert (report.sent, report.pending, report.timed_out) == (3, 0, False)
    assert _running(tracer)


async def test_an_event_that_cannot_be_encoded_is_dropped_and_the_rest_go_on(
    tracer_factory: Any,
) -> None:
    tracer = tracer_factory()

    @trace
    def corrupt() -> None:
        span = current_span()
        assert span is not None
        span.inputs = "not a dict"  # type: ignore[assignment]  # merging it fails on export

    corrupt()
    _run(2)
    report = await tracer.flush(5)
    assert report.dropped == {"encode_failed": 1}
    assert report.sent == 3
    assert _running(tracer)


def test_a_span_that_passed_the_capacity_check_as_the_tracer_closed_is_counted(
    threaded_server: LocalServer,
) -> None:
    tracer = make_tracer(threaded_server, set_default=False)

    @trace(event_name="unit", tracer=tracer)
    def unit() -> None: ...

    unit()
    closed: list[ExportReport] = []

    def close_at_append(frame: Any, event: str, arg: Any) -> None:
        # The tracer closes between the span's capacity check and its append to the queue
        # (the one deque append on the way): nothing drains the queue any more, so the
        # append must account for itself.
        appending = event == "c_call" and getattr(arg, "__name__", "") == "append"
        if appending and not closed and isinstance(getattr(arg, "__self__", None), deque):
            closed.append(tracer.close_sync(timeout=5))

    sys.setprofile(close_at_append)
    try:
        unit()
    finally:
        sys.setprofile(None)
    assert closed, "the span never reached the queue"
    assert (closed[0].sent, closed[0].pending, closed[0].dropped) == (2, 0, {})
    report = tracer.stats()
    assert report.pending == 0
    assert report.dropped == {"tracer_closed": 1}


async def test_flush_after_close_returns_at_once(tracer_factory: Any) -> None:
    tracer = tracer_factory()
    _run(1)
    await tracer.aclose(5)
    report = tracer.flush_sync(timeout=None)
    assert report.pending == 0


async def test_a_missing_key_is_its_own_drop_reason(
    honeyhive_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from honeyhive_async.tracing import Tracer as TracerClass

    for name in ("HH_API_KEY", "HONEYHIVE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    client = AsyncHoneyHive(base_url=honeyhive_server.url)  # no key anywhere
    tracer = TracerClass(client, flush_interval=0.05, flush_at_exit=False, set_default=False)

    @trace(tracer=tracer)
    def unit() -> None: ...

    unit()
    report = await tracer.flush(5)
    await tracer.aclose(1)
    assert report.dropped == {"session_start_failed": 1, "missing_api_key": 1}


@pytest.mark.parametrize(
    ("queue", "batch", "spans"),
    [
        (10_000, 500, 500),  # a batch's worth (the session start and 499 spans) wakes it
        (200, 500, 100),  # half the queue, when that is less than a batch
        (2, 500, 1),  # never less than one
    ],
)
async def test_the_exporter_wakes_before_the_queue_can_fill(
    tracer_factory: Any, honeyhive_server: LocalServer, queue: int, batch: int, spans: int
) -> None:
    # No timer runs out here: only the queue's length wakes the exporter, and it must do so
    # before the queue is full, or a burst of spans would be dropped.
    tracer = tracer_factory(max_queue_size=queue, max_batch_size=batch, flush_interval=3600)
    arrived = honeyhive_server.faults.delay_next(0, path=BATCH)  # only to learn when
    _run(spans)
    await asyncio.wait_for(arrived.wait_hit(), timeout=10)
    report = await tracer.flush(5)
    assert (report.sent, report.dropped) == (spans + 1, {})


async def test_a_cancelled_aclose_leaves_the_exit_flush_in_place(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:

    from honeyhive_async.tracing._settle import exit_flush as _exit_flush

    tracer = tracer_factory(flush_at_exit=True)
    hang = honeyhive_server.faults.hang_next(path=BATCH)
    _run(1)
    closing = asyncio.create_task(tracer.aclose(timeout=30))
    await hang.wait_hit()
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert tracer in _exit_flush
    assert not tracer._closed


async def test_the_count_bound_holds_while_the_server_is_down(
    tracer_factory: Any, honeyhive_server: LocalServer
) -> None:
    tracer = tracer_factory(max_queue_size=10, max_batch_size=2)
    hang = honeyhive_server.faults.hang_next(path=BATCH)
    _run(2)
    first = await tracer.flush(timeout=0.3)  # the first batch is now stuck in flight
    assert hang.hits == 1
    assert first.timed_out
    _run(30)
    report = await tracer.flush(timeout=0.3)
    # Held: the batch in flight (2) plus at most max_queue_size queued or encoded.
    assert report.pending <= 12
    assert report.dropped.get("queue_full", 0) >= 20
    assert report.sent + report.pending + report.dropped_total == 33


async def test_a_lone_surrogate_in_a_name_or_error_costs_no_event(
    tracer_factory: Any, client: AsyncHoneyHive
) -> None:
    # A Latin-1 file name read with os.fsdecode keeps its undecodable byte as a lone surrogate.
    bad = os.fsdecode(b"caf\xe9.txt")
    dropped: list[str] = []
    tracer = tracer_factory(on_drop=lambda reason, span: dropped.append(reason))

    @trace(event_name=f"parse {bad}")
    def parse() -> None:
        raise ValueError(f"cannot parse {bad}")

    async with tracer.session(f"session {bad}") as session:
        _run(3)
        with pytest.raises(ValueError, match="cannot parse"):
            parse()
    report = await tracer.flush(5)
    assert (report.dropped, dropped) == ({}, [])
    events = await events_of(client, session.event_id)
    names = sorted(str(e.event_name) for e in events)
    assert names == ["parse caf\ufffd.txt", "session caf\ufffd.txt"] + ["unit"] * 3
    (failed,) = [e for e in events if e.event_name == "parse caf\ufffd.txt"]
    assert failed.error == "ValueError: cannot parse caf\ufffd.txt"
