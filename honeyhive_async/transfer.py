"""Move events between a HoneyHive API and JSON Lines files (`honeyhive-async events export/import`).

Export writes each event exactly as the server sent it: a page is split into its events with
`msgspec.Raw`, so no payload is decoded or re-encoded, and the next page is fetched and split
while the current one is written (on the writer's thread, `_transfer_writer`). Memory holds at
most three pages (the last one, being written or kept to spot repeats, this one and the next
one on its way), whatever the number of events.

Resume rule: the first N complete lines of a file are the first N events of the search, in the
server's order (newest `start_time` first). `resume=True` drops a partial last line, checks that
event N of the search is still the event on line N, and continues with event N + 1. Limit: events
created or deleted inside the searched window since the file was written shift the order; the
check then fails (`TransferError`) rather than write duplicates or gaps. Pass an `until` in the
past to keep the window fixed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import msgspec

from ._jsonl import complete_lines, count_lines, open_output, write_lines
from ._pagination import send_off
from ._progress import Progress
from ._transfer_writer import PageWriter
from .errors import PartialBatchError
from .models import (
    SEARCH_MAX_LIMIT,
    CreateEventRequest,
    DateRange,
    EventFilter,
    FilterOperator,
    SearchEventsRequest,
)
from .models._base import parse_timestamp_ms
from .resources._convert import iso_utc

if TYPE_CHECKING:
    from ._client import AsyncHoneyHive

__all__ = [
    "IMPORT_BATCH_SIZE",
    "PARTIAL_RESENDS",
    "TransferError",
    "TransferResult",
    "export_events",
    "import_events",
    "parse_filter",
]

IMPORT_BATCH_SIZE = 500
"""Events per `create_batch` request on import."""

_EARLIEST = "1970-01-01T00:00:00Z"
_LATEST = "9999-12-31T23:59:59Z"
PARTIAL_RESENDS = 5
"""Tries of one import batch, each re-sending only the events the server did not create."""
# Longest first, so that "is not" is not read as "is" followed by the value "not ...".
_OPERATORS = sorted(get_args(FilterOperator), key=len, reverse=True)


class TransferError(Exception):
    """An export or import that cannot go on (a resume that no longer matches, a bad line)."""


class TransferResult(msgspec.Struct, frozen=True):
    """What a transfer did."""

    events: int
    """Events written (export) or created (import) by this run."""
    skipped: int = 0
    """Export: complete lines already in the file when resuming."""
    repeats: int = 0
    """Export: events a later page sent again (the window changed), written once."""
    window_changed: bool = False
    """Export: the number of matching events changed while exporting, so events added or
    removed meanwhile may be missing; an `until` in the past keeps the window fixed."""

    def warning(self) -> str | None:
        """What the user must know about an export whose window changed, else None."""
        if not self.window_changed:
            return None
        repeats = f" ({self.repeats} sent twice were written once)" if self.repeats else ""
        return (
            f"the matching events changed during the export{repeats}; events added or removed "
            "meanwhile may be missing: export again with --until a past time for an exact copy"
        )


class _RawPage(msgspec.Struct):
    events: list[msgspec.Raw]
    count: int | None = None
    totalEvents: int | None = None


class _EventId(msgspec.Struct):
    event_id: str


class _ExportedEvent(msgspec.Struct):
    """The fields of an exported event that `create_batch` takes back; the others are ignored."""

    event_id: str
    event_type: str
    inputs: dict[str, Any] | None = None
    session_id: str | None = None
    parent_id: str | None = None
    children_ids: list[str] | None = None
    event_name: str | None = None
    source: str | None = None
    project_id: str | None = None
    config: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    error: str | None = None
    start_time: float | str | None = None
    end_time: float | str | None = None
    duration: float | None = None
    metadata: dict[str, Any] | None = None
    feedback: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    user_properties: dict[str, Any] | None = None


_page_decoder = msgspec.json.Decoder(_RawPage)
_id_decoder = msgspec.json.Decoder(_EventId)
_line_decoder = msgspec.json.Decoder(_ExportedEvent)
_encode = msgspec.json.Encoder().encode


def parse_filter(text: str) -> EventFilter:
    """Parse ``'field operator value'`` (``'metadata.cost greater than 0.5'``) into a filter.

    The value is read as JSON when it is a number, ``true``, ``false`` or ``null``, else kept
    as text; ``exists`` and ``not exists`` take none.
    """
    field, _, rest = text.strip().partition(" ")
    rest = rest.strip()
    for operator in _OPERATORS:
        if rest == operator or rest.startswith(operator + " "):
            raw_value = rest[len(operator) :].strip()
            break
    else:
        raise ValueError(f"expected 'field operator value' with an operator of {_OPERATORS}")
    if not field:
        raise ValueError("the filter has no field")
    value: str | int | float | bool | None = raw_value
    if operator in ("exists", "not exists"):
        value = None
    else:
        try:
            decoded = json.loads(raw_value)
        except ValueError:
            decoded = raw_value
        if decoded is None or isinstance(decoded, (bool, int, float)):
            value = decoded
    return EventFilter(field=field, operator=operator, value=value)


async def export_events(
    client: AsyncHoneyHive,
    path: str | os.PathLike[str],
    *,
    filters: Sequence[EventFilter] = (),
    since: dt.datetime | str | None = None,
    until: dt.datetime | str | None = None,
    resume: bool = False,
    page_size: int = SEARCH_MAX_LIMIT,
    progress: Progress | None = None,
) -> TransferResult:
    """Write every matching event to `path` as JSON Lines, one event per line as the server sent it.

    Args:
        client: Where to read the events from.
        path: The output file; replaced unless `resume`.
        filters: Search filters, all of which must match.
        since: Only events that started at or after this time.
        until: Only events that started at or before this time.
        resume: Continue a cut-off file (see the module's resume rule).
        page_size: Events per request, 1 to 1000.
        progress: Advanced by the events written; its total is set from the first page.
    """
    if not 1 <= page_size <= SEARCH_MAX_LIMIT:
        raise ValueError(f"page_size must be 1-{SEARCH_MAX_LIMIT}, got {page_size}")
    date_range = None
    if since is not None or until is not None:
        date_range = DateRange(
            start_time=_EARLIEST if since is None else iso_utc(since),
            end_time=_LATEST if until is None else iso_utc(until),
        )
    request = SearchEventsRequest(filters=list(filters) or None, dateRange=date_range)

    async def fetch(page: int) -> bytes:
        body = _encode(msgspec.structs.replace(request, limit=page_size, page=page))
        return (await client._request("POST", "/v1/events/search", content=body)).content

    done, last_id = _resume_point(Path(path)) if resume else (0, None)
    out = open_output(Path(path), append=done > 0)
    page = 1 if done == 0 else (done - 1) // page_size + 1
    skip = 0 if done == 0 else (done - 1) % page_size + 1
    written = repeats = 0
    total: int | None = None
    changed = False
    previous: list[msgspec.Raw] = []
    if progress is not None:
        progress.skip(done)
    writer = PageWriter()
    with out:
        pending: asyncio.Task[bytes] | None = asyncio.ensure_future(fetch(page))
        try:
            while pending is not None:
                body = await pending
                pending = None
                # Once the total is known, the next request leaves before this page is
                # decoded: the decode and the write overlap the download.
                if total is not None and page * page_size < total:
                    pending = asyncio.ensure_future(fetch(page + 1))
                    await send_off(pending)
                # JSON may break lines between tokens; the file has one event per line.
                spread = b"\n" in body or b"\r" in body
                try:
                    result = _page_decoder.decode(body)
                except msgspec.DecodeError as exc:
                    raise TransferError(f"page {page} is not a page of events: {exc}") from exc
                del body  # the events (Raw) keep the bytes they need
                events = result.events
                if spread:
                    events = [msgspec.Raw(_one_line(event)) for event in events]
                page_total = result.count if result.count is not None else result.totalEvents
                moved = total is not None and page_total is not None and page_total != total
                if page_total is not None:
                    total = page_total
                    if progress is not None:
                        progress.total = total
                if last_id is not None:
                    _check_resume_point(events, skip, last_id, done)
                    last_id = None
                more = len(events) == page_size and (total is None or page * page_size < total)
                if more and pending is None:
                    pending = asyncio.ensure_future(fetch(page + 1))
                    await send_off(pending)
                elif not more and pending is not None:
                    pending.cancel()
                    pending = None
                page += 1
                fresh = events[skip:]
                skip = 0
                if moved:
                    # Events came or went in the window since the last page, so the pages
                    # shifted: this one may repeat the last one's tail (dropped here), or the
                    # shift skipped events (the result says the window changed).
                    changed = True
                    seen = {_event_id(event) for event in previous} - {None}
                    kept = [event for event in fresh if _event_id(event) not in seen]
                    repeats += len(fresh) - len(kept)
                    fresh = kept
                previous = events
                if fresh:
                    # Written on the writer's thread while this one receives and splits the
                    # next page: the loop never waits for the disk unless a page is behind.
                    await writer.write(functools.partial(write_lines, out, fresh))
                    written += len(fresh)
                    if progress is not None:
                        progress.advance(len(fresh))
            await writer.drain()
        finally:
            if pending is not None:
                pending.cancel()
            writer.close()
    return TransferResult(events=written, skipped=done, repeats=repeats, window_changed=changed)


def _event_id(event: msgspec.Raw) -> str | None:
    try:
        return _id_decoder.decode(event).event_id
    except msgspec.DecodeError:  # no id: never taken for a repeat
        return None


def _one_line(event: msgspec.Raw) -> bytes:
    return msgspec.json.format(bytes(event), indent=0)


def _check_resume_point(events: list[msgspec.Raw], index: int, last_id: str, done: int) -> None:
    found = _id_decoder.decode(events[index - 1]).event_id if len(events) >= index else None
    if found != last_id:
        raise TransferError(
            f"cannot resume: event {done} of the search is {found!r}, the file's last line is "
            f"{last_id!r}; events in the window changed since the file was written "
            "(export again, with an --until in the past to keep the window fixed)"
        )


def _resume_point(path: Path) -> tuple[int, str | None]:
    """Cut a partial last line off `path`; return its complete lines and the last one's id."""
    if not path.exists():
        return 0, None
    count, last = complete_lines(path)
    if last is None:
        return 0, None
    try:
        return count, _id_decoder.decode(last).event_id
    except msgspec.DecodeError as exc:
        raise TransferError(
            f"cannot resume: line {count} of {path} is not an event: {exc}"
        ) from exc


async def import_events(
    client: AsyncHoneyHive,
    path: str | os.PathLike[str],
    *,
    batch_size: int = IMPORT_BATCH_SIZE,
    progress: Progress | None = None,
) -> TransferResult:
    """Create every event of a JSON Lines file (as `export_events` writes) through `create_batch`.

    Events keep their ids, so importing a file twice stores each event once. A batch the server
    creates only partly is completed by re-sending only the events it did not create.

    Raises:
        TransferError: a line is not an event, or a batch stays partly created.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if progress is not None and progress.total is None:
        progress.total = count_lines(Path(path))
    created = 0
    for batch in _read_batches(Path(path), batch_size):
        await _send(client, batch)
        created += len(batch)
        if progress is not None:
            progress.advance(len(batch))
    return TransferResult(events=created)


async def _send(client: AsyncHoneyHive, batch: list[CreateEventRequest]) -> None:
    pending = batch
    for _ in range(PARTIAL_RESENDS):
        try:
            await client.events.create_batch(pending)
            return
        except PartialBatchError as exc:
            if not exc.uncreated:
                return
            pending = exc.uncreated
    raise TransferError(f"{len(pending)} events still uncreated after {PARTIAL_RESENDS} tries")


def _read_batches(path: Path, size: int) -> Iterator[list[CreateEventRequest]]:
    batch: list[CreateEventRequest] = []
    with open(path, "rb") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            batch.append(_to_request(line, number))
            if len(batch) == size:
                yield batch
                batch = []
    if batch:
        yield batch


def _to_request(line: bytes, number: int) -> CreateEventRequest:
    try:
        event = _line_decoder.decode(line)
        fields = msgspec.structs.asdict(event)
        fields["inputs"] = event.inputs if event.inputs is not None else {}
        fields["start_time"] = parse_timestamp_ms(event.start_time)
        fields["end_time"] = parse_timestamp_ms(event.end_time)
        if event.error is None:
            del fields["error"]  # unset, as the event had no error
        return msgspec.convert(fields, CreateEventRequest)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise TransferError(f"line {number}: not an event to import: {exc}") from exc
