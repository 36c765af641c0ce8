"""fork with a batch in flight and events queued: the child never sends the parent's events.

Issue 14, "In the test suite", fourth bullet. tests/tracing/test_process.py covers a fork with a
pending queue alone; here the parent's batch hangs on the server (in flight) and more events
wait queued behind it when the process forks. The child, which inherits a copy of all that,
sends only its own events; once the server lets the hanging request go, the parent's events
all arrive, each stored once. The child reports through its exit code only.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from typing import Any

import msgspec
import pytest

from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import trace
from tests.tracing.conftest import make_tracer

BATCH = "/v1/events/batch"


def _stored(server: LocalServer) -> list[dict[str, Any]]:
    """Every event the server holds, as stored."""
    return [
        msgspec.json.decode(body) for (body,) in server.store.db.read("SELECT body FROM events")
    ]


def _batched(server: LocalServer) -> Counter[str]:
    """How many batch requests carried each event id."""
    return Counter(
        e["event_id"] for r in server.requests if r.path == BATCH for e in r.json()["events"]
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
async def test_a_child_forked_with_a_batch_in_flight_sends_only_its_own_events(
    honeyhive_server: LocalServer,
) -> None:
    tracer = make_tracer(honeyhive_server, set_default=False, flush_interval=3600, max_batch_size=3)

    @trace(tracer=tracer, event_name="parent_work")
    def parent_work() -> None: ...

    @trace(tracer=tracer, event_name="child_work")
    def child_work() -> None: ...

    hang = honeyhive_server.faults.hang_next(path=BATCH)
    for _ in range(3):
        parent_work()
    assert (await tracer.flush(0)).timed_out  # the first batch goes out and hangs
    await asyncio.wait_for(hang.wait_hit(), 30)
    for _ in range(4):
        parent_work()  # queued behind the batch in flight
    before = tracer.stats()
    assert (before.sent, before.pending) == (1, 7)  # the default session went out first

    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            child_work()
            child_work()
            report = tracer.flush_sync(10)
            # Its two events and its own default session; none of the parent's seven.
            code = 0 if (report.sent, report.pending, report.dropped) == (3, 0, {}) else 3
        finally:
            os._exit(code)
    _, status = await asyncio.get_running_loop().run_in_executor(None, os.waitpid, pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0

    honeyhive_server.faults.stop()  # the hanging request is let go (its connection dropped)
    report = await tracer.flush(30)
    assert (report.sent, report.pending, report.dropped) == (8, 0, {})
    await tracer.aclose(5)

    events = [e for e in _stored(honeyhive_server) if e["event_type"] != "session"]
    names = Counter(e["event_name"] for e in events)
    assert names == {"parent_work": 7, "child_work": 2}
    batched = _batched(honeyhive_server)
    parent = {e["event_id"] for e in events if e["event_name"] == "parent_work"}
    child = {e["event_id"] for e in events if e["event_name"] == "child_work"}
    # The hung batch's three were sent twice (the hang, then the retry), by the parent alone.
    assert sorted(batched[i] for i in parent) == [1, 1, 1, 1, 2, 2, 2]
    assert [batched[i] for i in child] == [1, 1]
