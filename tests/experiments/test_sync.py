"""`evaluate_sync` with and without a running loop, stopping it from the caller, and the bar."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from honeyhive_async import AsyncHoneyHive, evaluate, evaluate_sync
from honeyhive_async.experiments._sync import _Worker
from honeyhive_async.server import LocalServer

from ..tracing.conftest import ThreadedServer
from .conftest import rows


@pytest.fixture
def threaded_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    """The local server on a thread of its own: the test's thread blocks in evaluate_sync."""
    with ThreadedServer() as server:
        monkeypatch.setenv("HH_API_URL", server.url)
        monkeypatch.setenv("HH_API_KEY", server.api_key)
        yield server


def exact(outputs: Any, inputs: dict[str, Any], ground_truth: Any) -> bool:
    return bool(outputs == ground_truth)


def test_evaluate_sync_in_a_script(threaded_server: LocalServer) -> None:
    async def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        return {"i": inputs["i"]}

    result = evaluate_sync(answer, dataset=rows(3), evaluators=[exact], progress=False)

    assert result.status == "completed"
    assert [r.scores for r in result.results] == [{"exact": True}] * 3
    assert result.summary is not None
    assert len(result.summary.passed) == 3


def test_evaluate_sync_inside_a_running_loop(threaded_server: LocalServer) -> None:
    threads: set[int] = set()

    def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        threads.add(threading.get_ident())
        return {"i": inputs["i"]}

    async def notebook_cell() -> Any:
        # As in Jupyter: sync code called while the cell's loop runs.
        async with AsyncHoneyHive() as client:
            await client.session.start(session_name="used on this loop first")
            return evaluate_sync(answer, dataset=rows(2), client=client, progress=False)

    result = asyncio.run(notebook_cell())

    assert [r.outputs for r in result.results] == [{"i": 0}, {"i": 1}]
    assert threading.get_ident() not in threads
    assert result.status == "completed"


def test_stopping_evaluate_sync_s_worker_closes_the_run_cancelled(
    threaded_server: LocalServer,
) -> None:
    started = threading.Event()

    async def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        started.set()
        await asyncio.Event().wait()  # never set: only the cancellation ends it
        return inputs

    run_id = "3c2b1a09-8f7e-4d6c-b5a4-93827160f5e4"
    worker = _Worker(answer, {"dataset": rows(2), "run_id": run_id, "progress": False})
    worker.start()
    started.wait()
    worker.cancel()  # what Ctrl-C in evaluate_sync does
    worker.join()

    assert isinstance(worker.error, asyncio.CancelledError)

    async def status() -> str | None:
        async with AsyncHoneyHive() as client:
            return (await client.runs.get(run_id)).evaluation.status

    assert asyncio.run(status()) == "cancelled"


async def test_the_bar_and_the_end_table_go_to_stderr(
    honeyhive_server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    async def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        if inputs["i"] == 1:
            raise ValueError("boom")
        return {"i": inputs["i"]}

    async with AsyncHoneyHive(honeyhive_server.api_key, base_url=honeyhive_server.url) as client:
        await evaluate(
            answer, dataset=rows(2), evaluators=[exact], name="n", client=client, progress=True
        )
        quiet = await evaluate(answer, dataset=rows(1), client=client)  # stderr: not a terminal

    out, err = capsys.readouterr()
    assert out == ""
    assert "2/2 datapoints" in err
    assert "1 failed" in err
    lines = err.split("\n")
    assert lines[-4].split() == ["exact", "1", "1", "1", "1", "100%", "(1/1)"]
    assert lines[-3].endswith("completed: 2 datapoints, 1 failed, 0 evaluator errors")
    assert lines[-2].endswith(": ValueError: boom")
    assert lines[-1] == ""
    assert err.count("run '") == 1  # the second evaluate drew nothing
    assert quiet.status == "completed"
