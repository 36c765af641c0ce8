"""An experiment run's life on the server: created running, resumed, closed with its sessions.

Bodies follow honeyhive 1.7.0 (`experiments/utils.py` `prepare_run_request_data`): an ``EXT-``
dataset id goes to ``metadata.offline_dataset_id`` and `dataset_id` stays unset (HoneyHive's
backend rejects a dataset id it does not store); a HoneyHive dataset's id goes to `dataset_id`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError
from ..models import EventFilter
from ._dataset import EXTERNAL_PREFIX
from ._result import DatapointResult

if TYPE_CHECKING:
    from .._client import AsyncHoneyHive
    from ..models import Event, RunStatus

__all__ = ["RunHandle", "close_run", "open_run"]


@dataclass
class RunHandle:
    """A run being evaluated: its id and name, and what an earlier call already did."""

    run_id: str
    name: str
    previous: dict[str, DatapointResult] = field(default_factory=dict)
    """Datapoints done by an earlier call of this run, by datapoint id."""


def _unwrapped(outputs: Any) -> Any:
    # Non-dict outputs are stored as {"result": value} (as @trace records them).
    if isinstance(outputs, dict) and list(outputs) == ["result"]:
        return outputs["result"]
    return outputs


def _from_session(event: Event) -> DatapointResult | None:
    metadata = event.metadata or {}
    datapoint_id = metadata.get("datapoint_id")
    if not isinstance(datapoint_id, str):
        return None
    feedback = event.feedback or {}
    error = metadata.get("error")
    return DatapointResult(
        datapoint_id=datapoint_id,
        inputs=dict(event.inputs or {}),
        outputs=_unwrapped(event.outputs),
        ground_truth=feedback.get("ground_truth"),
        scores=dict(event.metrics or {}),
        error=error if isinstance(error, str) else None,
        session_id=event.event_id,
        resumed=True,
    )


async def _earlier(
    client: AsyncHoneyHive, run_id: str, session_ids: Sequence[str]
) -> dict[str, DatapointResult]:
    """The datapoints of the sessions a run lists, read back from their session events."""
    listed = set(session_ids)
    if not listed:
        return {}
    filters = [
        EventFilter(field="event_type", operator="is", value="session"),
        EventFilter(field="metadata.run_id", operator="is", value=run_id),
    ]
    found: dict[str, DatapointResult] = {}
    async for event in client.events.iter(filters=filters):
        if event.event_id in listed:
            result = _from_session(event)
            if result is not None:
                found.setdefault(result.datapoint_id, result)
    return found


async def open_run(
    client: AsyncHoneyHive,
    *,
    run_id: str | None,
    name: str | None,
    dataset_id: str,
    datapoint_ids: list[str],
    configuration: dict[str, Any],
    metadata: Mapping[str, Any] | None,
    passing_ranges: Mapping[str, Mapping[str, Any]] | None,
) -> RunHandle:
    """Resume run `run_id` if the server has it, else create it (status ``running``)."""
    if run_id is not None:
        try:
            existing = (await client.runs.get(run_id)).evaluation
        except NotFoundError:
            existing = None
        if existing is not None:
            previous = await _earlier(client, run_id, existing.event_ids)
            await client.runs.update(run_id, status="running")
            return RunHandle(run_id, name or existing.name or f"experiment-{run_id[:8]}", previous)
    # Made here, not by the server: the default name carries it, as honeyhive 1.7.0's does.
    run_id = run_id or str(uuid.uuid4())
    run_name = name or f"experiment-{run_id[:8]}"
    run_metadata = dict(metadata or {})
    external = dataset_id.startswith(EXTERNAL_PREFIX)
    if external:
        run_metadata["offline_dataset_id"] = dataset_id
    created = await client.runs.create(
        name=run_name,
        run_id=run_id,
        status="running",
        dataset_id=None if external else dataset_id,
        event_ids=[],
        datapoint_ids=datapoint_ids,
        configuration=configuration,
        metadata=run_metadata,
        passing_ranges=passing_ranges,
    )
    return RunHandle(created.run_id, run_name)


async def close_run(
    client: AsyncHoneyHive, run_id: str, *, status: RunStatus, session_ids: list[str]
) -> None:
    """Set the run's final status and the sessions of every datapoint done."""
    await client.runs.update(run_id, status=status, event_ids=session_ids)
