"""Running datapoints: one session each, at most `concurrency` at a time, evaluators at once.

A datapoint's session is opened on the tracer (source ``evaluation``, the run, dataset and
datapoint ids in its metadata, the ground truth in its feedback); the function runs inside it
as the root ``chain``; as soon as it returns, the evaluators run concurrently, each its own
event under the session, and their scores go to the session's metrics. A failure (the function
raising or timing out, an evaluator raising) is recorded and counted; it never stops another
datapoint. Cancelled, a datapoint's session is taken out of the run (``metadata.run_id`` set
to null, ``cancelled_run_id`` kept) so that the run holds only what finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
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


class Runner:
    """Runs datapoints through the function and the evaluators, within one run.

    Args:
        tracer: Opens the datapoints' sessions.
        function: The traced function.
        evaluators: The traced evaluators.
        run_id: The run every session joins.
        dataset_id: The dataset's id (``EXT-...`` for an in-memory one).
        session_name: Name of every datapoint's session (the run's name).
        concurrency: Datapoints in flight at most.
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
        self.done: dict[str, DatapointResult] = {}
        """Results of the datapoints finished so far, by datapoint id (read after a cancel)."""

    async def run(self, points: Sequence[Datapoint]) -> None:
        """Run every datapoint; on cancellation, cancel those in flight and wait for them."""
        slots = asyncio.Semaphore(self._concurrency)
        tasks: set[asyncio.Task[None]] = set()

        async def guarded(point: Datapoint) -> None:
            try:
                await self._one(point)
            except Exception:  # a bug of ours on one datapoint must not stop the others
                log.exception("honeyhive: datapoint %s could not be run", point.datapoint_id)
            finally:
                slots.release()

        try:
            for point in points:
                # Acquired before the task exists: never more tasks than slots.
                await slots.acquire()
                task = asyncio.create_task(guarded(point))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            while tasks:
                await asyncio.wait(set(tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(set(tasks))
            raise

    async def _one(self, point: Datapoint) -> None:
        result = await self._traced(point)
        self.done[point.datapoint_id] = result
        with contextlib.suppress(Exception):  # a failing progress bar must not fail the run
            self._on_done(result)

    async def _traced(self, point: Datapoint) -> DatapointResult:
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
                await self._evaluate(point, session, result)
            except asyncio.CancelledError:
                session.update(metadata={"run_id": None, "cancelled_run_id": self._run_id})
                raise
        return result

    async def _evaluate(self, point: Datapoint, session: Session, result: DatapointResult) -> None:
        if point.ground_truth is not None:
            session.update(feedback={"ground_truth": point.ground_truth})
        try:
            result.outputs = await self._function(point.inputs)
        except Exception as exc:
            result.error = describe(exc)
            # A session update has no `error` field: it goes with the metadata.
            session.update(metadata={"error": result.error})
            return
        session.update(outputs=_as_outputs(result.outputs))
        if not self._evaluators:
            return
        outcomes = await asyncio.gather(
            *(each(result.outputs, point.inputs, point.ground_truth) for each in self._evaluators),
            return_exceptions=True,
        )
        for evaluator, outcome in zip(self._evaluators, outcomes, strict=True):
            if isinstance(outcome, Exception):
                result.evaluator_errors[evaluator.name] = describe(outcome)
            elif isinstance(outcome, BaseException):
                raise outcome  # cancellation, KeyboardInterrupt: not an evaluator's failure
            else:
                result.scores.update(metrics_of(evaluator.name, outcome))
        if result.scores:
            session.update(metrics=result.scores)
        if result.evaluator_errors:
            session.update(metadata={"evaluator_errors": result.evaluator_errors})
