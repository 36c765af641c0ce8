"""The datapoints an experiment runs over: in-memory rows with stable ids, or a HoneyHive dataset.

An in-memory dataset gets the ids honeyhive 1.7.0 gives it (`experiments/utils.py`), so the same
rows evaluated by either SDK land on the same dataset and datapoints: ``EXT-`` plus the first 16
hex digits of the SHA-256 of the rows as ``json.dumps(..., sort_keys=True)``; a datapoint's id
hashes its row followed by its index, unless the row names its own ``id``/``datapoint_id``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._client import AsyncHoneyHive

__all__ = [
    "EXTERNAL_PREFIX",
    "Datapoint",
    "external_datapoint_id",
    "external_dataset_id",
    "from_rows",
    "load_dataset",
]

EXTERNAL_PREFIX = "EXT-"
"""Marks a dataset (or datapoint) that lives with the user, not in HoneyHive."""

_sorted_json = json.JSONEncoder(sort_keys=True).encode
"""``json.dumps(value, sort_keys=True)``, without building an encoder per call (a row each)."""


@dataclass(frozen=True)
class Datapoint:
    """One row to evaluate: its id, the function's inputs and the expected answer."""

    datapoint_id: str
    inputs: dict[str, Any]
    ground_truth: Any = None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _prefixed(custom: str) -> str:
    return custom if custom.startswith(EXTERNAL_PREFIX) else f"{EXTERNAL_PREFIX}{custom}"


def external_dataset_id(rows: Sequence[Mapping[str, Any]], custom_id: str | None = None) -> str:
    """The ``EXT-`` id of an in-memory dataset: a hash of its rows (honeyhive 1.7.0's rule)."""
    if custom_id:
        return _prefixed(custom_id)
    return EXTERNAL_PREFIX + _digest(json.dumps(list(rows), sort_keys=True))


def external_datapoint_id(row: Mapping[str, Any], index: int) -> str:
    """The ``EXT-`` id of one row: its own ``id``/``datapoint_id``, else a hash of row and index."""
    return _datapoint_id(row, index, None)


def _datapoint_id(row: Mapping[str, Any], index: int, dumped: str | None) -> str:
    custom = row.get("id") or row.get("datapoint_id")
    if custom:
        return _prefixed(str(custom))
    text = _sorted_json(row) if dumped is None else dumped
    return EXTERNAL_PREFIX + _digest(f"{text}{index}")


def from_rows(rows: Sequence[Mapping[str, Any]]) -> tuple[str, list[Datapoint]]:
    """The dataset id and datapoints of in-memory rows (``{"inputs": ..., "ground_truth": ...}``).

    Raises:
        TypeError: A row is not a mapping, or its inputs are not one.
        ValueError: Two rows have the same id.
    """
    points = []
    # Each row's JSON text, made once: its id's hash and the dataset's both use it (joined as
    # `json.dumps` joins a list's items, they are the text of the whole list).
    dumped = []
    for index, row in enumerate(rows):
        if type(row) is not dict and not isinstance(row, Mapping):
            raise TypeError(f"dataset[{index}] must be a mapping, got {type(row).__name__}")
        inputs = row.get("inputs", {})
        if type(inputs) is not dict and not isinstance(inputs, Mapping):
            raise TypeError(f"dataset[{index}]['inputs'] must be a mapping")
        dumped.append(_sorted_json(row))
        point_id = _datapoint_id(row, index, dumped[-1])
        points.append(Datapoint(point_id, dict(inputs), row.get("ground_truth")))
    ids = [point.datapoint_id for point in points]
    if len(set(ids)) != len(ids):
        raise ValueError("two datapoints of the dataset have the same id")
    return EXTERNAL_PREFIX + _digest(f"[{', '.join(dumped)}]"), points


async def load_dataset(client: AsyncHoneyHive, dataset_id: str) -> list[Datapoint]:
    """The datapoints of a HoneyHive dataset, in the dataset's order.

    Raises:
        ValueError: There is no such dataset.
    """
    found = await client.datasets.list(dataset_id=dataset_id)
    dataset = next((each for each in found if each.id == dataset_id), None)
    if dataset is None:
        raise ValueError(f"dataset not found: {dataset_id}")
    if not dataset.datapoints:
        return []
    # One request per 100 ids (the client batches them), not one per datapoint.
    rows = await client.datapoints.list(datapoint_ids=list(dataset.datapoints))
    by_id = {row.id: row for row in rows}
    # A datapoint deleted since it was linked is skipped, not an error: the rest still runs.
    return [
        Datapoint(row.id, dict(row.inputs), row.ground_truth)
        for row in (by_id.get(each) for each in dict.fromkeys(dataset.datapoints))
        if row is not None
    ]
