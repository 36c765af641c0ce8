"""The soak command (`python -m benchmarks.soak`): a tiny run passes, lost events fail it.

The soak runs in a subprocess: importing `benchmarks` points the SDKs' environment variables at
a closed loopback port, which must not leak into the other tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from honeyhive_async.server.store import Database, EventTable

ROOT = Path(__file__).resolve().parents[1]


def _soak(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.soak", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_tiny_soak_through_faults_passes_every_check() -> None:
    done = _soak("--events", "2000", "--seed", "3")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("soak: 2,002 events (182 sessions x 11)")
    checks = [line for line in lines if line.startswith("  ")]
    assert len(checks) == 5
    assert all(line.startswith("  ok ") for line in checks), done.stdout
    assert "lost 0 (made 2,002, stored 2,002)" in done.stdout
    assert "accept log 0" in done.stdout
    assert lines[-1] == "soak: passed"


def test_events_the_server_never_got_fail_the_soak() -> None:
    # Every request fails and nothing is retried: every event is dropped (and reported so).
    # The 10 ended sessions ride in the one batch with their spans: seed 1 fails that request
    # with a 500 (a partial-batch fault would store some of it).
    done = _soak("--events", "110", "--rate", "1", "--attempts", "1", "--seed", "1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "  FAIL  lost 110 (made 110, stored 0)" in done.stdout
    assert "dropped 110" in done.stdout
    assert done.stdout.splitlines()[-1] == "soak: FAILED"


def _event(event_id: str, parent_id: str | None, children: list[str]) -> dict[str, object]:
    return {
        "event_id": event_id,
        "session_id": "s",
        "parent_id": parent_id,
        "event_type": "session" if parent_id is None else "tool",
        "start_time": 0,
        "children_ids": children,
    }


def test_check_database_counts_children_that_differ_and_orphans(tmp_path: Path) -> None:
    path = str(tmp_path / "soak.db")
    db = Database(path)
    EventTable(db).put(
        [
            _event("s", None, ["a"]),
            _event("a", "s", ["b"]),  # b is stored, c (also a's child) is not listed
            _event("b", "a", []),
            _event("c", "a", []),
            _event("d", "gone", []),  # its parent is not stored
        ]
    )
    db.close()
    code = f"import json; from benchmarks.soak import check_database as c; print(json.dumps(c({path!r})))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "rows": 5,
        "distinct": 5,
        "sessions": 1,
        "children_mismatched": 1,
        "orphans": 1,
    }
