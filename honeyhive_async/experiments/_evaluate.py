"""`evaluate`: a function over a dataset with evaluators, as one experiment run on HoneyHive."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._client import AsyncHoneyHive
from .._progress import Progress
from ..errors import HoneyHiveError
from ..tracing import Tracer
from ._call import Call, describe
from ._dataset import Datapoint, from_rows, load_dataset
from ._pool import in_pool, warm
from ._result import ClientOpener, DatapointResult, EvaluationResult, borrowed
from ._run import RunHandle, close_run, open_run
from ._runner import Runner
from ._scoring import evaluator_name

if TYPE_CHECKING:
    from ..models import AggregateFunction, RunStatus, RunSummary, SpanType
    from ..tracing import ExportReport

__all__ = ["evaluate"]

log = logging.getLogger("honeyhive_async.experiments")

_EVALUATOR_METADATA = {"evaluator": True}
_SESSION_HOLD = 0.5
"""Seconds a datapoint's session start waits in the exporter for the session to end."""


def _check(dataset: object, dataset_id: object, concurrency: object, timeout: object) -> None:
    if (dataset is None) == (dataset_id is None):
        raise ValueError("pass exactly one of dataset=[...] or dataset_id=...")
    if isinstance(dataset, (str, bytes, Mapping)):
        raise TypeError("dataset must be a list of {'inputs': ..., 'ground_truth': ...} rows")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"timeout must be positive seconds or None, got {timeout!r}")


def _names(evaluators: Sequence[Callable[..., Any]]) -> list[str]:
    names = [evaluator_name(each) for each in evaluators]
    doubled = sorted({name for name in names if names.count(name) > 1})
    if doubled:
        raise ValueError(f"two evaluators have the same name: {', '.join(doubled)}")
    return names


def _status(results: Sequence[DatapointResult]) -> RunStatus:
    return "failed" if results and all(r.error is not None for r in results) else "completed"


async def _settle(
    client: AsyncHoneyHive,
    tracer: Tracer,
    *,
    stop: bool,
    flush_timeout: float,
    handle: RunHandle,
    results: Sequence[DatapointResult],
    status: RunStatus,
) -> ExportReport:
    """Send every session and close the run with their ids (what is done so far), at once.

    The run's update does not wait for the sessions to be sent: it names them by id, and the
    summary is read only after both (a round trip less at the end of every run). `stop`
    closes the tracer rather than flushing it.
    """
    session_ids = [r.session_id for r in results if r.session_id is not None]
    closing = asyncio.ensure_future(
        close_run(client, handle.run_id, status=status, session_ids=session_ids)
    )
    try:
        if stop:
            report = await tracer.aclose(timeout=flush_timeout)
        else:
            report = await tracer.flush(timeout=flush_timeout)
    except BaseException:
        # Cancelled while flushing: the run is still closed (its update is already on its way).
        await asyncio.wait([closing])
        if not closing.cancelled():
            closing.exception()  # retrieved here: the flush's failure is what the caller sees
        raise
    await closing
    return report


async def _summary(
    client: AsyncHoneyHive, run_id: str, function: AggregateFunction | None
) -> RunSummary | None:
    try:
        return await client.runs.summary(run_id, aggregate_function=function)
    except HoneyHiveError as exc:
        log.warning("honeyhive: could not read the summary of run %s: %s", run_id, describe(exc))
        return None


def _opener(client: AsyncHoneyHive | None) -> ClientOpener:
    if client is None:
        return AsyncHoneyHive  # a fresh client from the environment, closed after each use
    given = client
    return lambda: borrowed(given)


async def evaluate(
    function: Callable[..., Any],
    *,
    dataset: Sequence[Mapping[str, Any]] | None = None,
    dataset_id: str | None = None,
    evaluators: Sequence[Callable[..., Any]] = (),
    name: str | None = None,
    concurrency: int = 16,
    client: AsyncHoneyHive | None = None,
    tracer: Tracer | None = None,
    run_id: str | None = None,
    timeout: float | None = None,
    passing_ranges: Mapping[str, Mapping[str, Any]] | None = None,
    metadata: Mapping[str, Any] | None = None,
    aggregate_function: AggregateFunction | None = None,
    progress: bool | None = None,
    flush_timeout: float = 30.0,
    inline_sync_evaluators: bool = False,
) -> EvaluationResult:
    """Run `function` over a dataset, score each output, and record it all as one experiment run.

    Each datapoint is one session (source ``evaluation``; ``run_id``, ``dataset_id`` and
    ``datapoint_id`` in its metadata): the function is its root ``chain`` and whatever it calls
    with ``@trace`` nests under it; each evaluator is an event of its own, run as soon as its
    datapoint is done; scores go to the session's metrics, the ground truth to its feedback.
    At most `concurrency` functions run at a time: as one returns, the next datapoint starts,
    and the finished one's evaluators run meanwhile, for at most `concurrency` datapoints
    too. Sync functions run in a thread pool of that size, sync evaluators in another, with
    the session carried into the thread. A datapoint whose function fails (or times out) is
    recorded with its error and counted; the others go on.

    The run is created ``running`` and closed ``completed`` with every session id, or
    ``failed`` when the function failed on every datapoint. Cancelled (``task.cancel()``,
    Ctrl-C), the run is closed ``cancelled`` with the datapoints finished so far, and the
    cancellation goes on. ``run_id=`` of an existing run resumes it: datapoints that already
    have a session in it are skipped (their results are read back from their sessions).

    Args:
        function: ``function(inputs)``: sync or async, or a (async) generator whose chunks
            are joined into the output.
        dataset: In-memory rows ``{"inputs": {...}, "ground_truth": ...}`` (optional ``id``);
            the dataset gets a stable ``EXT-`` id from its content, as honeyhive 1.7.0 gives.
        dataset_id: A HoneyHive dataset instead (its datapoints are read from the server).
        evaluators: ``evaluator(outputs, inputs, ground_truth)``, sync or async, returning a
            number, bool, string or ``{"score": ..., "explanation": ...}``.
        name: The run's name (and every session's); ``experiment-<run id>`` by default.
        concurrency: Functions running at once, at most (each on its own datapoint); the
            evaluators of at most as many datapoints whose function returned run beside them.
        client: The client to use; built from the environment (and closed) when omitted.
        tracer: The tracer for the sessions; by default one of its own, closed at the end.
        run_id: The run's id: an existing run is resumed, a new id names the new run.
        timeout: Seconds the function (and each evaluator) may take on one datapoint.
        passing_ranges: Per evaluator, ``{"min": ..., "max": ...}`` a passing score is in.
        metadata: The run's metadata.
        aggregate_function: How the summary aggregates (``average`` by default).
        progress: Draw the progress bar and the end table on stderr; by default only when
            stderr is a terminal.
        flush_timeout: Seconds to wait for the sessions to be sent at the end.
        inline_sync_evaluators: Call sync evaluators on the event loop, not in the thread
            pool: for quick checks (exact match, a regex) it saves a thread hand-off a
            datapoint; a slow one holds up every datapoint meanwhile, and `timeout` cannot
            stop it.

    Returns:
        The run's id, every datapoint's result, and the server's summary.
    """
    _check(dataset, dataset_id, concurrency, timeout)
    names = _names(evaluators)
    opener = _opener(client)
    async with contextlib.AsyncExitStack() as stack:
        if client is None:
            client = await stack.enter_async_context(AsyncHoneyHive())
        points: list[Datapoint]
        if dataset is not None:
            resolved_id, points = from_rows(dataset)
        else:
            assert dataset_id is not None  # _check
            resolved_id, points = dataset_id, await load_dataset(client, dataset_id)
        function_name = str(getattr(function, "__name__", None) or type(function).__name__)
        # Two pools: the evaluators of up to `concurrency` datapoints run beside as many
        # functions (`Runner`), and in one pool of that size they would wait behind them.
        pools: list[concurrent.futures.ThreadPoolExecutor] = []
        for pooled in ([function], [] if inline_sync_evaluators else evaluators):
            pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=concurrency, thread_name_prefix="honeyhive-evaluate"
            )
            # Not waited for: a sync call that timed out still holds its thread.
            stack.callback(pool.shutdown, wait=False)
            if any(in_pool(each) for each in pooled):
                # While the run is being created, not on the loop while datapoints run.
                warm(pool, min(concurrency, len(points)))
            pools.append(pool)
        handle = await open_run(
            client,
            run_id=run_id,
            name=name,
            dataset_id=resolved_id,
            datapoint_ids=[point.datapoint_id for point in points],
            configuration={
                "function": function_name,
                "evaluators": names,
                "concurrency": concurrency,
                "timeout": timeout,
            },
            metadata=metadata,
            passing_ranges=passing_ranges,
        )
        own_tracer = tracer is None
        if tracer is None:
            tracer = Tracer(
                client,
                source="evaluation",
                session_name=handle.name,
                max_queue_size=max(10_000, 20 * len(points)),
                # Export while datapoints run, not in one burst at the end: the run's wall time
                # includes sending its sessions (benchmarks/evaluate.py: the c=64 tail halves).
                flush_interval=0.05,
                # A datapoint's session usually ends within the hold: it then goes as one event
                # of a batch rather than a start and an update request of its own each.
                session_hold=_SESSION_HOLD,
                flush_at_exit=False,
                set_default=False,
            )

        def bound(target: Callable[..., Any], event_type: SpanType, label: str) -> Call:
            assert tracer is not None
            meta = _EVALUATOR_METADATA if event_type == "tool" else None
            return Call(
                target,
                tracer=tracer,
                event_type=event_type,
                name=label,
                metadata=meta,
                pool=pools[event_type == "tool"],
                timeout=timeout,
                inline=inline_sync_evaluators and event_type == "tool",
            )

        todo = [point for point in points if point.datapoint_id not in handle.previous]
        shown = sys.stderr.isatty() if progress is None else progress
        bar = Progress(f"evaluate {handle.name}", total=len(todo), unit="datapoints", enabled=shown)
        runner = Runner(
            tracer=tracer,
            function=bound(function, "chain", function_name),
            evaluators=[bound(e, "tool", n) for e, n in zip(evaluators, names, strict=True)],
            run_id=handle.run_id,
            dataset_id=resolved_id,
            session_name=handle.name,
            concurrency=concurrency,
            on_done=lambda r: bar.advance(1, failed=int(r.error is not None)),
        )

        def ordered() -> list[DatapointResult]:
            found = {**handle.previous, **runner.done}
            return [found[p.datapoint_id] for p in points if p.datapoint_id in found]

        async def finish(
            results: list[DatapointResult], status: RunStatus, *, stop: bool
        ) -> ExportReport:
            return await _settle(
                client,
                tracer,
                stop=stop,
                flush_timeout=flush_timeout,
                handle=handle,
                results=results,
                status=status,
            )

        try:
            await runner.run(todo)
        except BaseException as exc:
            bar.close()
            stopped = isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt))
            try:
                await finish(ordered(), "cancelled" if stopped else "failed", stop=own_tracer)
            except Exception as settle_exc:  # the original failure is what the caller sees
                log.warning("honeyhive: could not close run %s: %s", handle.run_id, settle_exc)
            raise
        bar.close()
        results = ordered()
        status = _status(results)
        # Flushed, not closed: the stop of a tracer of our own (its thread and client) need not
        # hold up the summary, read meanwhile. Past a flush that timed out it waits no more.
        report = await finish(results, status, stop=False)
        stopping = None
        if own_tracer:
            left = 0.0 if report.timed_out else flush_timeout
            stopping = asyncio.ensure_future(tracer.aclose(timeout=left))
        try:
            summary = await _summary(client, handle.run_id, aggregate_function)
        finally:
            if stopping is not None:
                await asyncio.wait([stopping])
        if stopping is not None:
            report = stopping.result()
        result = EvaluationResult(
            run_id=handle.run_id,
            name=handle.name,
            dataset_id=resolved_id,
            status=status,
            results=results,
            summary=summary,
            evaluators=names,
            passing_ranges={k: dict(v) for k, v in (passing_ranges or {}).items()},
            export=report,
            _open_client=opener,
        )
        if shown:
            sys.stderr.write(result.table() + "\n")
        return result
