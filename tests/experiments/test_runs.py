"""The run's lifecycle: cancellation, resume, a HoneyHive dataset, summary and compare."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from honeyhive_async import AsyncHoneyHive, EvaluationResult, evaluate
from honeyhive_async._progress import Progress
from honeyhive_async.experiments import external_dataset_id
from honeyhive_async.models import EventFilter
from honeyhive_async.server import LocalServer

from .conftest import meta, rows, run_of, tree_of

DATASET = rows(6)


class Blocking:
    """A function whose datapoints 0 and 1 return at once and the others wait until released.

    With concurrency 2, both slots are held by waiting calls once the functions of datapoints
    0 and 1 have returned (a slot is freed as its function returns, while its evaluators may
    still run): that is the moment `both_waiting` is set, with no clock involved.
    """

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.both_waiting = asyncio.Event()
        self.waiting = 0
        self.calls: list[int] = []

    async def __call__(self, inputs: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(inputs["i"])
        if inputs["i"] >= 2 and not self.release.is_set():
            self.waiting += 1
            if self.waiting == 2:
                self.both_waiting.set()
            await self.release.wait()
        return {"i": inputs["i"]}


def exact(outputs: Any, inputs: dict[str, Any], ground_truth: Any) -> bool:
    return bool(outputs["i"] == ground_truth["i"])


def _two_done(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Set once two datapoints are done (scored, their sessions closed): the bar's count."""
    done = asyncio.Event()

    class Counted(Progress):
        def advance(self, count: int, *, failed: int = 0) -> None:
            super().advance(count, failed=failed)
            if self.done >= 2:
                done.set()

    monkeypatch.setattr("honeyhive_async.experiments._evaluate.Progress", Counted)
    return done


async def _cancelled_after_two(
    client: AsyncHoneyHive, run_id: str, monkeypatch: pytest.MonkeyPatch
) -> Blocking:
    function = Blocking()
    two_done = _two_done(monkeypatch)
    task = asyncio.create_task(
        evaluate(
            function,
            dataset=DATASET,
            evaluators=[exact],
            concurrency=2,
            run_id=run_id,
            name="interrupted",
            client=client,
            progress=False,
        )
    )
    await function.both_waiting.wait()
    await two_done.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return function


async def test_cancelled_run_keeps_what_finished(
    client: AsyncHoneyHive, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = "0d9c7a8e-5a3b-4c55-9d0e-3f1a2b3c4d5e"
    function = await _cancelled_after_two(client, run_id, monkeypatch)

    assert function.calls == [0, 1, 2, 3]
    run = await run_of(client, run_id)
    assert run.status == "cancelled"
    assert len(run.event_ids) == 2
    summary = await client.runs.summary(run_id)
    # The two datapoints cancelled in flight left the run: only what finished is in it.
    assert sorted(p.session_id for p in summary.datapoints) == sorted(run.event_ids)
    dataset_id = external_dataset_id(DATASET)
    sessions = [
        event
        async for event in client.events.iter(
            filters=[
                EventFilter(field="event_type", operator="is", value="session"),
                EventFilter(field="metadata.dataset_id", operator="is", value=dataset_id),
            ]
        )
    ]
    cut = [s for s in sessions if s.event_id not in run.event_ids]
    assert len(cut) == 2
    assert all(meta(s)["cancelled_run_id"] == run_id for s in cut)
    assert all(meta(s)["run_id"] is None for s in cut)
    assert all(meta(s)["error"].startswith("CancelledError") for s in cut)


async def test_resume_skips_the_datapoints_already_done(
    client: AsyncHoneyHive, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = "6a1f0c2e-8b7d-4e3f-a1b2-c3d4e5f60718"
    first = await _cancelled_after_two(client, run_id, monkeypatch)
    done_before = (await run_of(client, run_id)).event_ids

    again = Blocking()
    again.release.set()
    result = await evaluate(
        again,
        dataset=DATASET,
        evaluators=[exact],
        run_id=run_id,
        client=client,
        progress=False,
    )

    assert first.calls[:2] == [0, 1]
    assert sorted(again.calls) == [2, 3, 4, 5]
    assert result.run_id == run_id
    assert result.name == "interrupted"  # the run keeps its name
    assert [r.resumed for r in result.results] == [True, True, False, False, False, False]
    assert [r.outputs for r in result.results] == [{"i": i} for i in range(6)]
    assert [r.scores for r in result.results] == [{"exact": True}] * 6
    assert result.results[0].ground_truth == {"i": 0}
    run = await run_of(client, run_id)
    assert run.status == "completed"
    assert run.event_ids[:2] == done_before
    assert len(run.event_ids) == 6
    assert result.summary is not None
    assert len(result.summary.datapoints) == 6
    assert len(result.summary.passed) == 6


async def test_resuming_a_finished_run_runs_nothing(client: AsyncHoneyHive) -> None:
    done = await evaluate(Blocking(), dataset=rows(2), client=client, progress=False)
    again = Blocking()

    result = await evaluate(
        again, dataset=rows(2), run_id=done.run_id, client=client, progress=False
    )

    assert again.calls == []
    assert [r.session_id for r in result.results] == [r.session_id for r in done.results]
    assert result.status == "completed"


async def test_a_dataset_on_the_server(client: AsyncHoneyHive) -> None:
    ids = [
        (await client.datapoints.create(inputs={"i": i}, ground_truth={"i": i})).datapoint_id
        for i in range(3)
    ]
    dataset = await client.datasets.create(name="golden", datapoints=ids)

    async def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        return {"i": inputs["i"]}

    result = await evaluate(
        answer,
        dataset_id=dataset.dataset_id,
        evaluators=[exact],
        client=client,
        progress=False,
    )

    assert result.dataset_id == dataset.dataset_id
    assert [r.datapoint_id for r in result.results] == ids
    assert [r.scores for r in result.results] == [{"exact": True}] * 3
    run = await run_of(client, result.run_id)
    assert run.dataset_id == dataset.dataset_id
    assert "offline_dataset_id" not in run.metadata
    session = await tree_of(client, result.results[0].session_id)
    assert meta(session)["dataset_id"] == dataset.dataset_id
    assert meta(session)["datapoint_id"] == ids[0]


async def test_an_unknown_dataset_fails_before_any_run(client: AsyncHoneyHive) -> None:
    with pytest.raises(ValueError, match="dataset not found"):
        await evaluate(lambda inputs: inputs, dataset_id="nope", client=client)


async def test_summary_and_compare_come_from_the_server(client: AsyncHoneyHive) -> None:
    def accuracy(outputs: Any, inputs: dict[str, Any], ground_truth: Any) -> float:
        return float(outputs["right"])

    async def baseline(inputs: dict[str, Any]) -> dict[str, Any]:
        return {"right": inputs["i"] == 0}

    async def improved(inputs: dict[str, Any]) -> dict[str, Any]:
        return {"right": inputs["i"] < 3}

    dataset = rows(4)
    old = await evaluate(
        baseline,
        dataset=dataset,
        evaluators=[accuracy],
        passing_ranges={"accuracy": {"min": 1}},
        client=client,
        progress=False,
    )
    new = await evaluate(
        improved,
        dataset=dataset,
        evaluators=[accuracy],
        passing_ranges={"accuracy": {"min": 1}},
        client=client,
        progress=False,
    )

    assert new.summary is not None
    assert len(new.summary.passed) == 3
    assert len(new.summary.failed) == 1
    (detail,) = new.summary.metrics.details
    assert (detail.metric_name, detail.aggregate) == ("accuracy", 0.75)
    comparison = await new.compare(old.run_id)
    (metric,) = comparison.metrics
    assert (metric.old_aggregate, metric.new_aggregate) == (0.25, 0.75)
    assert metric.difference == 0.5
    assert sorted(comparison.commonDatapoints) == sorted(r.datapoint_id for r in new.results)
    (stats,) = new.stats()
    assert (stats.mean, stats.min, stats.max, stats.passed, stats.judged) == (0.75, 0, 1, 3, 4)


async def test_compare_without_a_client_uses_the_environment(
    client: AsyncHoneyHive, honeyhive_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = await evaluate(lambda inputs: inputs, dataset=rows(1), client=client, progress=False)
    detached = EvaluationResult(**{**vars(result), "_open_client": None})
    with pytest.raises(RuntimeError):
        await detached.compare(result.run_id)
    monkeypatch.setenv("HH_API_URL", honeyhive_server.url)
    monkeypatch.setenv("HH_API_KEY", honeyhive_server.api_key)
    own = await evaluate(lambda inputs: inputs, dataset=rows(1), progress=False)
    comparison = await own.compare(result.run_id)
    assert comparison.commonDatapoints == [result.results[0].datapoint_id]


async def test_the_run_is_closed_while_its_sessions_are_sent(
    client: AsyncHoneyHive, monkeypatch: pytest.MonkeyPatch
) -> None:
    from honeyhive_async.experiments import _evaluate
    from honeyhive_async.experiments._run import close_run
    from honeyhive_async.tracing import Tracer

    closed = asyncio.Event()
    flush, aclose = Tracer.flush, Tracer.aclose

    async def recorded_close(*args: Any, **kwargs: Any) -> None:
        await close_run(*args, **kwargs)
        closed.set()

    async def flush_after_the_close(self: Tracer, timeout: float | None = 10.0) -> Any:
        # Sequential, the close would wait for this flush: the wait below would time out.
        await asyncio.wait_for(closed.wait(), 30)
        return await flush(self, timeout=timeout)

    async def aclose_after_the_close(self: Tracer, timeout: float | None = 10.0) -> Any:
        await asyncio.wait_for(closed.wait(), 30)
        return await aclose(self, timeout=timeout)

    monkeypatch.setattr(_evaluate, "close_run", recorded_close)
    monkeypatch.setattr(Tracer, "flush", flush_after_the_close)
    monkeypatch.setattr(Tracer, "aclose", aclose_after_the_close)
    result = await evaluate(
        lambda inputs: inputs["i"], dataset=rows(3), client=client, progress=False
    )

    assert result.status == "completed"
    assert result.export is not None
    assert result.export.sent == 6
    run = await run_of(client, result.run_id)
    assert run.status == "completed"
    assert sorted(run.event_ids) == sorted(r.session_id for r in result.results if r.session_id)
    # The summary is read once the sessions are there.
    assert result.summary is not None
    assert len(result.summary.datapoints) == 3


async def test_the_summary_is_read_while_the_tracer_stops(
    client: AsyncHoneyHive, monkeypatch: pytest.MonkeyPatch
) -> None:
    from honeyhive_async.experiments import _evaluate
    from honeyhive_async.tracing import Tracer

    asked = asyncio.Event()
    summary = _evaluate._summary
    aclose = Tracer.aclose
    stopped: list[Tracer] = []

    async def recorded_summary(*args: Any) -> Any:
        asked.set()
        return await summary(*args)

    async def aclose_once_the_summary_is_asked(self: Tracer, timeout: float | None = 10.0) -> Any:
        # Sequential, the summary would wait for this stop: the wait below would time out.
        await asyncio.wait_for(asked.wait(), 30)
        stopped.append(self)
        return await aclose(self, timeout=timeout)

    monkeypatch.setattr(_evaluate, "_summary", recorded_summary)
    monkeypatch.setattr(Tracer, "aclose", aclose_once_the_summary_is_asked)
    result = await evaluate(
        lambda inputs: inputs["i"], dataset=rows(3), client=client, progress=False
    )

    assert len(stopped) == 1  # the tracer evaluate made is closed before it returns
    assert stopped[0].stats().pending == 0
    assert result.export is not None
    assert result.export.sent == 6
    assert result.summary is not None
    assert len(result.summary.datapoints) == 3
