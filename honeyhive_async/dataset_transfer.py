"""Move a dataset and its datapoints between a HoneyHive API and a JSON Lines file.

The file's first line is the dataset as the API returned it; each following line is one of its
datapoints, in the dataset's order. Import makes a new dataset holding new copies of the
datapoints (the API chooses the ids of both); `linked_event` is kept as it was.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from ._progress import Progress
from .models import Datapoint, Dataset
from .transfer import TransferError

if TYPE_CHECKING:
    from ._client import AsyncHoneyHive

__all__ = ["DatasetTransferResult", "export_dataset", "import_dataset"]

_encode = msgspec.json.Encoder().encode
_dataset_decoder = msgspec.json.Decoder(Dataset)
_datapoint_decoder = msgspec.json.Decoder(Datapoint)


class DatasetTransferResult(msgspec.Struct, frozen=True):
    """What a dataset transfer did."""

    dataset_id: str
    """The dataset exported, or the new dataset made by an import."""
    datapoints: int
    missing: tuple[str, ...] = ()
    """Export: ids the dataset lists that the API has no datapoint for (not in the file)."""

    def warning(self) -> str | None:
        """What the user must know about an export that missed datapoints, else None."""
        if not self.missing:
            return None
        return (
            f"{len(self.missing)} datapoints the dataset lists were not found and are not in "
            f"the file: {', '.join(self.missing)}"
        )


async def export_dataset(
    client: AsyncHoneyHive,
    dataset_id: str,
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
) -> DatasetTransferResult:
    """Write dataset `dataset_id` and its datapoints, in its order, to `path` (replaced).

    Raises:
        TransferError: there is no such dataset.
    """
    listed = await client.datasets.list(dataset_id=dataset_id)
    if not listed:
        raise TransferError(f"no dataset {dataset_id!r}")
    dataset = listed[0]
    wanted = list(dict.fromkeys(dataset.datapoints))
    if progress is not None:
        progress.total = len(wanted)
    found = {item.id: item for item in await client.datapoints.list(datapoint_ids=wanted)}
    # The file keeps the dataset's order, whatever order the API answers in.
    datapoints = [found[datapoint_id] for datapoint_id in wanted if datapoint_id in found]
    _write_lines(Path(path), [_encode(dataset), *(_encode(item) for item in datapoints)])
    if progress is not None:
        progress.advance(len(datapoints))
    missing = tuple(datapoint_id for datapoint_id in wanted if datapoint_id not in found)
    return DatasetTransferResult(dataset.id, len(datapoints), missing)


async def import_dataset(
    client: AsyncHoneyHive, path: str | os.PathLike[str], *, progress: Progress | None = None
) -> DatasetTransferResult:
    """Create a new dataset with copies of the datapoints of a file `export_dataset` wrote.

    Raises:
        TransferError: the file is empty or a line is not a dataset / datapoint.
    """
    lines = _read_lines(Path(path))
    if not lines:
        raise TransferError(f"{path}: empty file, expected a dataset on the first line")
    try:
        dataset = _dataset_decoder.decode(lines[0])
        datapoints = [_datapoint_decoder.decode(line) for line in lines[1:]]
    except msgspec.DecodeError as exc:
        raise TransferError(f"{path}: not a dataset export: {exc}") from exc
    if progress is not None:
        progress.total = len(datapoints)
    ids: list[str] = []
    for datapoint in datapoints:
        created = await client.datapoints.create(
            inputs=datapoint.inputs,
            history=datapoint.history,
            ground_truth=datapoint.ground_truth,
            metadata=datapoint.metadata,
            linked_event=datapoint.linked_event,
        )
        ids.append(created.datapoint_id)
        if progress is not None:
            progress.advance(1)
    made = await client.datasets.create(
        name=dataset.name, description=dataset.description, datapoints=ids
    )
    return DatasetTransferResult(dataset_id=made.dataset_id, datapoints=len(ids))


def _write_lines(path: Path, lines: list[bytes]) -> None:
    with open(path, "wb") as out:
        for line in lines:
            out.write(line + b"\n")


def _read_lines(path: Path) -> list[bytes]:
    with open(path, "rb") as file:
        return [line for line in file if line.strip()]
