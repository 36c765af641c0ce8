"""`honeyhive_async.transfer` and `dataset_transfer`: export, resume and import against the local server."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from aioresponses import aioresponses

from honeyhive_async import AsyncHoneyHive, _jsonl, transfer
from honeyhive_async._progress import Progress
from honeyhive_async.dataset_transfer import export_dataset, import_dataset
from honeyhive_async.models import EventFilter
from honeyhive_async.server import LocalServer
from honeyhive_async.transfer import (
    TransferError,
    export_events,
    import_events,
    parse_filter,
)
from tests.page_server import PageServer

# The exact round trip at 100,000 events takes ~25 s on 2 cores; the suite checks 10,000 and
# the 100,000 check runs in `benchmarks/transfer.py` (its `exact` field).
ROUND_TRIP_EVENTS = 10_000
RSS_EVENTS = 100_000
START_MS = 1_700_000_000_000


def _events(count: int, *, start: int = START_MS) -> list[dict[str, Any]]:
    session_id = str(uuid.uuid4())
    kinds = ("model", "tool", "chain")
    return [
        {
            "event_id": str(uuid.uuid4()),
            "session_id": session_id,
            "event_type": kinds[i % 3],
            "event_name": f"step-{i}",
            "inputs": {"question": f"q{i} é \u2603", "n": i},
            "outputs": {"answer": [i, None, {"nested": True}]},
            "metadata": {"cost": i / 7, "tag": "even" if i % 2 == 0 else "odd"},
            "error": "boom" if i % 50 == 0 else None,
            "start_time": start + i,
            "end_time": start + i + 25,
        }
        for i in range(count)
    ]


async def _seed(client: AsyncHoneyHive, events: list[dict[str, Any]]) -> None:
    for first in range(0, len(events), 1000):
        await client.events.create_batch(events[first : first + 1000])


def _by_id(path: Path) -> dict[str, Any]:
    with open(path, "rb") as file:
        return {event["event_id"]: event for event in map(msgspec.json.decode, file)}


@pytest.fixture
async def source(honeyhive_server: LocalServer) -> AsyncIterator[AsyncHoneyHive]:
    async with AsyncHoneyHive(honeyhive_server.api_key, base_url=honeyhive_server.url) as client:
        yield client


@pytest.fixture
async def target() -> AsyncIterator[AsyncHoneyHive]:
    async with (
        LocalServer() as server,
        AsyncHoneyHive(server.api_key, base_url=server.url) as client,
    ):
        yield client


# -- filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("event_type is model", EventFilter(field="event_type", operator="is", value="model")),
        ("event_type is not model", EventFilter("event_type", "is not", "model")),
        ("metadata.cost greater than 0.5", EventFilter("metadata.cost", "greater than", 0.5)),
        ("metadata.n is 3", EventFilter("metadata.n", "is", 3)),
        ("metadata.ok is true", EventFilter("metadata.ok", "is", True)),
        ("error exists", EventFilter("error", "exists", None)),
        ("error not exists", EventFilter("error", "not exists", None)),
        ("event_name contains a b", EventFilter("event_name", "contains", "a b")),
    ],
)
def test_parse_filter(text: str, expected: EventFilter) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize("text", ["", "event_type", "event_type equals model", " is model"])
def test_parse_filter_rejects_what_is_not_field_operator_value(text: str) -> None:
    with pytest.raises(ValueError, match="field"):
        parse_filter(text)


# -- export --------------------------------------------------------------------------------


async def test_round_trip_is_exact_event_by_event(
    source: AsyncHoneyHive, target: AsyncHoneyHive, tmp_path: Path
) -> None:
    await _seed(source, _events(ROUND_TRIP_EVENTS))
    exported = await export_events(source, tmp_path / "a.jsonl")
    imported = await import_events(target, tmp_path / "a.jsonl")
    again = await export_events(target, tmp_path / "b.jsonl")
    assert exported.events == imported.events == again.events == ROUND_TRIP_EVENTS
    first, second = _by_id(tmp_path / "a.jsonl"), _by_id(tmp_path / "b.jsonl")
    assert len(first) == ROUND_TRIP_EVENTS
    assert first == second


async def test_export_applies_filters_and_the_time_window(
    source: AsyncHoneyHive, tmp_path: Path
) -> None:
    events = _events(30)
    await _seed(source, events)
    out = tmp_path / "out.jsonl"
    await export_events(source, out, filters=[parse_filter("event_type is tool")])
    assert set(_by_id(out)) == {e["event_id"] for e in events if e["event_type"] == "tool"}
    since, until = "2023-11-14T22:13:20.010Z", "2023-11-14T22:13:20.019Z"  # START_MS + 10..19
    result = await export_events(source, out, since=since, until=until)
    assert result.events == 10
    assert set(_by_id(out)) == {e["event_id"] for e in events[10:20]}
    await export_events(source, out, since=since)
    assert set(_by_id(out)) == {e["event_id"] for e in events[10:]}


async def test_export_of_nothing_writes_an_empty_file(
    source: AsyncHoneyHive, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"old\n")
    assert (await export_events(source, out)).events == 0
    assert out.read_bytes() == b""


class _FakeClient:
    """Answers `/v1/events/search` with fixed bodies and records the order of the calls."""

    def __init__(self, bodies: list[bytes]) -> None:
        self.bodies = bodies
        self.calls: list[int] = []
        self.second_page_asked = False

    async def _request(self, method: str, path: str, *, content: bytes) -> Any:
        page = msgspec.json.decode(content)["page"]
        self.calls.append(page)
        if page == 2:
            self.second_page_asked = True
        return type("Raw", (), {"content": self.bodies[page - 1]})()


async def test_export_writes_the_servers_bytes_unchanged(tmp_path: Path) -> None:
    # Odd spacing, key order and escapes survive: the events are never re-encoded.
    body = b'{"count": 2, "events": [ {"z": 1,  "event_id": "a", "s": "\\u00e9\\n"} ,{"event_id":"b"}]}'
    out = tmp_path / "out.jsonl"
    await export_events(_FakeClient([body]), out, page_size=2)  # type: ignore[arg-type]
    assert out.read_bytes() == b'{"z": 1,  "event_id": "a", "s": "\\u00e9\\n"}\n{"event_id":"b"}\n'


async def test_export_fetches_the_next_page_while_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = [b'{"count": 3, "events": [{"event_id": "a"}, {"event_id": "b"}]}']
    pages.append(b'{"count": 3, "events": [{"event_id": "c"}]}')
    fake = _FakeClient(pages)
    overlapped: list[bool] = []
    write = _jsonl.write_lines

    def watching_write(out: Any, events: list[msgspec.Raw]) -> None:
        if not overlapped:
            # Page 2 must be on its way before page 1 is written.
            overlapped.append(fake.second_page_asked)
        write(out, events)

    monkeypatch.setattr(transfer, "write_lines", watching_write)
    result = await export_events(fake, tmp_path / "o.jsonl", page_size=2)  # type: ignore[arg-type]
    assert overlapped == [True]
    assert fake.calls == [1, 2]
    assert result.events == 3


async def test_export_sends_the_next_pages_request_before_splitting_this_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The overlap is real only if the next request is on the wire while this page is split
    # (the split holds the loop): the server must hold the whole request by then.
    pages = [_page(6, "a", "b"), _page(6, "c", "d"), _page(6, "e", "f")]
    split = transfer._page_decoder
    next_request_there: list[bool] = []

    class WatchingSplit:
        def decode(self, body: bytes) -> Any:
            page = len(next_request_there) + 1
            if page < len(pages):
                # Blocks the loop, as a long split does: a request still queued behind the
                # split cannot arrive meanwhile (then the wait ends on its timeout, False).
                # Page 1's total is unknown until split, so its next request follows it.
                next_request_there.append(page == 1 or server.arrived[page + 1].wait(10))
            else:
                next_request_there.append(True)
            return split.decode(body)

    monkeypatch.setattr(transfer, "_page_decoder", WatchingSplit())
    out = tmp_path / "o.jsonl"
    with PageServer(pages) as server:
        async with AsyncHoneyHive("k", base_url=server.url) as client:
            result = await export_events(client, out, page_size=2)
    assert next_request_there == [True, True, True]
    assert result.events == 6
    assert [line["event_id"] for line in map(json.loads, out.read_text().splitlines())] == list(
        "abcdef"
    )


async def test_export_writes_pages_in_order_off_the_loops_thread_and_raises_a_write_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = [b'{"count": 5, "events": [{"event_id": "%d"}]}' % number for number in range(1, 6)]
    threads: list[str] = []
    write = _jsonl.write_lines

    def failing_write(out: Any, events: list[msgspec.Raw]) -> None:
        threads.append(threading.current_thread().name)
        if b'"4"' in bytes(events[0]):
            raise OSError(28, "No space left on device")
        write(out, events)

    monkeypatch.setattr(transfer, "write_lines", failing_write)
    out = tmp_path / "o.jsonl"
    with pytest.raises(OSError, match="No space left"):
        await export_events(_FakeClient(pages), out, page_size=1)  # type: ignore[arg-type]
    # Pages 1-3 were written, in order, before the failure stopped the export.
    assert out.read_bytes() == b'{"event_id": "1"}\n{"event_id": "2"}\n{"event_id": "3"}\n'
    assert len(threads) == 4
    assert threading.current_thread().name not in threads
    assert not [t for t in threading.enumerate() if t.name.startswith("honeyhive-export")]


async def test_export_puts_each_event_of_a_pretty_printed_page_on_one_line(
    tmp_path: Path,
) -> None:
    # JSON may break lines between tokens; a line-broken event would break the file's lines.
    body = b'{\n  "count": 2,\r\n  "events": [\n    {\n      "event_id": "a",\n      "s": "x\\ny"\n    },\n    {"event_id": "b"}\n  ]\n}'
    out = tmp_path / "out.jsonl"
    result = await export_events(_FakeClient([body]), out, page_size=2)  # type: ignore[arg-type]
    assert out.read_bytes() == b'{"event_id": "a", "s": "x\\ny"}\n{"event_id": "b"}\n'
    assert result.events == 2
    assert [line["event_id"] for line in map(json.loads, out.read_text().splitlines())] == [
        "a",
        "b",
    ]


@pytest.mark.parametrize("body", [b"<html>busy</html>", b'{"count": 1}', b'{"events": 3}'])
async def test_export_names_a_reply_that_is_not_a_page_of_events(
    tmp_path: Path, body: bytes
) -> None:
    with pytest.raises(TransferError, match="page 1 is not a page of events"):
        await export_events(_FakeClient([body]), tmp_path / "o.jsonl")  # type: ignore[arg-type]


def _page(total: int, *ids: str) -> bytes:
    return json.dumps({"count": total, "events": [{"event_id": i} for i in ids]}).encode()


async def test_export_writes_an_event_a_shifted_page_repeats_once_and_says_so(
    tmp_path: Path,
) -> None:
    # a, b, c, d; then x arrives before page 2 is read: the pages shift by one, b comes again.
    fake = _FakeClient([_page(4, "a", "b"), _page(5, "b", "c"), _page(5, "d")])
    out = tmp_path / "o.jsonl"
    result = await export_events(fake, out, page_size=2)  # type: ignore[arg-type]
    assert [json.loads(line)["event_id"] for line in out.read_text().splitlines()] == [
        "a", "b", "c", "d",
    ]  # fmt: skip
    assert (result.events, result.repeats, result.window_changed) == (4, 1, True)
    warning = result.warning()
    assert warning is not None
    assert "1 sent twice" in warning
    assert "--until" in warning


async def test_export_of_a_steady_window_has_no_warning(tmp_path: Path) -> None:
    fake = _FakeClient([_page(3, "a", "b"), _page(3, "c")])
    result = await export_events(fake, tmp_path / "o.jsonl", page_size=2)  # type: ignore[arg-type]
    assert (result.events, result.repeats, result.window_changed) == (3, 0, False)
    assert result.warning() is None


# -- resume --------------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [0, 1, 99, 100, 101, 250, 499, 500], ids=lambda n: f"{n}-lines")
async def test_resume_completes_a_cut_off_file_without_duplicates(
    source: AsyncHoneyHive, tmp_path: Path, keep: int
) -> None:
    await _seed(source, _events(500))
    full = tmp_path / "full.jsonl"
    await export_events(source, full, page_size=100)
    lines = full.read_bytes().splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl"
    # `keep` complete lines, then half of the next one (the cut-off write).
    partial = lines[keep][: len(lines[keep]) // 2] if keep < len(lines) else b""
    cut.write_bytes(b"".join(lines[:keep]) + partial)
    result = await export_events(source, cut, page_size=100, resume=True)
    assert cut.read_bytes() == full.read_bytes()
    assert (result.skipped, result.events) == (keep, 500 - keep)


async def test_resume_with_a_different_page_size_still_continues_at_the_right_event(
    source: AsyncHoneyHive, tmp_path: Path
) -> None:
    await _seed(source, _events(300))
    full = tmp_path / "full.jsonl"
    await export_events(source, full, page_size=100)
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b"".join(full.read_bytes().splitlines(keepends=True)[:137]))
    await export_events(source, cut, page_size=40, resume=True)
    assert cut.read_bytes() == full.read_bytes()


async def test_resume_refuses_when_the_window_changed(
    source: AsyncHoneyHive, tmp_path: Path
) -> None:
    await _seed(source, _events(50))
    out = tmp_path / "out.jsonl"
    await export_events(source, out, page_size=10)
    out.write_bytes(b"".join(out.read_bytes().splitlines(keepends=True)[:15]))
    await _seed(source, _events(1, start=START_MS + 10_000))  # newer: shifts the order
    with pytest.raises(TransferError, match="cannot resume"):
        await export_events(source, out, page_size=10, resume=True)
    assert len(out.read_bytes().splitlines()) == 15


async def test_resume_of_a_missing_file_exports_everything(
    source: AsyncHoneyHive, tmp_path: Path
) -> None:
    await _seed(source, _events(5))
    result = await export_events(source, tmp_path / "new.jsonl", resume=True)
    assert (result.skipped, result.events) == (0, 5)


async def test_a_resumed_export_shows_the_rate_of_this_run_only(
    source: AsyncHoneyHive, tmp_path: Path
) -> None:
    await _seed(source, _events(10))
    out = tmp_path / "out.jsonl"
    await export_events(source, out)
    out.write_bytes(b"".join(out.read_bytes().splitlines(keepends=True)[:7]))
    clock = _Clock()
    progress = Progress("export", enabled=False, clock=clock)
    await export_events(source, out, resume=True, progress=progress)
    assert (progress.done, progress.total) == (10, 10)
    clock.now = 1.0
    assert "10/10 events  3/s" in progress.line()  # 3 written this second, not 10


# -- import --------------------------------------------------------------------------------


async def test_import_resends_only_the_uncreated_events_of_a_partial_batch(
    honeyhive_server: LocalServer, source: AsyncHoneyHive, target: AsyncHoneyHive, tmp_path: Path
) -> None:
    await _seed(target, _events(20))
    out = tmp_path / "out.jsonl"
    await export_events(target, out)
    honeyhive_server.faults.partial_batch(7)
    honeyhive_server.faults.partial_batch(0)  # the re-send of the first batch
    result = await import_events(source, out, batch_size=10)
    assert result.events == 20
    back = tmp_path / "back.jsonl"
    await export_events(source, back)
    assert _by_id(back) == _by_id(out)


async def test_import_gives_up_on_a_batch_that_stays_uncreated(
    honeyhive_server: LocalServer, source: AsyncHoneyHive, tmp_path: Path
) -> None:
    out = tmp_path / "in.jsonl"
    out.write_bytes(b"".join(json.dumps(e).encode() + b"\n" for e in _events(3)))
    for _ in range(transfer.PARTIAL_RESENDS):
        honeyhive_server.faults.partial_batch(0)
    with pytest.raises(TransferError, match="3 events still uncreated"):
        await import_events(source, out)


async def test_import_names_the_line_that_is_not_an_event(
    source: AsyncHoneyHive, tmp_path: Path
) -> None:
    out = tmp_path / "in.jsonl"
    good = json.dumps(_events(1)[0]).encode()
    out.write_bytes(good + b"\n\n" + b'{"event_type": "model"}\n')
    with pytest.raises(TransferError, match="line 3"):
        await import_events(source, out)


async def test_import_reports_progress_against_the_line_count(
    source: AsyncHoneyHive, tmp_path: Path
) -> None:
    out = tmp_path / "in.jsonl"
    out.write_bytes(b"".join(json.dumps(e).encode() + b"\n" for e in _events(7)))
    progress = Progress("import", enabled=False)
    await import_events(source, out, batch_size=3, progress=progress)
    assert (progress.done, progress.total) == (7, 7)


async def test_import_counts_a_last_line_without_a_newline_in_the_total(
    source: AsyncHoneyHive, tmp_path: Path
) -> None:
    out = tmp_path / "in.jsonl"
    out.write_bytes(b"\n".join(json.dumps(e).encode() for e in _events(3)))
    progress = Progress("import", enabled=False)
    await import_events(source, out, progress=progress)
    assert (progress.done, progress.total) == (3, 3)


# -- progress ------------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_shows_rate_and_eta_when_the_total_is_known() -> None:
    clock = _Clock()
    progress = Progress("export", total=1000, enabled=False, clock=clock)
    clock.now = 2.0
    progress.advance(250)
    line = progress.line()
    assert "250/1,000 events" in line
    assert "125/s" in line
    assert "ETA 6s" in line


def test_progress_without_a_total_has_no_eta() -> None:
    clock = _Clock()
    progress = Progress("export", enabled=False, clock=clock)
    clock.now = 1.0
    progress.advance(10)
    assert "ETA" not in progress.line()
    assert "10 events" in progress.line()


def test_progress_names_its_unit() -> None:
    progress = Progress("import", total=4, unit="datapoints", enabled=False)
    progress.advance(1)
    assert "1/4 datapoints" in progress.line()


def test_progress_is_quiet_when_the_stream_is_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress("export", total=3, stream=stream)
    progress.advance(3)
    progress.close()
    assert stream.getvalue() == ""


def test_progress_redraws_at_most_ten_times_a_second() -> None:
    clock, stream = _Clock(), io.StringIO()
    progress = Progress("export", total=100, stream=stream, enabled=True, clock=clock)
    for _ in range(50):
        progress.advance(1)  # all at the same instant: one draw
    clock.now = 0.2
    progress.advance(1)
    progress.close()
    assert stream.getvalue().count("\r") == 3
    assert stream.getvalue().endswith("51/100 events  255/s  ETA 0s\n")


# -- memory --------------------------------------------------------------------------------

_RSS_PROBE = """
import asyncio, json, sys
from honeyhive_async import AsyncHoneyHive
from honeyhive_async.transfer import export_events

def status_kb(key):
    # VmHWM, not ru_maxrss: the latter keeps the forking parent's peak across exec.
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key + ":"))

async def main():
    async with AsyncHoneyHive(sys.argv[2], base_url=sys.argv[1]) as client:
        await client.events.search(limit=1)  # the session and decoders exist before the baseline
        before = status_kb("VmRSS")
        result = await export_events(client, sys.argv[3])
    print(json.dumps({"before_kb": before, "peak_kb": status_kb("VmHWM"), "events": result.events}))

asyncio.run(main())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
async def test_export_of_100k_events_grows_rss_by_less_than_50_mb(
    honeyhive_server: LocalServer, source: AsyncHoneyHive, tmp_path: Path
) -> None:
    await _seed(source, _events(RSS_EVENTS))
    out = tmp_path / "big.jsonl"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _RSS_PROBE,
        honeyhive_server.url,
        honeyhive_server.api_key,
        str(out),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    stdout, stderr = await proc.communicate()
    assert proc.returncode == 0, stderr.decode()
    report = json.loads(stdout)
    assert report["events"] == RSS_EVENTS
    growth_mb = (report["peak_kb"] - report["before_kb"]) / 1024
    assert growth_mb < 50, report
    assert out.stat().st_size > 100 * 1024 * 1024 // 10  # the events went to disk, not memory


# -- datasets ------------------------------------------------------------------------------


async def test_dataset_round_trip_keeps_the_dataset_and_its_datapoints(
    source: AsyncHoneyHive, target: AsyncHoneyHive, tmp_path: Path
) -> None:
    ids = []
    for i in range(3):
        made = await source.datapoints.create(
            inputs={"q": f"q{i}"},
            history=[{"role": "user", "content": "hi"}],
            ground_truth={"a": i},
            metadata={"i": i},
        )
        ids.append(made.datapoint_id)
    dataset = await source.datasets.create(name="golden", description="d", datapoints=ids)
    out = tmp_path / "ds.jsonl"
    exported = await export_dataset(source, dataset.dataset_id, out)
    assert exported.datapoints == 3
    imported = await import_dataset(target, out)
    [copy] = await target.datasets.list(dataset_id=imported.dataset_id)
    assert (copy.name, copy.description, len(copy.datapoints)) == ("golden", "d", 3)
    copies = await target.datapoints.list(datapoint_ids=copy.datapoints)
    originals = await source.datapoints.list(datapoint_ids=ids)
    fields = ("inputs", "history", "ground_truth", "metadata")
    assert [[getattr(d, f) for f in fields] for d in copies] == [
        [getattr(d, f) for f in fields] for d in originals
    ]


async def test_dataset_export_of_an_unknown_id_raises(
    source: AsyncHoneyHive, tmp_path: Path
) -> None:
    with pytest.raises(TransferError, match="no dataset"):
        await export_dataset(source, "nope", tmp_path / "x.jsonl")


async def test_dataset_export_keeps_the_datasets_order_and_reports_missing_datapoints(
    mock_api: aioresponses, mock_client: AsyncHoneyHive, tmp_path: Path
) -> None:
    dataset = {"id": "ds", "name": "golden", "datapoints": ["p1", "p2", "p3"]}
    mock_api.get(re.compile(r".*/v1/datasets\?.*"), payload={"datasets": [dataset]})
    # The API answers in its own order, and no longer has p2.
    found = [{"id": "p3", "inputs": {"n": 3}}, {"id": "p1", "inputs": {"n": 1}}]
    mock_api.get(re.compile(r".*/v1/datapoints\?.*"), payload={"datapoints": found})
    out = tmp_path / "ds.jsonl"

    result = await export_dataset(mock_client, "ds", out)

    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["ds", "p1", "p3"]
    assert (result.datapoints, result.missing) == (2, ("p2",))
    warning = result.warning()
    assert warning is not None
    assert "1 datapoints the dataset lists were not found" in warning
    assert warning.endswith("p2")
