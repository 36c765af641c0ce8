"""`honeyhive-async demo` and `show`, and the waterfall they print."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

from honeyhive_async import SessionTree
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
