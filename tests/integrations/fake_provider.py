"""A fake OpenAI and Anthropic on aiohttp.web, on a thread of its own (sync clients block).

It answers in the providers' JSON and SSE formats. The model name picks a behaviour:
``rate-limited`` answers 429 with Retry-After (``flaky`` only the first time), ``broken`` 500,
``cut`` streams two chunks and drops the connection, ``tools`` replies with a tool call.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from aiohttp import web

REPLY = ["Sessions ", "group ", "events."]
OPENAI_REQUEST_ID = "req_openai_7"
ANTHROPIC_REQUEST_ID = "req_anthropic_7"
USAGE = {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}


class FakeProvider:
    """Start with `with FakeProvider() as fake:`; `fake.url` is the base URL, `fake.bodies` what came."""

    def __init__(self) -> None:
        self.url = ""
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.flaky_left = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._runner: web.AppRunner | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/responses", self._responses)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_post("/v1/messages", self._messages)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> FakeProvider:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    # -- what every route shares ------------------------------------------------------------

    async def _read(self, request: web.Request) -> tuple[dict[str, Any], web.Response | None]:
        body = await request.json()
        self.bodies.append(body)
        self.headers.append(dict(request.headers))
        model = body.get("model")
        if model == "flaky" and self.flaky_left > 0:
            self.flaky_left -= 1
            model = "rate-limited"
        if model == "rate-limited":
            error = {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}
            headers = {"Retry-After": "1", "retry-after-ms": "1", "x-request-id": "req_429"}
            return body, web.json_response(error, status=429, headers=headers)
        if model == "broken":
            error = {"error": {"message": "The server had an error", "type": "server_error"}}
            return body, web.json_response(error, status=500, headers={"x-request-id": "req_500"})
        return body, None

    async def _sse(
        self, request: web.Request, events: list[tuple[str | None, Any]], *, cut: bool, rid: str
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "x-request-id": rid, "request-id": rid}
        )
        await response.prepare(request)
        for index, (name, data) in enumerate(events):
            if cut and index == 2:
                assert request.transport is not None
                request.transport.close()  # mid-stream: no terminating chunk
                return response
            prefix = f"event: {name}\n" if name else ""
            text = data if isinstance(data, str) else json.dumps(data)
            await response.write(f"{prefix}data: {text}\n\n".encode())
        await response.write_eof()
        return response

    # -- OpenAI -----------------------------------------------------------------------------

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body, failure = await self._read(request)
        if failure is not None:
            return failure
        model = body["model"]
        tools = model == "tools"
        base = {"id": "chatcmpl-7", "created": 1700000000, "model": model}
        headers = {"x-request-id": OPENAI_REQUEST_ID}
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": "".join(REPLY)}
            if tools:
                message = {"role": "assistant", "content": None, "tool_calls": [_TOOL_CALL]}
            choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
            usage = {**USAGE, "prompt_tokens_details": {"cached_tokens": 4}}
            reply = {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
            return web.json_response(reply, headers=headers)
        chunk = {**base, "object": "chat.completion.chunk"}
        events: list[tuple[str | None, Any]] = [
            (None, {**chunk, "choices": [_delta({"role": "assistant", "content": ""})]})
        ]
        if tools:
            first = {"index": 0, "id": "call_1", "type": "function"}
            first["function"] = {"name": "search", "arguments": '{"q": '}
            rest = {"index": 0, "function": {"arguments": '"events"}'}}
            events += [
                (None, {**chunk, "choices": [_delta({"tool_calls": [first]})]}),
                (None, {**chunk, "choices": [_delta({"tool_calls": [rest]})]}),
            ]
        else:
            events += [(None, {**chunk, "choices": [_delta({"content": t})]}) for t in REPLY]
        events.append((None, {**chunk, "choices": [_delta({}, "stop")]}))
        if (body.get("stream_options") or {}).get("include_usage"):
            usage_chunk = {**chunk, "choices": [], "usage": USAGE}
            # Providers differ in JSON spacing: "compact-json" as OpenAI sends it, "odd-json"
            # spaced as none does (the wrapper's raw check misses it; the SDK builds it).
            spacing = _USAGE_SPACING.get(model)
            text = usage_chunk if spacing is None else json.dumps(usage_chunk, separators=spacing)
            events.append((None, text))
        events.append((None, "[DONE]"))
        return await self._sse(request, events, cut=model == "cut", rid=OPENAI_REQUEST_ID)

    async def _responses(self, request: web.Request) -> web.StreamResponse:
        body, failure = await self._read(request)
        if failure is not None:
            return failure
        text = "".join(REPLY)
        item = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
        usage = {
            "input_tokens": 11,
            "output_tokens": 3,
            "total_tokens": 14,
            "input_tokens_details": {"cached_tokens": 2},
            "output_tokens_details": {"reasoning_tokens": 0},
        }
        response = {
            "id": "resp_7",
            "object": "response",
            "created_at": 1700000000,
            "model": body["model"],
            "status": "completed",
            "output": [item],
            "usage": usage,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
        }
        if not body.get("stream"):
            return web.json_response(response, headers={"x-request-id": OPENAI_REQUEST_ID})
        # The real sequence: the SDK's `responses.stream(...)` helper checks it as it goes.
        started = {**response, "status": "in_progress", "output": [], "usage": None}
        empty_item = {**item, "status": "in_progress", "content": []}
        part = {"type": "output_text", "text": "", "annotations": []}
        events: list[tuple[str | None, Any]] = [
            ("response.created", {"type": "response.created", "response": started}),
            (
                "response.output_item.added",
                {"type": "response.output_item.added", "output_index": 0, "item": empty_item},
            ),
            (
                "response.content_part.added",
                {
                    "type": "response.content_part.added",
                    "item_id": "msg_1",
                    "output_index": 0,
                    "content_index": 0,
                    "part": part,
                },
            ),
        ]
        for token in REPLY:
            delta = {
                "type": "response.output_text.delta",
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "delta": token,
                "logprobs": [],
            }
            events.append(("response.output_text.delta", delta))
        events.append(
            (
                "response.output_item.done",
                {"type": "response.output_item.done", "output_index": 0, "item": item},
            )
        )
        done = {"type": "response.completed", "response": response}
        events.append(("response.completed", done))
        for number, (_, data) in enumerate(events):
            data["sequence_number"] = number
        return await self._sse(request, events, cut=False, rid=OPENAI_REQUEST_ID)

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        body, failure = await self._read(request)
        if failure is not None:
            return failure
        given = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": [0.5, 0.25, 0.125]}
            for i, _ in enumerate(given)
        ]
        usage = {"prompt_tokens": 5, "total_tokens": 5}
        reply = {"object": "list", "data": data, "model": body["model"], "usage": usage}
        return web.json_response(reply, headers={"x-request-id": OPENAI_REQUEST_ID})

    # -- Anthropic --------------------------------------------------------------------------

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        body, failure = await self._read(request)
        if failure is not None:
            return failure
        model = body["model"]
        tools = model == "tools"
        usage = {"input_tokens": 11, "output_tokens": 3, "cache_read_input_tokens": 4}
        content: list[dict[str, Any]] = [{"type": "text", "text": "".join(REPLY)}]
        if tools:
            content = [_TOOL_USE]
        message = {
            "id": "msg_7",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": "tool_use" if tools else "end_turn",
            "stop_sequence": None,
            "usage": usage,
        }
        if not body.get("stream"):
            return web.json_response(message, headers={"request-id": ANTHROPIC_REQUEST_ID})
        start = {
            **message,
            "content": [],
            "stop_reason": None,
            "usage": {**usage, "output_tokens": 1},
        }
        events: list[tuple[str | None, Any]] = [
            ("message_start", {"type": "message_start", "message": start})
        ]
        if tools:
            block = {**_TOOL_USE, "input": {}}
            deltas = [
                {"type": "input_json_delta", "partial_json": p} for p in ('{"q": ', '"events"}')
            ]
        else:
            block = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": t} for t in REPLY]
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": block},
            )
        )
        events += [
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": d})
            for d in deltas
        ]
        events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
        stop = {"stop_reason": message["stop_reason"], "stop_sequence": None}
        events.append(
            (
                "message_delta",
                {"type": "message_delta", "delta": stop, "usage": {"output_tokens": 3}},
            )
        )
        events.append(("message_stop", {"type": "message_stop"}))
        return await self._sse(request, events, cut=model == "cut", rid=ANTHROPIC_REQUEST_ID)


_TOOL_CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "search", "arguments": '{"q": "events"}'},
}
_USAGE_SPACING = {"compact-json": (",", ":"), "odd-json": (" ,", " : ")}
"""JSON separators of the usage chunk by model name (json.dumps' default otherwise)."""
_TOOL_USE = {"type": "tool_use", "id": "toolu_1", "name": "search", "input": {"q": "events"}}


def _delta(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
