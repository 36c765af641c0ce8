"""`wrap_anthropic`: `messages.create` (streamed too) and `messages.stream` of an `anthropic` client.

Reads the SDK's objects by attribute only (never imports `anthropic`). A stream's events are
joined by one accumulator, whether they come raw (`create(stream=True)`) or through the SDK's
`MessageStream`, which passes the raw events on among its own.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from ..tracing._span import Span
from ..tracing._tracer import Tracer
from ._adapter import Accumulator, request_config
from ._call import traced_copies, traced_method, traced_stream_method

__all__ = ["wrap_anthropic"]

ClientT = TypeVar("ClientT")

_PROVIDER = "anthropic"
_MARK = "_honeyhive_wrapped"


def wrap_anthropic(client: ClientT, *, tracer: Tracer | None = None) -> ClientT:
    """Trace an `Anthropic` or `AsyncAnthropic` client's messages; return the same client.

    Each `messages.create` (with ``stream=True`` too) and each `messages.stream(...)` block
    becomes one `model` event under the current span.

    Args:
        client: The client to instrument (in place: wrapping it twice does nothing).
        tracer: Where the events go; the default tracer when omitted.
    """
    if getattr(client, _MARK, False):
        return client
    messages = client.messages  # type: ignore[attr-defined]
    messages.stream = traced_stream_method(
        messages.stream, _Messages(), tracer, "anthropic.messages.stream", messages.create
    )
    messages.create = traced_method(messages.create, _Messages(), tracer)
    traced_copies(client, lambda copy: wrap_anthropic(copy, tracer=tracer))
    setattr(client, _MARK, True)
    return client


def _history(kwargs: dict[str, Any]) -> list[Any]:
    system = kwargs.get("system")
    history: list[Any] = [{"role": "system", "content": system}] if system else []
    history.extend(kwargs.get("messages") or ())
    return history


def _metrics(usage: Any) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    if usage is None:
        return metrics
    prompt = getattr(usage, "input_tokens", None) or 0
    completion = getattr(usage, "output_tokens", None) or 0
    cached = getattr(usage, "cache_read_input_tokens", None) or 0
    created = getattr(usage, "cache_creation_input_tokens", None) or 0
    metrics["prompt_tokens"] = prompt
    metrics["completion_tokens"] = completion
    metrics["total_tokens"] = prompt + completion + cached + created
    metrics["cached_tokens"] = cached
    if created:
        metrics["cache_creation_tokens"] = created
    return metrics


class _Messages:
    name = "anthropic.messages.create"

    def request(self, span: Span, kwargs: dict[str, Any]) -> dict[str, Any]:
        span.config = request_config(_PROVIDER, kwargs)
        span.inputs = {"chat_history": _history(kwargs)}
        return kwargs  # usage always comes in the stream's first and last events

    def response(self, span: Span, message: Any) -> None:
        texts: list[str] = []
        calls: list[dict[str, Any]] = []
        for block in message.content:
            if block.type == "text":
                texts.append(block.text)
            elif block.type == "tool_use":
                calls.append({"id": block.id, "name": block.name, "input": block.input})
        outputs: dict[str, Any] = {"role": message.role, "content": "".join(texts)}
        if calls:
            outputs["tool_calls"] = calls
        span.outputs = outputs
        span.metrics = _metrics(message.usage)
        metadata: dict[str, Any] = {
            "response_id": message.id,
            "response_model": message.model,
            "finish_reason": message.stop_reason,
        }
        request_id = getattr(message, "_request_id", None)
        if request_id is not None:
            metadata["request_id"] = request_id
        span.update(metadata=metadata)

    def stream(self, original: dict[str, Any]) -> Accumulator:
        del original  # usage always comes in the first and last events
        return _Events()


class _Events:
    """Message stream events joined: text, tool calls with their JSON input, usage, stop reason."""

    hold_back = None  # every event reaches the caller

    def __init__(self) -> None:
        self.blocks: dict[int, dict[str, Any]] = {}
        self.usage: dict[str, int] = {}
        self.metadata: dict[str, Any] = {}

    def add(self, event: Any) -> bool:
        kind = event.type
        if kind == "content_block_delta":
            block = self.blocks.get(event.index)
            delta = event.delta
            if block is not None and delta.type == "text_delta":
                block["text"].append(delta.text)
            elif block is not None and delta.type == "input_json_delta":
                block["json"].append(delta.partial_json)
        elif kind == "content_block_start":
            content = event.content_block
            block = {"type": content.type, "text": [], "json": []}
            if content.type == "tool_use":
                block.update(id=content.id, name=content.name)
            self.blocks[event.index] = block
        elif kind == "message_start":
            message = event.message
            self.metadata.update(response_id=message.id, response_model=message.model)
            self._usage(message.usage)
        elif kind == "message_delta":
            self.metadata["finish_reason"] = event.delta.stop_reason
            self._usage(event.usage)
        return True

    def _usage(self, usage: Any) -> None:
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        ):
            value = getattr(usage, name, None)
            if isinstance(value, int):
                self.usage[name] = value

    def finish(self, span: Span) -> None:
        texts: list[str] = []
        calls: list[dict[str, Any]] = []
        for index in sorted(self.blocks):
            block = self.blocks[index]
            if block["type"] == "text":
                texts.extend(block["text"])
            elif block["type"] == "tool_use":
                raw = "".join(block["json"])
                try:
                    given = json.loads(raw) if raw else {}
                except ValueError:  # cut mid-way: the text as it came
                    given = raw
                calls.append({"id": block["id"], "name": block["name"], "input": given})
        outputs: dict[str, Any] = {"role": "assistant", "content": "".join(texts)}
        if calls:
            outputs["tool_calls"] = calls
        span.outputs = outputs
        span.metrics = _metrics(_Usage(self.usage)) if self.usage else {}
        span.update(metadata=self.metadata)


class _Usage:
    """The usage fields collected from a stream, read like the SDK's `Usage`."""

    def __init__(self, fields: dict[str, int]) -> None:
        self.__dict__.update(fields)
