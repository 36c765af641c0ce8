"""`honeyhive-async events export/import` and `datasets export/import`, run as real processes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from honeyhive_async import AsyncHoneyHive, transfer
from honeyhive_async.cli import _run_transfer, build_parser
from honeyhive_async.server import LocalServer

CLI = "from honeyhive_async.cli import main; raise SystemExit(main(__import__('sys').argv[1:]))"


async def _cli(*args: str, stderr: int = asyncio.subprocess.PIPE) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CLI,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), (err or b"").decode()


def _on(server: LocalServer) -> list[str]:
    return ["--base-url", server.url, "--api-key", server.api_key]


@pytest.fixture
async def other() -> AsyncIterator[LocalServer]:
    async with LocalServer() as server:
        yield server


async def _seed(server: LocalServer, count: int) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(count)]
    async with AsyncHoneyHive(server.api_key, base_url=server.url) as client:
        await client.events.create_batch(
            [
                {"event_id": i, "event_type": "tool" if n % 2 else "model", "inputs": {"n": n}}
                for n, i in enumerate(ids)
            ]
        )
    return ids


async def test_events_export_then_import_moves_the_events(
    server: LocalServer, other: LocalServer, tmp_path: Path
) -> None:
    ids = await _seed(server, 25)
    out = tmp_path / "events.jsonl"
    code, stdout, stderr = await _cli("events", "export", "--out", str(out), *_on(server))
    assert (code, stderr) == (0, "")  # no progress bar: stderr is not a terminal
    assert stdout.strip() == "exported 25 events"
    code, stdout, stderr = await _cli("events", "import", str(out), *_on(other))
    assert (code, stderr) == (0, "")
    assert stdout.strip() == "imported 25 events"
    async with AsyncHoneyHive(other.api_key, base_url=other.url) as client:
        moved = {event.event_id async for event in client.events.iter()}
    assert moved == set(ids)


async def test_events_export_filters_and_resumes(server: LocalServer, tmp_path: Path) -> None:
    await _seed(server, 10)
    out = tmp_path / "events.jsonl"
    code, stdout, _ = await _cli(
        "events", "export", "--out", str(out), "--filter", "event_type is tool", *_on(server)
    )
    assert code == 0
    lines = out.read_bytes().splitlines(keepends=True)
    assert {json.loads(line)["event_type"] for line in lines} == {"tool"}
    assert len(lines) == 5
    out.write_bytes(b"".join(lines[:2]) + lines[2][:10])
    code, stdout, _ = await _cli(
        "events",
        "export",
        "--out",
        str(out),
        "--filter",
        "event_type is tool",
        "--resume",
        *_on(server),
    )
    assert code == 0
    assert stdout.strip() == "exported 3 events (kept 2 already in the file)"
    assert out.read_bytes().splitlines(keepends=True) == lines


async def _on_a_terminal(*args: str) -> tuple[int, bytes]:
    """Run the command line with stderr on a pseudo-terminal; return its status and the drawing."""
    import pty

    leader, follower = pty.openpty()
    try:
        code, _, _ = await _cli(*args, stderr=follower)
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
    return code, drawn


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
async def test_events_export_draws_progress_on_a_terminal(
    server: LocalServer, tmp_path: Path
) -> None:
    await _seed(server, 3)
    out = str(tmp_path / "e.jsonl")
    code, drawn = await _on_a_terminal("events", "export", "--out", out, *_on(server))
    assert code == 0
    assert b"3/3 events" in drawn


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
async def test_datasets_export_counts_datapoints_on_a_terminal(
    server: LocalServer, tmp_path: Path
) -> None:
    async with AsyncHoneyHive(server.api_key, base_url=server.url) as client:
        made = await client.datapoints.create(inputs={"q": "why"})
        dataset = await client.datasets.create(name="qa", datapoints=[made.datapoint_id])
    out = str(tmp_path / "ds.jsonl")
    code, drawn = await _on_a_terminal(
        "datasets", "export", dataset.dataset_id, "--out", out, *_on(server)
    )
    assert code == 0
    assert b"1/1 datapoints" in drawn
    assert b"events" not in drawn


async def test_events_import_of_a_bad_file_fails_with_the_line(
    server: LocalServer, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    code, _, stderr = await _cli("events", "import", str(bad), *_on(server))
    assert code == 1
    assert "honeyhive-async events import: line 1" in stderr


def test_events_export_rejects_a_bad_filter_as_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["events", "export", "--out", "x", "--filter", "cost = 1"])
    assert exited.value.code == 2
    assert "--filter" in capsys.readouterr().err


def test_events_export_parses_repeated_filters_and_the_window() -> None:
    args = build_parser().parse_args(
        [
            "events",
            "export",
            "--out",
            "x.jsonl",
            "--filter",
            "event_type is model",
            "--filter",
            "metadata.cost greater than 1",
            "--since",
            "2024-01-01T00:00:00Z",
            "--until",
            "2024-02-01T00:00:00Z",
        ]
    )
    assert [(f.field, f.operator, f.value) for f in args.filters] == [
        ("event_type", "is", "model"),
        ("metadata.cost", "greater than", 1),
    ]
    assert (args.since, args.until, args.resume) == (
        "2024-01-01T00:00:00Z",
        "2024-02-01T00:00:00Z",
        False,
    )


async def test_datasets_export_then_import_copies_the_dataset(
    server: LocalServer, other: LocalServer, tmp_path: Path
) -> None:
    async with AsyncHoneyHive(server.api_key, base_url=server.url) as client:
        made = await client.datapoints.create(inputs={"q": "why"}, ground_truth={"a": "because"})
        dataset = await client.datasets.create(name="qa", datapoints=[made.datapoint_id])
    out = tmp_path / "ds.jsonl"
    code, stdout, _ = await _cli(
        "datasets", "export", dataset.dataset_id, "--out", str(out), *_on(server)
    )
    assert code == 0
    assert stdout.strip() == f"exported dataset {dataset.dataset_id} with 1 datapoints"
    code, stdout, _ = await _cli("datasets", "import", str(out), *_on(other))
    assert code == 0
    new_id = stdout.split()[2]
    async with AsyncHoneyHive(other.api_key, base_url=other.url) as client:
        [copy] = await client.datasets.list(dataset_id=new_id)
        [point] = await client.datapoints.list(datapoint_ids=copy.datapoints)
    assert (copy.name, point.inputs, point.ground_truth) == ("qa", {"q": "why"}, {"a": "because"})


async def test_datasets_export_of_an_unknown_dataset_fails(
    server: LocalServer, tmp_path: Path
) -> None:
    code, _, stderr = await _cli(
        "datasets", "export", "missing", "--out", str(tmp_path / "x"), *_on(server)
    )
    assert code == 1
    assert "no dataset 'missing'" in stderr


async def test_an_export_whose_window_changed_ends_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async def changed_export(*_: object, **__: object) -> transfer.TransferResult:
        return transfer.TransferResult(events=4, repeats=1, window_changed=True)

    monkeypatch.setattr(transfer, "export_events", changed_export)
    args = build_parser().parse_args(
        ["events", "export", "--out", str(tmp_path / "e.jsonl"), "--api-key", "k"]
    )
    assert await _run_transfer(args) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "exported 4 events"
    assert err.startswith("honeyhive-async events export: warning: the matching events changed")
    assert "--until" in err
