"""The tracer outside a running loop, across fork, and at interpreter exit."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap

import pytest

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import trace

from .conftest import events_of, make_tracer

BATCH = "/v1/events/batch"


def test_sync_code_with_no_event_loop(threaded_server: LocalServer) -> None:
    tracer = make_tracer(threaded_server, set_default=False)

    @trace(tracer=tracer, event_name="sync_step")
    def step(i: int) -> int:
        return i * 2

    with tracer.session("no-loop") as session:
        assert [step(i) for i in range(3)] == [0, 2, 4]
    report = tracer.flush_sync(5)
    assert report.sent == 4
    assert report.pending == 0
    final = tracer.close_sync(5)
    assert final.dropped == {}

    async def read() -> list[str]:
        async with AsyncHoneyHive(threaded_server.api_key, base_url=threaded_server.url) as c:
            return sorted(str(e.event_name) for e in await events_of(c, session.event_id))

    assert asyncio.run(read()) == ["no-loop", "sync_step", "sync_step", "sync_step"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
async def test_a_forked_child_does_not_ship_its_parents_queue(
    honeyhive_server: LocalServer, client: AsyncHoneyHive
) -> None:
    tracer = make_tracer(honeyhive_server, flush_interval=3600, max_batch_size=1000)

    @trace(tracer=tracer, event_name="parent_work")
    def parent_work() -> None: ...

    @trace(tracer=tracer, event_name="child_work")
    def child_work() -> None: ...

    for _ in range(3):
        parent_work()
    assert tracer.stats().pending == 4  # three events and the default session, unsent

    pid = os.fork()
    if pid == 0:  # the child: report through the exit code only
        code = 1
        try:
            child_work()
            child_work()
            report = tracer.flush_sync(5)
            # Its two events and its own default session; nothing of the parent's queue.
            code = 0 if (report.sent, report.pending, report.dropped) == (3, 0, {}) else 3
        finally:
            os._exit(code)
    loop = asyncio.get_running_loop()
    _, status = await loop.run_in_executor(None, os.waitpid, pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0

    report = await tracer.flush(5)
    assert report.sent == 4
    await tracer.aclose(5)
    names = [
        str(e.event_name)
        for e in (await client.events.search()).events
        if e.event_type != "session"
    ]
    assert sorted(names) == ["child_work"] * 2 + ["parent_work"] * 3


_EXIT_SCRIPT = textwrap.dedent(
    """
    import sys
    from honeyhive_async import AsyncHoneyHive, Tracer, trace

    tracer = Tracer(
        AsyncHoneyHive(sys.argv[2], base_url=sys.argv[1], max_retries=0),
        flush_interval=3600,
        session_name="exit-test",
        exit_timeout=float(sys.argv[3]),
    )

    @trace
    def work(i):
        return i

    for i in range(3):
        work(i)
    # No flush here: the exit flush must ship the events.
    """
)


async def _run_script(
    server: LocalServer, exit_timeout: float, host: str = "127.0.0.1"
) -> tuple[int, bytes]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _EXIT_SCRIPT,
        server.url.replace("127.0.0.1", host),
        server.api_key,
        str(exit_timeout),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode is not None
    return proc.returncode, stderr


# "localhost" needs a DNS lookup, and the interpreter's thread pools are gone at exit.
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_events_are_flushed_at_interpreter_exit(
    honeyhive_server: LocalServer, client: AsyncHoneyHive, host: str
) -> None:
    code, stderr = await _run_script(honeyhive_server, exit_timeout=5, host=host)
    assert code == 0, stderr
    page = await client.events.search(
        filters=[{"field": "event_name", "operator": "is", "value": "exit-test"}]
    )
    (session,) = page.events
    events = await events_of(client, session.event_id)
    inputs = [e.inputs for e in events if e.event_type != "session"]
    assert sorted(i["i"] for i in inputs if i is not None) == [0, 1, 2]


async def test_the_exit_flush_ends_and_reports_when_the_server_hangs(
    honeyhive_server: LocalServer,
) -> None:
    honeyhive_server.faults.hang_next(path=BATCH)
    code, stderr = await _run_script(honeyhive_server, exit_timeout=0.5)
    assert code == 0, stderr
    assert b"still pending" in stderr or b"dropped" in stderr
