"""Case 12 (issue 15): server render time of the web view's session page for a 10,000-event session.

One session of 10,000 corpus events (short corpus payloads: chat history, config, metadata,
metrics; 5 % in error) nested four deep: 1,000 request chains, each with a retrieval tool,
two generate chains (a model and a tool under each, a tool under the first model) and a rank
tool. Stored in the server's own SQLite `Store` (in memory), then ``GET /ui/sessions/{id}``:

* **handler**: the route's handler called in process with a signed-in request
  (`aiohttp.test_utils.make_mocked_request`): SQL read, JSON decode of every event, tree,
  HTML; the number the bar judges (<= 1000 ms);
* **loopback GET**: the same page through a running `LocalServer` and an aiohttp client,
  response read whole (adds HTTP and the middlewares);
* the handler's CPU time (`time.process_time`), which a busy shared machine inflates least;
* the handler's two halves, for where the time goes: loading the events (SQL, and a decode
  of only the fields a row shows) and rendering (tree order + HTML join).

Medians of interleaved rounds (`_timer.ainterleave`). ``--quick``: 1,000 events, 2 rounds.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import aiohttp
import msgspec
from aiohttp.test_utils import make_mocked_request

from honeyhive_async.models import CreateEventRequest, StartSessionRequest
from honeyhive_async.server import LocalServer
from honeyhive_async.server._http import STORE_KEY
from honeyhive_async.server.store import Store
from honeyhive_async.server.ui import _auth, sessions
from honeyhive_async.server.ui._queries import session_lines
from honeyhive_async.server.ui._tree import session_rows, waterfall_html

from . import corpus
from ._out import args, emit, log, num, table
from ._timer import ainterleave, perf, summarize

SESSION_ID = "bench-ui-session"
T0 = 1_796_000_000_000.0
_ACCEPTED = {f.name for f in msgspec.structs.fields(CreateEventRequest)}


def _unit(rng: random.Random, unit: int, start: float) -> list[dict[str, Any]]:
    """One request chain: 10 events, four levels deep, laid out in time."""
    base = f"u{unit:05d}"
    shape = [  # (suffix, parent suffix or None for the session, type, offset ms, duration ms)
        ("c", None, "chain", 0, 900),
        ("r", "c", "tool", 5, 120),
        ("g1", "c", "chain", 130, 400),
        ("g1m", "g1", "model", 135, 300),
        ("g1mt", "g1m", "tool", 140, 40),
        ("g1t", "g1", "tool", 440, 60),
        ("g2", "c", "chain", 130, 500),
        ("g2m", "g2", "model", 140, 420),
        ("g2t", "g2", "tool", 565, 50),
        ("k", "c", "tool", 640, 200),
    ]
    out = []
    for suffix, parent, kind, offset, took in shape:
        event = corpus.make_event(rng, False, kind)
        event = {k: v for k, v in event.items() if k in _ACCEPTED}
        event |= {
            "event_id": f"{base}-{suffix}",
            "session_id": SESSION_ID,
            "parent_id": SESSION_ID if parent is None else f"{base}-{parent}",
            "children_ids": [],
            "start_time": start + offset,
            "end_time": start + offset + took,
            "duration": float(took),
        }
        out.append(event)
    return out


def seed(store: Store, n_events: int) -> None:
    """Store one session of `n_events` events (plus the session event)."""
    rng = random.Random(f"{corpus.SEED}-ui")
    store.start_session(
        StartSessionRequest(
            session_id=SESSION_ID, session_name="bench chat", source="bench", start_time=T0
        )
    )
    batch: list[CreateEventRequest] = []
    for unit in range(n_events // 10):
        for event in _unit(rng, unit, T0 + unit * 1000.0):
            batch.append(msgspec.convert(event, CreateEventRequest))
        if len(batch) >= 2000:
            store.events.add_to_session(SESSION_ID, batch)
            batch = []
    if batch:
        store.events.add_to_session(SESSION_ID, batch)


async def main() -> None:
    opts = args()
    n_events, rounds = (1_000, 2) if opts.quick else (10_000, 15)
    async with LocalServer() as server:
        store = server.app[STORE_KEY]
        seed(store, n_events)
        stored = store.count(SESSION_ID) - 1
        log(f"ui: seeded {stored:,} events")
        token = server.app[_auth.AUTH_KEY].open_session()
        cookie = {"Cookie": f"{_auth.SESSION_COOKIE}={token}"}
        path = f"/ui/sessions/{SESSION_ID}"
        page_bytes = 0

        async def handler() -> float:
            nonlocal page_bytes
            request = make_mocked_request(
                "GET", path, headers=cookie, app=server.app, match_info={"session_id": SESSION_ID}
            )
            t0 = perf()
            response = await sessions.session(request)
            elapsed = perf() - t0
            assert response.status == 200
            assert response.text is not None
            page_bytes = len(response.text.encode())
            return elapsed

        async def handler_cpu() -> float:
            # CPU seconds of this process: what a shared, busy machine inflates least.
            request = make_mocked_request(
                "GET", path, headers=cookie, app=server.app, match_info={"session_id": SESSION_ID}
            )
            t0 = time.process_time()
            await sessions.session(request)
            return time.process_time() - t0

        async def load() -> float:
            t0 = perf()
            session_lines(store, SESSION_ID)
            return perf() - t0

        lines = session_lines(store, SESSION_ID)

        async def render() -> float:
            t0 = perf()
            waterfall_html(session_rows(lines, SESSION_ID), SESSION_ID, None)
            return perf() - t0

        async with aiohttp.ClientSession(base_url=server.url, headers=cookie) as http:

            async def loopback() -> float:
                t0 = perf()
                async with http.get(path) as reply:
                    body = await reply.read()
                elapsed = perf() - t0
                assert reply.status == 200, reply.status
                assert body
                return elapsed

            samples = await ainterleave(
                {
                    "handler (in process)": handler,
                    "handler, CPU time (process_time)": handler_cpu,
                    "loopback GET (LocalServer + aiohttp client)": loopback,
                    "  of which: load (SQL + decode)": load,
                    "  of which: render (tree + HTML)": render,
                },
                rounds,
            )
    stats = summarize(samples)
    rows = [
        [name, num(s["median"] * 1000, 1), f"{num(s['min'] * 1000, 1)}-{num(s['max'] * 1000, 1)}"]
        for name, s in stats.items()
    ]
    note = (
        f"{stored:,} events, 4 levels deep; page {page_bytes / 1e6:.1f} MB of HTML; "
        f"median of {rounds} interleaved rounds. Bar: handler <= 1000 ms."
    )
    emit(
        [
            table(
                f"12. Web view: /ui/sessions/{{id}}, {stored:,} events",
                ["", "median ms", "min-max ms"],
                rows,
                note,
            )
        ],
        {
            "ui.session_10k.render_ms": stats["handler (in process)"]["median"] * 1000,
            "ui.session_10k.render_cpu_ms": stats["handler, CPU time (process_time)"]["median"]
            * 1000,
            "ui.session_10k.loopback_ms": stats["loopback GET (LocalServer + aiohttp client)"][
                "median"
            ]
            * 1000,
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
