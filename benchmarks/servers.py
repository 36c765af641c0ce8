"""Loopback servers for the benchmarks, each run in a process of its own.

* ``bodies``: pre-serialized responses: ``GET /session/{id}`` (one session event),
  ``GET /v1/events/{id}`` (``{"event": ...}``), ``POST /v1/events/search`` and
  ``POST /v1/events/export`` (a pre-built page of the corpus named on the command line).
* ``sink``: answers the tracer's routes at once (``POST /v1/events/batch``,
  ``POST /v1/sessions``, ``PUT /v1/events/*``), honeyhive 1.7.0's ``POST /session/start``,
  langsmith's experiments (``/sessions``) and runs (counted: ``GET /_sink/runs``), and 200
  ``{}`` to anything else, so every peer's exporter succeeds on loopback.
* ``pages``: ``POST /v1/events/search`` answers every page with the same 1,000 corpus events
  and ``count`` N, so an export of N events runs at the client's pace, not SQLite's.
* ``local``: `honeyhive_async.server.LocalServer` (SQLite in memory), the real local server.
* ``openai``: a fake OpenAI ``POST /v1/chat/completions``, pre-serialized: one JSON completion,
  or an SSE stream of 20 content chunks (plus the usage chunk when asked for).

Run as ``python -m benchmarks.servers KIND [PAGE_KIND N]``: it prints its port, then serves
until its standard input closes (the parent exits or closes it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator

from aiohttp import web
from aiohttp.typedefs import Handler

from . import corpus

_RUN_PART = re.compile(rb'name="post\.[0-9a-f-]+"')
"""A multipart part that carries one new langsmith run (its fields come as `post.<id>.<field>`)."""
BATCH_OK = b'{"event_ids":[],"success":true}'
SESSION_OK = (
    b'{"event_id":"0b6f3a52-1c1e-4d7a-9a51-6d3f2a1b0c9e","session_id":"0b6f3a52-1c1e-4d7a-9a51-6d3f2a1b0c9e",'
    b'"org_id":"o","workspace_id":"w","project_id":"p"}'
)


def _json(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="application/json")


def bodies_app(page_kind: str, n: int) -> web.Application:
    event = corpus.session_body()
    wrapped = b'{"event":' + event + b"}"
    page = corpus.page_body(page_kind, n) if n else b'{"events":[],"count":0}'

    async def session(_: web.Request) -> web.Response:
        return _json(event)

    async def get_event(_: web.Request) -> web.Response:
        return _json(wrapped)

    async def search(request: web.Request) -> web.Response:
        await request.read()
        return _json(page)

    app = web.Application()
    app.router.add_get("/session/{id}", session)
    app.router.add_get("/v1/events/{id}", get_event)
    app.router.add_post("/v1/events/search", search)
    app.router.add_post("/v1/events/export", search)
    return app


def pages_app(page_kind: str, total: int) -> web.Application:
    import msgspec

    page = msgspec.json.decode(corpus.page_body(page_kind, 1000))
    body = msgspec.json.encode({"events": page["events"], "count": total})

    async def search(request: web.Request) -> web.Response:
        await request.read()
        return _json(body)

    app = web.Application()
    app.router.add_post("/v1/events/search", search)
    return app


def sink_app() -> web.Application:
    def answer(body: bytes) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            await request.read()
            return _json(body)

        return handler

    # langsmith: runs created (multipart parts named "post.<id>", or a batch's "post" list),
    # read back at GET /_sink/runs; its experiments (projects) answered as `TracerSession`s.
    runs = {"posted": 0}

    async def multipart(request: web.Request) -> web.Response:
        runs["posted"] += len(_RUN_PART.findall(await request.read()))
        return _json(b"{}")

    async def batch(request: web.Request) -> web.Response:
        import msgspec

        body = msgspec.json.decode(await request.read())
        runs["posted"] += len(body.get("post") or []) if isinstance(body, dict) else 0
        return _json(b"{}")

    async def project(request: web.Request) -> web.Response:
        await request.read()
        project_id = request.match_info.get("id", "00000000-0000-4000-8000-000000000001")
        return _json(
            b'{"id":"%s","tenant_id":"00000000-0000-4000-8000-000000000000",'
            b'"reference_dataset_id":null,"name":"bench","start_time":"2026-01-01T00:00:00Z"}'
            % project_id.encode()
        )

    async def posted(_: web.Request) -> web.Response:
        return _json(b'{"posted":%d}' % runs["posted"])

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/events/batch", answer(BATCH_OK))
    app.router.add_post("/v1/sessions", answer(SESSION_OK))
    app.router.add_post("/session/start", answer(SESSION_OK))  # honeyhive 1.7.0's session start
    app.router.add_post("/runs/multipart", multipart)
    app.router.add_post("/runs/batch", batch)
    app.router.add_post("/sessions", project)
    app.router.add_route("*", "/sessions/{id}", project)
    app.router.add_get("/_sink/runs", posted)
    app.router.add_route("*", "/{tail:.*}", answer(b"{}"))
    return app


def openai_app() -> web.Application:
    import msgspec

    base = {"id": "chatcmpl-b", "created": 0, "model": "gpt-4o-mini"}
    usage = {"prompt_tokens": 12, "completion_tokens": 20, "total_tokens": 32}
    message = {"role": "assistant", "content": "tok " * 20}
    choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
    completion = msgspec.json.encode(
        {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
    )

    def sse(payload: dict[str, object]) -> bytes:
        chunk = {**base, "object": "chat.completion.chunk", **payload}
        return b"data: " + msgspec.json.encode(chunk) + b"\n\n"

    def delta(content: dict[str, str], finish: str | None = None) -> dict[str, object]:
        return {"choices": [{"index": 0, "delta": content, "finish_reason": finish}]}

    body = b"".join(
        [
            sse(delta({"role": "assistant", "content": ""})),
            *[sse(delta({"content": "tok "})) for _ in range(20)],
            sse(delta({}, "stop")),
        ]
    )
    usage_chunk = sse({"choices": [], "usage": usage})

    async def chat(request: web.Request) -> web.StreamResponse:
        asked = msgspec.json.decode(await request.read())
        if not asked.get("stream"):
            return _json(completion)
        with_usage = (asked.get("stream_options") or {}).get("include_usage")
        stream = body + (usage_chunk if with_usage else b"") + b"data: [DONE]\n\n"
        return web.Response(body=stream, content_type="text/event-stream")

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    return app


async def _serve(kind: str, args: list[str]) -> None:
    if kind == "local":
        from honeyhive_async.server import LocalServer

        server = await LocalServer().start()
        print(server.url.rsplit(":", 1)[1], flush=True)
    else:
        if kind == "bodies":
            app = bodies_app(args[0], int(args[1]))
        elif kind == "pages":
            app = pages_app(args[0], int(args[1]))
        elif kind == "openai":
            app = openai_app()
        else:
            app = sink_app()
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(runner.addresses[0][1], flush=True)
    # Serve until the parent closes our stdin.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


@contextlib.contextmanager
def child_process(
    args: list[str], what: str, *, stop_wait: float = 5.0
) -> Iterator[tuple[str, int]]:
    """Run ``python -m <args>`` from the repository root; yield ``(first stdout line, pid)``.

    The child prints one line when it is ready (a port or a URL) and serves until its stdin
    closes; on exit it gets `stop_wait` seconds to stop before it is killed.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line:
            raise RuntimeError(f"{what} did not start")
        yield line, proc.pid
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(stop_wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def serve(kind: str, *args: str | int) -> Iterator[tuple[str, int]]:
    """Start a server process; yield ``(base_url, pid)``; stop it on exit."""
    with child_process(["benchmarks.servers", kind, *map(str, args)], f"server {kind}") as (
        port,
        pid,
    ):
        yield f"http://127.0.0.1:{port}", pid


def client_headers(api_key: str = "k") -> dict[str, str]:
    """The headers honeyhive_async sends, for the raw clients to send too (same work)."""
    from honeyhive_async._transport import user_agent

    return {
        "User-Agent": user_agent(),
        "Accept": "application/json",
        "Authorization": f"Bearer {api_key}",
    }


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stat_cpu_seconds(path: str) -> float:
    """User + system CPU seconds so far from a Linux ``stat`` file (a process's or a thread's)."""
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux `/proc`)."""
    return stat_cpu_seconds(f"/proc/{pid}/stat")


if __name__ == "__main__":
    asyncio.run(_serve(sys.argv[1], sys.argv[2:]))
