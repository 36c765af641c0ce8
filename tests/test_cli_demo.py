"""`honeyhive-async demo` and `show`, the waterfall they print, and printing/walking a tree."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from honeyhive_async import AsyncHoneyHive, SessionTree
from honeyhive_async.render import render_waterfall
from honeyhive_async.server import LocalServer


def _tree() -> SessionTree:
    return SessionTree.from_dict(
        {
            "event_id": "s",
            "event_type": "session",
            "event_name": "chat",
            "start_time": 1000.0,
            "end_time": 1100.0,
            "duration": 100.0,
            "children": [
                {
                    "event_id": "b",
                    "event_type": "tool",
                    "event_name": "late",
                    "start_time": 1050.0,
                    "end_time": 1100.0,
                    "duration": 50.0,
                    "error": "ValueError: x",
                },
                {
                    "event_id": "a",
                    "event_type": "chain",
                    "event_name": "early",
                    "start_time": 1000.0,
                    "end_time": 1050.0,
                    "duration": 50.0,
                    "children": [
                        {
                            "event_id": "c",
                            "event_type": "model",
                            "event_name": "m",
                            "start_time": "1970-01-01 00:00:01",
                            "end_time": 1010.0,
                            "duration": 10.0,
                        }
                    ],
                },
            ],
        }
    )


def test_waterfall_orders_children_by_start_and_draws_bars() -> None:
    lines = render_waterfall(_tree(), unicode=False).splitlines()
    assert [line.split("[")[0].rstrip() for line in lines] == [
        "session chat",
        "|- chain early",
        "|  `- model m",
        "`- tool late",
    ]
    bars = [line.split("[")[1].split("]")[0] for line in lines]
    assert bars[0] == "#" * 32
    assert bars[1] == "#" * 16 + "." * 16
    assert bars[3] == "." * 16 + "#" * 16
    assert all(len(bar) == 32 for bar in bars)
    assert lines[3].endswith("ERROR ValueError: x")
    assert "100.0 ms" in lines[0]


def test_demo_runs_offline_and_prints_the_session(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    proc = subprocess.run(
        [sys.executable, "-m", "honeyhive_async.cli", "demo", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "", "PYTHONIOENCODING": "utf-8", "HH_API_URL": "http://127.0.0.1:9"},
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for name in ("session demo-chat", "chain answer_question", "tool search_docs", "fake_model"):
        assert name in out
    assert out.count("model fake_model") == 2
    assert "ERROR TimeoutError" in out
    match = re.search(r"Session ([0-9a-f-]{36}): 9 events; exporter sent 9\n", out)
    assert match, out

    async def show() -> str:
        async with LocalServer(db=str(db)) as server:
            code, out, err = await _show(server, match.group(1))
            assert code == 0, err
            return out

    shown = asyncio.run(show())
    assert "chain answer_question" in shown
    assert shown.count("\n") == 9


async def _show(server: LocalServer, session_id: str) -> tuple[int, str, str]:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "honeyhive_async.cli",
        "show",
        session_id,
        "--base-url",
        server.url,
        "--api-key",
        server.api_key,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), 30)
    assert child.returncode is not None
    return child.returncode, out.decode(), err.decode()


def test_show_reports_a_missing_session() -> None:
    async def run() -> tuple[int, str, str]:
        async with LocalServer() as server:
            return await _show(server, "no-such-session")

    code, _, err = asyncio.run(run())
    assert code == 1
    assert "404" in err
    assert "local-dev-key" not in err


def _node(event_id: str, start: float | None, end: float | None, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event_type": extra.pop("event_type", "tool"),
        "event_name": event_id,
        "start_time": start,
        "end_time": end,
        **extra,
    }


def _bars_and_durations(tree: SessionTree) -> list[tuple[str, str]]:
    out = []
    for line in render_waterfall(tree, unicode=False).splitlines():
        bar, _, rest = line.split("[", 1)[1].partition("]")
        out.append((bar, rest.strip()))
    return out


@pytest.mark.parametrize(
    ("children", "expected"),
    [
        pytest.param(
            [_node("a", 1000.0, 1050.0, duration=50.0)],
            [("#" * 32, "running"), ("#" * 32, "50.0 ms")],
            id="open session, its child ended: bar up to the child's end",
        ),
        pytest.param(
            [
                _node("a", 1000.0, 1050.0, duration=50.0),
                _node("b", 1050.0, None),
                _node("c", 1060.0, 1100.0, duration=40.0),
            ],
            [
                ("#" * 32, "running"),
                ("#" * 16 + "." * 16, "50.0 ms"),
                ("." * 16 + "#" * 16, "running"),
                ("." * 19 + "#" * 13, "40.0 ms"),
            ],
            id="open child: drawn to the latest known time, marked running",
        ),
        pytest.param(
            [_node("a", 1000.0, 1100.0)],
            [("#" * 32, "running"), ("#" * 32, "100.0 ms")],
            id="end time without duration: duration from the times",
        ),
        pytest.param(
            [_node("a", 1000.0, None, duration=100.0)],
            [("#" * 32, "running"), ("#" * 32, "100.0 ms")],
            id="duration without end time: finished, drawn to start + duration",
        ),
        pytest.param(
            [],
            [("#" * 32, "running")],
            id="open session alone: one full bar",
        ),
    ],
)
def test_waterfall_draws_events_that_have_not_ended(
    children: list[dict[str, Any]], expected: list[tuple[str, str]]
) -> None:
    root = _node("s", 1000.0, None, event_type="session", children=children)
    assert _bars_and_durations(SessionTree.from_dict(root)) == expected


def test_show_draws_a_session_that_has_not_ended() -> None:
    async def run() -> tuple[int, str, str]:
        async with LocalServer() as server:
            client = AsyncHoneyHive(server.api_key, base_url=server.url)
            async with client:
                t0 = 1.7e12
                started = await client.session.start(session_name="open", start_time=t0)
                assert started.session_id is not None
                await client.events.create(
                    event_type="tool",
                    event_name="lookup",
                    inputs={},
                    session_id=started.session_id,
                    parent_id=started.session_id,
                    start_time=t0 + 10.0,
                    end_time=t0 + 30.0,
                )
            return await _show(server, started.session_id)

    code, out, err = asyncio.run(run())
    assert code == 0, err
    session_line, tool_line = out.splitlines()
    assert session_line.startswith("session open")
    assert session_line.endswith("running")
    assert session_line.split("]")[0].endswith("[" + "█" * 32)
    assert tool_line.endswith("20.0 ms")


def test_walk_with_depth_pairs_each_event_with_its_depth_in_walk_order() -> None:
    tree = _tree()
    assert [(depth, node.event_id) for depth, node in tree.walk_with_depth()] == [
        (0, "s"),
        (1, "b"),
        (1, "a"),
        (2, "c"),
    ]
    assert [node for _, node in tree.walk_with_depth()] == tree.walk()


def test_a_deep_tree_walks_without_recursion() -> None:
    tree = SessionTree(event_id="leaf")
    for i in range(3000):  # deeper than Python's recursion limit
        tree = SessionTree(event_id=f"n{i}", children=[tree])
    pairs = tree.walk_with_depth()
    assert (pairs[-1][0], pairs[-1][1].event_id) == (3000, "leaf")
    assert len(str(tree).splitlines()) == 3001


def test_printing_a_tree_shows_every_event_indented() -> None:
    assert str(_tree()) == (
        "session chat  100.0 ms\n"
        "  tool late  50.0 ms  ERROR ValueError: x\n"
        "  chain early  50.0 ms\n"
        "    model m  10.0 ms"
    )
    assert repr(_tree()).startswith("SessionTree(event_id='s'")


@pytest.mark.parametrize(
    ("fields", "line"),
    [
        ({"event_type": "model", "event_name": "gpt", "duration": 12.34}, "model gpt  12.3 ms"),
        ({"start_time": 1000.0, "end_time": 1250.0}, "? (unnamed)  250.0 ms"),
        ({"start_time": 1000.0}, "? (unnamed)  running"),
        ({}, "? (unnamed)  running"),
        ({"end_time": 1250.0}, "? (unnamed)  ? ms"),
        ({"start_time": "not a time", "end_time": 1.0}, "? (unnamed)  ? ms"),
        ({"event_type": "tool", "event_name": "t", "error": "E: x"}, "tool t  running  ERROR E: x"),
    ],
)
def test_printing_one_event(fields: dict[str, Any], line: str) -> None:
    assert str(SessionTree.from_dict({"event_id": "e", **fields})) == line
