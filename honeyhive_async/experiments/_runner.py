"""Running datapoints: one session each, at most `concurrency` functions at a time, evaluators after.

A datapoint's session is opened on the tracer (source ``evaluation``, the run, dataset and
datapoint ids in its metadata, the ground truth in its feedback); the function runs inside it
as the root ``chain``; as soon as it returns, the evaluators run concurrently, each its own
event under the session, and their scores go to the session's metrics. A failure (the function
raising or timing out, an evaluator raising) is recorded and counted; it never stops another
datapoint. Cancelled, a datapoint's session is taken out of the run (``metadata.run_id`` set
to null, ``cancelled_run_id`` kept) so that the run holds only what finished.

A datapoint gives its place to the next one as its function returns, before its evaluators
run: when many functions' awaits end together (an LLM call's latency), the next ones start
first and the scoring runs while they wait, rather than every next start waiting for every
scoring (benchmarks/evaluate.py at concurrency 64: a next start 0.5 ms after the function's
return rather than 3 ms, the median; wall time over the ideal 1.20x rather than 1.23x).
The evaluators of at most `concurrency` datapoints run at once: one whose function returned
while all those places are taken keeps its own place until one frees.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._call import Call, describe
from ._dataset import Datapoint
from ._result import DatapointResult
from ._scoring import metrics_of

if TYPE_CHECKING:
    from ..tracing import Session, Tracer

__all__ = ["Runner"]

log = logging.getLogger("honeyhive_async.experiments")


def _as_outputs(value: Any) -> dict[str, Any]:
    # Session outputs are an object on the wire: anything else is wrapped as @trace does.
    return value if isinstance(value, dict) else {"result": value}


class _Slot:
    """A datapoint's place among the functions in flight: freed once, starting the next one."""

    __slots__ = ("_free",)

    def __init__(self, free: Callable[[], None]) -> None:
        self._free: Callable[[], None] | None = free

    def free(self) -> None:
        free, self._free = self._free, None
        if free is not None:
            free()


class Runner:
    """Runs datapoints through the function and the evaluators, within one run.

    Args:
        tracer: Opens the datapoints' sessions.
        function: The traced function.
        evaluators: The traced evaluators.
        run_id: The run every session joins.
        dataset_id: The dataset's id (``EXT-...`` for an in-memory one).
        session_name: Name of every datapoint's session (the run's name).
        concurrency: Functions running at once at most, and datapoints being scored at most.
        on_done: Called with each finished datapoint's result (the progress bar).
    """

    def __init__(
        self,
        *,
        tracer: Tracer,
        function: Call,
        evaluators: Sequence[Call],
        run_id: str,
        dataset_id: str,
        session_name: str,
        concurrency: int,
        on_done: Callable[[DatapointResult], None],
    ) -> None:
        self._tracer = tracer
        self._function = function
        self._evaluators = list(evaluators)
        self._run_id = run_id
        self._dataset_id = dataset_id
        self._session_name = session_name
        self._concurrency = concurrency
        self._on_done = on_done
        self._scoring = asyncio.Semaphore(concurrency)
        self.done: dict[str, DatapointResult] = {}
        """Results of the datapoints finished so far, by datapoint id (read after a cancel)."""

    async def run(self, points: Sequence[Datapoint]) -> None:
        """Run every datapoint; on cancellation, cancel those in flight and wait for them."""
        # A datapoint's task starts the next one as its function returns (`_Slot.free`): no
        # semaphore, and this task wakes once at the end rather than once a datapoint.
        loop = asyncio.get_running_loop()
        waiting = iter(points)
        tasks: set[asyncio.Task[None]] = set()
        finished: asyncio.Future[None] = loop.create_future()
        stopping = False
        owed = 0
        launching = False
        # Every datapoint starts in a copy of the caller's context, not in that of the
        # datapoint whose slot it takes (its session current, what its function set).
        context = contextvars.copy_context()

        def launch() -> None:
            nonlocal owed, launching
            owed += 1
            if launching:  # an eager task factory ran a datapoint to its end: a loop, not a stack
                return
            launching = True
            try:
                while owed:
                    owed -= 1
                    point = None if stopping else next(waiting, None)
                    if point is None:
                        continue
                    slot = _Slot(launch)
                    task = context.run(loop.create_task, self._guarded(point, slot))
                    tasks.add(task)
                    task.add_done_callback(functools.partial(landed, slot))
            finally:
                launching = False

        def landed(slot: _Slot, task: asyncio.Task[None]) -> None:
            tasks.discard(task)
            slot.free()  # ended before its function returned (cancelled): its place goes on
            if not tasks and not finished.done():
                finished.set_result(None)

        for _ in range(max(1, min(self._concurrency, len(points)))):
            launch()
        if not tasks and not finished.done():
            finished.set_result(None)
        try:
            await finished
        except BaseException:
            stopping = True
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(set(tasks))
            raise

    async def _guarded(self, point: Datapoint, slot: _Slot) -> None:
        try:
            result = await self._traced(point, slot)
        except Exception:  # a bug of ours on one datapoint must not stop the others
            log.exception("honeyhive: datapoint %s could not be run", point.datapoint_id)
            return
        self.done[point.datapoint_id] = result
        with contextlib.suppress(Exception):  # a failing progress bar must not fail the run
            self._on_done(result)

    async def _traced(self, point: Datapoint, slot: _Slot) -> DatapointResult:
        result = DatapointResult(point.datapoint_id, point.inputs, ground_truth=point.ground_truth)
        metadata = {
            "run_id": self._run_id,
            "dataset_id": self._dataset_id,
            "datapoint_id": point.datapoint_id,
        }
        scope = self._tracer.session(
            self._session_name, inputs=point.inputs, metadata=metadata, source="evaluation"
        )
        with scope as session:
            result.session_id = session.event_id
            try:
                await self._evaluate(point, session, result, slot)
            except asyncio.CancelledError:
                session.update(metadata={"run_id": None, "cancelled_run_id": self._run_id})
                raise
        return result

    async def _evaluate(
        self, point: Datapoint, session: Session, result: DatapointResult, slot: _Slot
    ) -> None:
        if point.ground_truth is not None:
            session.update(feedback={"ground_truth": point.ground_truth})
        try:
            outputs = await self._function(point.inputs)
        except Exception as exc:
            slot.free()
            result.error = describe(exc)
            # A session update has no `error` field: it goes with the metadata.
            session.update(metadata={"error": result.error})
            return
        async with self._scoring:
            slot.free()
            # The next datapoint's task was queued behind those woken with this one; two
            # rounds of the loop later, they have all started (run to their first await):
            # this datapoint's evaluators and session updates come after, off their path.
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            result.outputs = outputs
            session.update(outputs=_as_outputs(outputs))
            if not self._evaluators:
                return
            outcomes = await self._score(outputs, point)
        for evaluator in self._evaluators:
            outcome = outcomes[evaluator.name]
            if isinstance(outcome, Exception):
                result.evaluator_errors[evaluator.name] = describe(outcome)
            else:
                result.scores.update(metrics_of(evaluator.name, outcome))
        if result.scores:
            session.update(metrics=result.scores)
        if result.evaluator_errors:
            session.update(metadata={"evaluator_errors": result.evaluator_errors})

    async def _score(self, outputs: Any, point: Datapoint) -> dict[str, Any]:
        """Every evaluator's return value or exception, by name; they all run at once.

        The pool's ones start first, then the async ones but the last in tasks of their own,
        then the inline ones are called here; the last async one runs in this task, awaited
        first: fewer tasks than one an evaluator. They share one deadline, as they start
        together (an inline call is over before it is checked).
        """
        args = (outputs, point.inputs, point.ground_truth)
        evaluators = self._evaluators
        timeout = evaluators[0].timeout
        deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
        here = next((e for e in reversed(evaluators) if not (e.in_pool or e.inline)), None)
        running: dict[str, Awaitable[Any]] = {}
        outcomes: dict[str, Any] = {}
        for evaluator in evaluators:
            if evaluator.in_pool:
                running[evaluator.name] = evaluator.start(*args)
            elif evaluator is not here and not evaluator.inline:
                call = evaluator.finish(evaluator.start(*args), deadline)
                running[evaluator.name] = asyncio.ensure_future(call)
        try:
            for evaluator in evaluators:
                if evaluator.inline:
                    try:
                        value = evaluator.call_inline(*args)
                    except Exception as exc:
                        outcomes[evaluator.name] = exc
                        continue
                    if inspect.isawaitable(value):  # a sync callable's coroutine
                        running[evaluator.name] = value
                    else:
                        outcomes[evaluator.name] = value
            if here is not None:
                try:
                    outcomes[here.name] = await here.finish(here.start(*args), deadline)
                except Exception as exc:
                    outcomes[here.name] = exc
            for evaluator in evaluators:
                if evaluator is here or evaluator.name in outcomes:
                    continue
                waited = running[evaluator.name]
                if evaluator.in_pool or evaluator.inline:
                    waited = evaluator.finish(waited, deadline)
                try:
                    outcomes[evaluator.name] = await waited
                except Exception as exc:
                    outcomes[evaluator.name] = exc
        except BaseException:  # cancelled, KeyboardInterrupt: not an evaluator's failure
            tasks = [each for each in running.values() if isinstance(each, asyncio.Future)]
            for each in tasks:
                each.cancel()
            own = [each for each in tasks if isinstance(each, asyncio.Task)]
            if own:
                await asyncio.wait(own)  # their events end inside the session
            for left in running.values():
                if inspect.iscoroutine(left):
                    left.close()  # an inline call's coroutine never awaited: no warning
            raise
        return outcomes
