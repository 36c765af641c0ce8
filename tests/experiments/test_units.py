"""Pure parts of experiments: ids, scores into metrics, statistics, the end table, the bar; and
the request shapes of loading a dataset and opening a run (aioresponses)."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import aioresponses
import pytest

from honeyhive_async import AsyncHoneyHive
from honeyhive_async._progress import Progress
from honeyhive_async.experiments import (
    DatapointResult,
    EvaluationResult,
    external_datapoint_id,
    external_dataset_id,
)
from honeyhive_async.experiments._dataset import from_rows, load_dataset
from honeyhive_async.experiments._run import open_run
from honeyhive_async.experiments._scoring import evaluator_name, metrics_of, stats_for

from ..conftest import MOCK_URL

ROWS: list[dict[str, Any]] = [
    {"inputs": {"q": "What is 2+2?"}, "ground_truth": {"a": "4"}},
    {"inputs": {"q": "Capital of France?"}, "ground_truth": {"a": "Paris"}},
    {"id": "dp-7", "inputs": {"q": "x"}},
]


def test_ids_are_those_honeyhive_1_7_0_gives() -> None:
    # Pinned from honeyhive 1.7.0's experiments.utils.prepare_external_dataset on these rows.
    dataset_id, points = from_rows(ROWS)
    assert dataset_id == "EXT-523155e56a626d2e"
    assert [p.datapoint_id for p in points] == [
        "EXT-b056c5bd2fa7b50d",
        "EXT-ab5b3c186b9ad7b9",
        "EXT-dp-7",
    ]
    assert external_dataset_id(ROWS[:1], "my-set") == "EXT-my-set"
    assert external_datapoint_id({"datapoint_id": "EXT-9"}, 0) == "EXT-9"
    assert [(p.inputs, p.ground_truth) for p in points] == [
        ({"q": "What is 2+2?"}, {"a": "4"}),
        ({"q": "Capital of France?"}, {"a": "Paris"}),
        ({"q": "x"}, None),
    ]


def test_from_rows_ids_are_those_of_the_public_id_functions() -> None:
    # from_rows dumps each row once and joins the texts for the dataset's hash.
    rows: list[dict[str, Any]] = [
        {"inputs": {"b": [1, {"z": 2, "a": None}], "a": 'é"\\'}, "ground_truth": 3.5},
        {"id": "x", "inputs": {}},
        {"inputs": {"q": ""}, "ground_truth": [True, False]},
    ]
    for each in (rows, rows[:1], []):
        dataset_id, points = from_rows(each)
        assert dataset_id == external_dataset_id(each)
        assert [p.datapoint_id for p in points] == [
            external_datapoint_id(row, i) for i, row in enumerate(each)
        ]


def test_ids_follow_the_content() -> None:
    changed = [dict(ROWS[0], ground_truth={"a": "5"}), *ROWS[1:]]
    assert from_rows(changed)[0] != from_rows(ROWS)[0]
    assert from_rows(list(ROWS))[0] == from_rows(ROWS)[0]


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        ([{"id": "a", "inputs": {}}, {"id": "a", "inputs": {}}], ValueError),
        ([{"inputs": ["not", "a", "mapping"]}], TypeError),
    ],
)
def test_bad_rows_are_refused(rows: list[dict[str, Any]], error: type) -> None:
    with pytest.raises(error):
        from_rows(rows)


@pytest.mark.parametrize(
    ("value", "metrics"),
    [
        (True, {"m": True}),
        (0.5, {"m": 0.5}),
        ("good", {"m": "good"}),
        ([3], {"m": 3}),
        (None, {}),
        ([1, 2], {}),
        (float("nan"), {}),
        (
            {"score": 0.9, "explanation": "close", "tokens": 12},
            {"m": 0.9, "m_explanation": "close", "m_tokens": 12},
        ),
        ({"score": [1], "label": "x", "raw": {"nested": 1}}, {"m_label": "x"}),
    ],
)
def test_an_evaluator_return_value_becomes_metrics(value: Any, metrics: dict[str, Any]) -> None:
    assert metrics_of("m", value) == metrics


def test_an_evaluator_is_named_by_its_name_attribute_or_function_name() -> None:
    class Judge:
        name = "judge"

        def __call__(self, *args: Any) -> int:
            return 1

    def plain(*args: Any) -> int:
        return 1

    assert (evaluator_name(Judge()), evaluator_name(plain)) == ("judge", "plain")


def test_stats_with_and_without_a_passing_range() -> None:
    ranged = stats_for("a", [0.2, 0.9, 1.0, "n/a"], {"min": 0.5})
    assert (ranged.count, ranged.judged, ranged.passed) == (4, 3, 2)
    assert ranged.mean == pytest.approx(0.7)
    assert (ranged.min, ranged.max) == (0.2, 1.0)
    assert ranged.pass_rate == pytest.approx(2 / 3)
    booleans = stats_for("b", [True, False, True, True])
    assert (booleans.mean, booleans.passed, booleans.pass_rate) == (0.75, 3, 0.75)
    numbers = stats_for("c", [1, 2])
    assert (numbers.passed, numbers.pass_rate) == (None, None)
    empty = stats_for("d", [])
    assert (empty.mean, empty.min, empty.pass_rate) == (None, None, None)


def test_the_end_table() -> None:
    results = [
        DatapointResult("d1", {}, scores={"exact": True, "score": 0.9}),
        DatapointResult("d2", {}, scores={"exact": False, "score": 0.4}),
        DatapointResult("d3", {}, error="ValueError: boom", evaluator_errors={"score": "x"}),
    ]
    result = EvaluationResult(
        run_id="r1",
        name="nightly",
        dataset_id="EXT-1",
        status="completed",
        results=results,
        summary=None,
        evaluators=["exact", "score"],
        passing_ranges={"score": {"min": 0.5}},
    )

    lines = result.table().splitlines()

    assert [line.split()[:5] for line in lines[:3]] == [
        ["evaluator", "n", "mean", "min", "max"],
        ["exact", "2", "0.5", "0", "1"],
        ["score", "2", "0.65", "0.4", "0.9"],
    ]
    assert lines[1].endswith("50% (1/2)")
    assert lines[2].endswith("50% (1/2) (>= 0.5)")
    assert lines[3] == "run 'nightly' (r1) completed: 3 datapoints, 1 failed, 1 evaluator errors"
    assert lines[4] == "  d3: ValueError: boom"


def test_the_progress_bar_counts_datapoints_and_failures() -> None:
    stream = io.StringIO()
    now = [0.0]
    bar = Progress(
        "evaluate x", total=4, unit="datapoints", stream=stream, enabled=True, clock=lambda: now[0]
    )
    now[0] = 2.0
    bar.advance(1)
    bar.advance(1, failed=1)
    assert bar.line() == (
        "evaluate x  [############............]  2/4 datapoints  1/s  ETA 2s  1 failed"
    )
    silent = io.StringIO()
    quiet = Progress("evaluate", total=1, stream=silent, unit="datapoints")
    quiet.advance(1)
    quiet.close()
    assert silent.getvalue() == ""  # not a terminal: nothing drawn


async def test_loading_a_dataset_reads_it_and_its_datapoints_in_order(
    mock_api: aioresponses.aioresponses, mock_client: AsyncHoneyHive
) -> None:
    mock_api.get(
        re.compile(r".*/v1/datasets\?.*"),
        payload={"datasets": [{"id": "ds1", "name": "golden", "datapoints": ["b", "a", "gone"]}]},
    )
    mock_api.get(
        re.compile(r".*/v1/datapoints\?.*"),
        payload={
            "datapoints": [
                {"id": "a", "inputs": {"q": 1}, "ground_truth": {"a": 1}},
                {"id": "b", "inputs": {"q": 2}},
            ]
        },
    )

    points = await load_dataset(mock_client, "ds1")

    assert [(p.datapoint_id, p.inputs, p.ground_truth) for p in points] == [
        ("b", {"q": 2}, None),
        ("a", {"q": 1}, {"a": 1}),
    ]
    (dataset_call,) = [k for k in mock_api.requests if "/v1/datasets" in str(k[1])]
    assert str(dataset_call[1]) == f"{MOCK_URL}/v1/datasets?dataset_id=ds1"
    (datapoint_call,) = [k for k in mock_api.requests if "/v1/datapoints" in str(k[1])]
    assert sorted(datapoint_call[1].query.getall("datapoint_ids[]")) == ["a", "b", "gone"]


def _run_body(run_id: str) -> dict[str, Any]:
    return {"evaluation": {"id": run_id, "run_id": run_id, "name": "x"}, "run_id": run_id}


async def test_a_new_run_is_created_running_with_the_official_sdk_s_fields(
    mock_api: aioresponses.aioresponses, mock_client: AsyncHoneyHive
) -> None:
    run_id = "8f0e6a4c-1234-4d6b-9abc-0123456789ab"
    mock_api.get(f"{MOCK_URL}/v1/runs/{run_id}", status=404, payload={"message": "not found"})
    mock_api.post(f"{MOCK_URL}/v1/runs", payload=_run_body(run_id))

    handle = await open_run(
        mock_client,
        run_id=run_id,
        name=None,
        dataset_id="EXT-abc",
        datapoint_ids=["EXT-1", "EXT-2"],
        configuration={"function": "answer"},
        metadata={"team": "search"},
        passing_ranges={"exact": {"min": 1}},
    )

    assert (handle.run_id, handle.name, handle.previous) == (run_id, "experiment-8f0e6a4c", {})
    ((_, sent),) = [(k, v) for k, v in mock_api.requests.items() if k[0] == "POST"]
    assert json.loads(sent[0].kwargs["data"]) == {
        "run_id": run_id,
        "name": "experiment-8f0e6a4c",
        "status": "running",
        "metadata": {"team": "search", "offline_dataset_id": "EXT-abc"},
        "event_ids": [],
        "configuration": {"function": "answer"},
        "datapoint_ids": ["EXT-1", "EXT-2"],
        "passing_ranges": {"exact": {"min": 1.0}},
    }
