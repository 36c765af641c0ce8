"""Case 8: an experiment: a function over a dataset with two evaluators, as fast as the work allows.

The same workload for every contender: N datapoints (500; 40 with ``--quick``), a function that
calls two traced children (a tool that returns at once, and a fake LLM that awaits 50 ms), and
two evaluators (one sync, one async). Wall time is the whole call, from the run's creation to
its summary (sessions sent included), against the ideal bound N x 50 ms / concurrency. Each
contender runs in a process of its own (``--peer``), as OpenTelemetry-based SDKs install
global state:

* ``ours``: `honeyhive_async.evaluate` at concurrency 10 (honeyhive 1.7.0's default worker
  count), 16 (our default) and 64, against `LocalServer` (SQLite, its own process). Events
  delivered: what the exporter's report counts as sent (6 a datapoint: the session, the
  function's chain, its two children, the two evaluators). Each run also logs the CPU seconds
  the client process (every thread) and the server process used during the call. At 64 it
  also runs with ``inline_sync_evaluators=True`` (its sync evaluator on the loop, no thread
  hand-off a datapoint), reported as a row of its own.
* ``honeyhive``: honeyhive 1.7.0 `evaluate` at its defaults (``max_workers=10``) against the
  same `LocalServer`, which serves its ``/session/start``, OTLP span export and run routes;
  events delivered are what the server stored.
* ``langsmith``: langsmith `aevaluate` with ``max_concurrency=16`` (its default, 0, runs one
  datapoint at a time), tracing to the loopback stand-in the tracing cases use (``sink``);
  events delivered: the runs its client posted there.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import logging
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from ._out import args, emit, log, num
from ._timer import perf
from .servers import proc_cpu_seconds, serve

LATENCY = 0.05
EVENTS_PER_DATAPOINT = {"ours": 6, "honeyhive": 4, "langsmith": 5}
"""Events one datapoint makes: ours and langsmith record each evaluator as an event (langsmith
has no session event); honeyhive 1.7.0 writes the scores onto the function's span."""
OUR_CONFIGS = ((10, False), (16, False), (64, False), (64, True))
"""(concurrency, inline_sync_evaluators) of each of our rows."""
LANGSMITH_CONCURRENCY = 16
SDK_WORKERS = 10  # honeyhive 1.7.0 evaluate's default max_workers


def dataset(n: int) -> list[dict[str, Any]]:
    return [
        {"inputs": {"question": f"question {i}"}, "ground_truth": {"answer": f"answer {i}"}}
        for i in range(n)
    ]


def sync_exact(outputs: Any, _inputs: Any, ground_truth: Any) -> bool:
    return bool(outputs["answer"] == ground_truth["answer"])


async def async_length(outputs: Any, _inputs: Any, _ground_truth: Any) -> float:
    return float(len(outputs["answer"]))


def _row(
    peer: str, name: str, concurrency: int, n: int, runs: list[dict[str, Any]], note: str
) -> dict[str, Any]:
    walls = [r["wall"] for r in runs]
    ideal = n * LATENCY / concurrency
    return {
        "name": name,
        "concurrency": concurrency,
        "n": n,
        "wall": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "ideal": ideal,
        "delivered": statistics.median(r["delivered"] for r in runs),
        "expected": n * EVENTS_PER_DATAPOINT[peer],
        "failed": statistics.median(r.get("failed", 0) for r in runs),
        # The client process's CPU seconds a run (ours only): the loop, exporter and pool threads.
        "cpu": statistics.median(r["cpu"] for r in runs) if all("cpu" in r for r in runs) else None,
        "note": note,
    }


# -- ours -------------------------------------------------------------------------------------


def _ours_name(concurrency: int, inline: bool) -> str:
    extra = ", sync evaluator inline" if inline else ""
    return f"honeyhive_async evaluate (c={concurrency}{extra})"


async def _ours_once(
    url: str, key: str, n: int, concurrency: int, inline: bool = False
) -> dict[str, Any]:
    from honeyhive_async import AsyncHoneyHive, evaluate, trace

    @trace(event_type="tool")
    def retrieve(question: str) -> list[str]:
        return [f"doc for {question}"]

    @trace(event_type="model")
    async def fake_llm(prompt: str) -> str:
        await asyncio.sleep(LATENCY)
        return prompt.replace("question", "answer").split(" |")[0]

    async def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        docs = retrieve(inputs["question"])
        return {"answer": await fake_llm(f"{inputs['question']} | {docs[0]}")}

    # Named only when set: this case then runs as is against a tree from before the option
    # (the base of an A/B).
    options: dict[str, Any] = {"inline_sync_evaluators": True} if inline else {}
    async with AsyncHoneyHive(key, base_url=url) as client:
        cpu0 = time.process_time()
        t0 = perf()
        result = await evaluate(
            answer,
            dataset=dataset(n),
            evaluators=[sync_exact, async_length],
            name=f"bench c={concurrency}",
            concurrency=concurrency,
            client=client,
            progress=False,
            **options,
        )
        wall = perf() - t0
        cpu = time.process_time() - cpu0
    assert result.export is not None
    return {"wall": wall, "cpu": cpu, "delivered": result.export.sent, "failed": len(result.failed)}


def run_ours(
    n: int, rounds: int, configs: tuple[tuple[int, bool], ...] = OUR_CONFIGS
) -> list[dict[str, Any]]:
    from honeyhive_async.server import LOCAL_API_KEY

    runs: dict[tuple[int, bool], list[dict[str, Any]]] = {each: [] for each in configs}
    with serve("local") as (url, server_pid):
        for _ in range(rounds):
            for concurrency, inline in configs:  # round-robin: a noisy spell hits all
                server0 = proc_cpu_seconds(server_pid)
                one = asyncio.run(_ours_once(url, LOCAL_API_KEY, n, concurrency, inline))
                server_cpu = proc_cpu_seconds(server_pid) - server0
                runs[concurrency, inline].append(one)
                log(
                    f"{_ours_name(concurrency, inline)}: {one['wall']:.3f} s,"
                    f" {one['delivered']} events,"
                    f" cpu client {one['cpu']:.3f} s server {server_cpu:.2f} s"
                )
    return [
        _row("ours", _ours_name(c, inline), c, n, rs, "LocalServer")
        for (c, inline), rs in runs.items()
    ]


# -- honeyhive 1.7.0 --------------------------------------------------------------------------


async def _count_events(url: str, key: str) -> int:
    from honeyhive_async import AsyncHoneyHive

    async with AsyncHoneyHive(key, base_url=url) as client:
        page = await client.events.search(limit=1)
        return int(page.total or 0)


def run_honeyhive(n: int, rounds: int) -> list[dict[str, Any]]:
    from honeyhive import trace
    from honeyhive.experiments import evaluate

    from honeyhive_async.server import LOCAL_API_KEY

    @trace(event_type="tool")
    def retrieve(question: str) -> list[str]:
        return [f"doc for {question}"]

    @trace(event_type="model")
    async def fake_llm(prompt: str) -> str:
        await asyncio.sleep(LATENCY)
        return prompt.replace("question", "answer").split(" |")[0]

    async def answer(datapoint: dict[str, Any]) -> dict[str, Any]:
        inputs = datapoint["inputs"]
        docs = retrieve(inputs["question"])
        return {"answer": await fake_llm(f"{inputs['question']} | {docs[0]}")}

    # Its per-datapoint log lines go nowhere here (the count of events the server stored says
    # what arrived).
    logging.disable(logging.CRITICAL)
    runs = []
    with serve("local") as (url, _):
        for _ in range(rounds):
            before = asyncio.run(_count_events(url, LOCAL_API_KEY))
            quiet = io.StringIO()
            t0 = perf()
            with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                evaluate(
                    answer,
                    dataset=dataset(n),
                    evaluators=[sync_exact, async_length],
                    api_key=LOCAL_API_KEY,
                    server_url=url,
                    name="bench 1.7.0",
                )
            wall = perf() - t0
            stored = asyncio.run(_count_events(url, LOCAL_API_KEY)) - before
            runs.append({"wall": wall, "delivered": stored})
            log(f"honeyhive 1.7.0: {wall:.3f} s, {stored} events stored")
    note = "LocalServer (session start, OTLP/JSON spans, run routes)"
    return [_row("honeyhive", "honeyhive 1.7.0 evaluate (defaults)", SDK_WORKERS, n, runs, note)]


# -- langsmith --------------------------------------------------------------------------------


def run_langsmith(n: int, rounds: int) -> list[dict[str, Any]]:
    import langsmith
    from langsmith import aevaluate, traceable
    from langsmith.schemas import Example, TracerSession

    @traceable(run_type="tool")
    def retrieve(question: str) -> list[str]:
        return [f"doc for {question}"]

    @traceable(run_type="llm")
    async def fake_llm(prompt: str) -> str:
        await asyncio.sleep(LATENCY)
        return prompt.replace("question", "answer").split(" |")[0]

    async def answer(inputs: dict[str, Any]) -> dict[str, Any]:
        docs = retrieve(inputs["question"])
        return {"answer": await fake_llm(f"{inputs['question']} | {docs[0]}")}

    def exact(outputs: dict[str, Any], reference_outputs: dict[str, Any]) -> bool:
        return bool(outputs["answer"] == reference_outputs["answer"])

    async def length(outputs: dict[str, Any]) -> float:
        return float(len(outputs["answer"]))

    dataset_id = uuid.uuid4()
    examples = [
        Example(
            id=uuid.uuid4(),
            dataset_id=dataset_id,
            inputs=row["inputs"],
            outputs=row["ground_truth"],
        )
        for row in dataset(n)
    ]
    runs = []
    with serve("sink") as (url, _):
        for _ in range(rounds):
            client = langsmith.Client(api_url=url, api_key="ls_bench_dummy")
            # The stand-in answers `{}` to everything: the experiment (a TracerSession) is made
            # here rather than read back from it.
            experiment = TracerSession(
                id=uuid.uuid4(),
                tenant_id=uuid.uuid4(),
                reference_dataset_id=dataset_id,
                name=f"bench-{uuid.uuid4().hex[:8]}",
                start_time=dt.datetime.now(dt.timezone.utc),
            )

            t0 = perf()

            async def go(client: langsmith.Client = client, experiment: Any = experiment) -> Any:
                return await aevaluate(
                    answer,
                    data=examples,
                    evaluators=[exact, length],
                    max_concurrency=LANGSMITH_CONCURRENCY,
                    client=client,
                    experiment=experiment,
                )

            before = _posted(url)
            asyncio.run(go())
            client.flush()
            wall = perf() - t0
            posted = _posted(url) - before
            runs.append({"wall": wall, "delivered": posted})
            log(f"langsmith aevaluate: {wall:.3f} s, {posted} runs posted")
    note = f"tracing to the loopback stand-in (sink); max_concurrency={LANGSMITH_CONCURRENCY}"
    return [
        _row(
            "langsmith",
            f"langsmith aevaluate (max_concurrency={LANGSMITH_CONCURRENCY})",
            LANGSMITH_CONCURRENCY,
            n,
            runs,
            note,
        )
    ]


def _posted(url: str) -> int:
    """Runs the langsmith client has posted to the stand-in so far."""
    import httpx

    return int(httpx.get(f"{url}/_sink/runs").json()["posted"])


PEERS: dict[str, Callable[[int, int], list[dict[str, Any]]]] = {
    "ours": run_ours,
    "honeyhive": run_honeyhive,
    "langsmith": run_langsmith,
}


def rows_and_metrics(rows: list[dict[str, Any]]) -> tuple[list[list[Any]], dict[str, float]]:
    """Table rows for every contender, and the bars' metrics (ours against the ideal and 1.7.0)."""
    by_name = {r["name"]: r for r in rows}
    metrics: dict[str, float] = {}
    for c, inline in OUR_CONFIGS:
        ours = by_name.get(_ours_name(c, inline))
        if ours:
            key = f"evaluate.ours.c{c}{'.inline' if inline else ''}.over_ideal"
            metrics[key] = ours["wall"] / ours["ideal"]
    sdk = by_name.get("honeyhive 1.7.0 evaluate (defaults)")
    same = by_name.get(f"honeyhive_async evaluate (c={SDK_WORKERS})")
    if sdk and same:
        metrics["evaluate.sdk_over_ours"] = sdk["wall"] / same["wall"]
    table_rows = [
        [
            r["name"],
            f"{r['n']:,}",
            f"{num(r['wall'], 2)} ({num(r['min'], 2)}-{num(r['max'], 2)})",
            num(r["ideal"], 3),
            f"{r['wall'] / r['ideal']:.2f}x",
            f"{int(r['delivered']):,} / {r['expected']:,}",
            r["note"],
        ]
        for r in rows
    ]
    return table_rows, metrics


HEADERS = [
    "contender",
    "datapoints",
    "wall s, median (min-max)",
    "ideal s (N x 50 ms / concurrency)",
    "wall / ideal",
    "events delivered / made",
    "against",
]


def main(argv: list[str] | None = None) -> None:
    # --concurrency (ours only: a comma list, e.g. 16,64,64i; "i": sync evaluators inline) and
    # --rounds are for A/B runs by hand.
    opts = args(argv, peer="ours", concurrency="", rounds="")
    started = time.monotonic()
    n = 40 if opts.quick else 500
    rounds = 1 if opts.quick else 3
    if opts.peer == "honeyhive":
        rounds = 1  # tens of seconds a run: once is enough to show the gap
    rounds = int(opts.rounds) if opts.rounds else rounds
    if opts.peer == "ours" and opts.concurrency:
        chosen = tuple((int(c.rstrip("i")), c.endswith("i")) for c in opts.concurrency.split(","))
        rows = run_ours(n, rounds, chosen)
    else:
        rows = PEERS[opts.peer](n, rounds)
    log(f"evaluate --peer {opts.peer}: {time.monotonic() - started:.0f}s")
    emit([], {}, evaluate={"peer": opts.peer, "rows": rows})


if __name__ == "__main__":
    main(sys.argv[1:])
