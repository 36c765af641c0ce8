"""`evaluate` end to end on the local server: functions, evaluators, sessions, the run, failures."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from honeyhive_async import AsyncHoneyHive, evaluate, trace
from honeyhive_async.server import LocalServer

from .conftest import meta, rows, run_of, shape, tree_of


@trace(event_type="tool")
async def retrieve(query: int) -> list[str]:
    return [f"doc-{query}"]


@trace(event_type="model")
def complete(prompt: str) -> str:
    return prompt.upper()


def exact(outputs: Any, inputs: dict[str, Any], ground_truth: Any) -> bool:
    return bool(outputs["i"] == ground_truth["i"])


async def closeness(outputs: Any, inputs: dict[str, Any], ground_truth: Any) -> dict[str, Any]:
    return {"score": 1.0 if outputs["i"] == ground_truth["i"] else 0.25, "explanation": "distance"}


async def test_async_function_with_sync_and_async_evaluators(
    client: AsyncHoneyHive, honeyhive_server: LocalServer
) -> None:
    async def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        docs = await retrieve(inputs["i"])
        complete(docs[0])
        return {"i": inputs["i"] if inputs["i"] != 2 else 99}

    result = await evaluate(
        answer,
        dataset=rows(3),
        evaluators=[exact, closeness],
        name="prompt v2",
        client=client,
        progress=False,
    )

    assert result.status == "completed"
    assert [r.outputs for r in result.results] == [{"i": 0}, {"i": 1}, {"i": 99}]
    assert [r.scores["exact"] for r in result.results] == [True, True, False]
    assert result.results[0].scores == {
        "exact": True,
        "closeness": 1.0,
        "closeness_explanation": "distance",
    }
    assert [r.error for r in result.results] == [None, None, None]
    assert [r.ground_truth for r in result.results] == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert result.export is not None
    assert (result.export.sent, result.export.dropped) == (3 * 6, {})

    run = await run_of(client, result.run_id)
    assert (run.name, run.status) == ("prompt v2", "completed")
    assert run.event_ids == [r.session_id for r in result.results]
    assert run.metadata == {"offline_dataset_id": result.dataset_id}
    assert run.configuration["evaluators"] == ["exact", "closeness"]

    session = await tree_of(client, result.results[2].session_id)
    assert (session.event_name, session.source) == ("prompt v2", "evaluation")
    assert session.inputs == {"i": 2}
    assert session.outputs == {"i": 99}
    assert session.feedback == {"ground_truth": {"i": 2}}
    assert session.metrics == {
        "exact": False,
        "closeness": 0.25,
        "closeness_explanation": "distance",
    }
    assert {k: meta(session)[k] for k in ("run_id", "dataset_id", "datapoint_id")} == {
        "run_id": result.run_id,
        "dataset_id": result.dataset_id,
        "datapoint_id": result.results[2].datapoint_id,
    }
    tree = shape(session)
    # The function is the root chain, its own traced calls nest under it; each evaluator is
    # an event of the session (they run concurrently: their order is not fixed).
    assert tree[:4] == [
        (0, "session", "prompt v2"),
        (1, "chain", "answer"),
        (2, "tool", "retrieve"),
        (2, "model", "complete"),
    ]
    assert sorted(tree[4:]) == [(1, "tool", "closeness"), (1, "tool", "exact")]
    evaluator_events = [e for e in session.walk() if e.event_name in ("exact", "closeness")]
    assert all(meta(e).get("evaluator") is True for e in evaluator_events)
    assert all(e.source == "evaluation" for e in session.walk())

    summary = result.summary
    assert summary is not None
    assert summary.passed == [r.datapoint_id for r in result.results[:2]]
    assert summary.failed == [result.results[2].datapoint_id]
    creates = [r for r in honeyhive_server.requests if (r.method, r.path) == ("POST", "/v1/runs")]
    assert [r.json()["status"] for r in creates] == ["running"]


async def test_sync_function_runs_in_a_worker_thread_in_the_session(
    client: AsyncHoneyHive,
) -> None:
    caller = contextvars.ContextVar("caller", default="unset")
    caller.set("the caller's value")
    seen: list[tuple[int, str]] = []

    def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        seen.append((threading.get_ident(), caller.get()))
        return {"i": inputs["i"], "text": complete("hi")}

    result = await evaluate(
        answer, dataset=rows(2), evaluators=[exact], client=client, progress=False
    )

    assert [r.scores for r in result.results] == [{"exact": True}, {"exact": True}]
    assert {value for _, value in seen} == {"the caller's value"}
    assert threading.get_ident() not in {thread for thread, _ in seen}
    tree = await tree_of(client, result.results[0].session_id)
    assert shape(tree) == [
        (0, "session", tree.event_name),
        (1, "chain", "answer"),
        (2, "model", "complete"),
        (1, "tool", "exact"),
    ]


async def test_generators_outputs_are_their_chunks_joined(client: AsyncHoneyHive) -> None:
    def words(inputs: dict[str, Any]) -> Iterator[str]:
        yield "a"
        yield str(inputs["i"])

    async def numbers(inputs: dict[str, Any]) -> AsyncIterator[int]:
        yield inputs["i"]
        yield inputs["i"] + 1

    texts = await evaluate(words, dataset=rows(2), client=client, progress=False)
    lists = await evaluate(numbers, dataset=rows(2), client=client, progress=False)

    assert [r.outputs for r in texts.results] == ["a0", "a1"]
    assert [r.outputs for r in lists.results] == [[0, 1], [1, 2]]
    session = await tree_of(client, texts.results[1].session_id)
    assert session.outputs == {"result": "a1"}
    assert shape(session)[1] == (1, "chain", "words")


async def test_a_failing_datapoint_is_recorded_and_the_others_go_on(
    client: AsyncHoneyHive,
) -> None:
    scored: list[int] = []

    async def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        if inputs["i"] == 1:
            raise ValueError("no answer for 1")
        return {"i": inputs["i"]}

    def tracked(outputs: Any, inputs: dict[str, Any], ground_truth: Any) -> int:
        scored.append(inputs["i"])
        return 1

    result = await evaluate(
        answer, dataset=rows(3), evaluators=[tracked], client=client, progress=False
    )

    assert result.status == "completed"
    assert [r.error for r in result.results] == [None, "ValueError: no answer for 1", None]
    assert [r.datapoint_id for r in result.failed] == [result.results[1].datapoint_id]
    assert sorted(scored) == [0, 2]  # no evaluator runs on a failed datapoint
    assert result.results[1].scores == {}
    session = await tree_of(client, result.results[1].session_id)
    assert meta(session)["error"] == "ValueError: no answer for 1"
    assert session.children[0].error == "ValueError: no answer for 1"
    run = await run_of(client, result.run_id)
    assert len(run.event_ids) == 3


async def test_a_failing_evaluator_is_recorded_and_the_others_score(
    client: AsyncHoneyHive,
) -> None:
    async def flaky(outputs: Any, inputs: dict[str, Any], ground_truth: Any) -> float:
        if inputs["i"] == 0:
            raise RuntimeError("judge unavailable")
        return 0.5

    async def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        return {"i": inputs["i"]}

    result = await evaluate(
        answer, dataset=rows(2), evaluators=[flaky, exact], client=client, progress=False
    )

    first, second = result.results
    assert first.evaluator_errors == {"flaky": "RuntimeError: judge unavailable"}
    assert first.scores == {"exact": True}
    assert (second.evaluator_errors, second.scores) == ({}, {"flaky": 0.5, "exact": True})
    assert first.error is None
    assert result.evaluator_failures == 1
    assert result.status == "completed"
    session = await tree_of(client, first.session_id)
    (event,) = [e for e in session.walk() if e.event_name == "flaky"]
    assert event.error == "RuntimeError: judge unavailable"
    assert meta(session)["evaluator_errors"] == {"flaky": "RuntimeError: judge unavailable"}


async def test_the_run_fails_when_every_datapoint_fails(client: AsyncHoneyHive) -> None:
    def answer(inputs: dict[str, Any]) -> None:
        raise KeyError("missing")

    result = await evaluate(answer, dataset=rows(3), client=client, progress=False)

    assert result.status == "failed"
    assert len(result.failed) == 3
    run = await run_of(client, result.run_id)
    assert run.status == "failed"
    assert run.event_ids == [r.session_id for r in result.results]


async def test_a_datapoint_past_its_timeout_fails_alone(client: AsyncHoneyHive) -> None:
    never = asyncio.Event()

    async def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        if inputs["i"] == 0:
            await never.wait()  # never set: only the timeout ends this call
        return {"i": inputs["i"]}

    # The evaluator is async and never suspends, as the other answer: a deadline is only
    # checked at an await, so however loaded the machine, only datapoint 0 can run out of time
    # (a sync evaluator's thread hand-off could outlast 10 ms under load).
    async def exact_now(outputs: Any, inputs: dict[str, Any], ground_truth: Any) -> bool:
        return exact(outputs, inputs, ground_truth)

    result = await evaluate(
        answer, dataset=rows(2), evaluators=[exact_now], timeout=0.01, client=client, progress=False
    )

    assert result.results[0].error == "TimeoutError: answer took longer than 0.01 s"
    assert result.results[1].scores == {"exact_now": True}
    session = await tree_of(client, result.results[0].session_id)
    assert meta(session)["error"] == result.results[0].error
    assert session.children[0].event_name == "answer"
    assert session.children[0].error is not None  # the call was cancelled at the timeout


async def test_concurrency_bound_is_reached_and_never_exceeded(client: AsyncHoneyHive) -> None:
    in_flight = 0
    most = 0
    full = asyncio.Event()

    async def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        if in_flight == 3:
            full.set()
        await full.wait()  # the first calls wait until the bound is reached
        await asyncio.sleep(0)
        in_flight -= 1
        return {"i": inputs["i"]}

    result = await evaluate(answer, dataset=rows(12), concurrency=3, client=client, progress=False)

    assert most == 3
    assert len(result.results) == 12


async def test_sync_functions_share_a_pool_of_concurrency_threads(client: AsyncHoneyHive) -> None:
    lock = threading.Lock()
    in_flight = 0
    most = 0
    threads: set[int] = set()

    def answer(inputs: dict[str, Any]) -> int:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
            threads.add(threading.get_ident())
        with lock:
            in_flight -= 1
        return int(inputs["i"])

    result = await evaluate(answer, dataset=rows(20), concurrency=2, client=client, progress=False)

    assert [r.outputs for r in result.results] == list(range(20))
    assert most <= 2
    assert len(threads) <= 2


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({}, ValueError),
        ({"dataset": [], "dataset_id": "d"}, ValueError),
        ({"dataset": "rows"}, TypeError),
        ({"dataset": [], "concurrency": 0}, ValueError),
        ({"dataset": [], "timeout": 0}, ValueError),
        ({"dataset": [], "evaluators": [exact, exact]}, ValueError),
        ({"dataset": [1]}, TypeError),
    ],
)
async def test_bad_arguments_fail_before_any_run(
    client: AsyncHoneyHive, honeyhive_server: LocalServer, kwargs: dict[str, Any], error: type
) -> None:
    with pytest.raises(error):
        await evaluate(lambda inputs: inputs, client=client, **kwargs)
    assert [r for r in honeyhive_server.requests if r.path.startswith("/v1/runs")] == []


async def test_a_session_ended_within_the_hold_goes_as_one_event_of_a_batch(
    client: AsyncHoneyHive, honeyhive_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Datapoint 1 waits until a batch has reached the server: the exporter took a chunk while
    # its session was open. Held, its start went neither then nor on its own later.
    monkeypatch.setattr("honeyhive_async.experiments._evaluate._SESSION_HOLD", 3600.0)
    batch_arrived = honeyhive_server.faults.delay_next(0, path="/v1/events/batch")

    async def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        if inputs["i"] == 1:
            await batch_arrived.wait_hit()
        return {"i": inputs["i"]}

    result = await evaluate(
        answer,
        dataset=rows(2),
        evaluators=[exact],
        concurrency=1,
        timeout=30,
        client=client,
        progress=False,
    )

    assert result.status == "completed"
    assert [r.error for r in result.results] == [None, None]
    assert result.export is not None
    assert (result.export.sent, result.export.dropped) == (6, {})
    paths = [r.path for r in honeyhive_server.requests]
    assert "/v1/sessions" not in paths
    run = await run_of(client, result.run_id)
    assert run.event_ids == [r.session_id for r in result.results]
    for r in result.results:
        session = await client.session.get(str(r.session_id))
        assert session.metrics == {"exact": True}
