"""`wrap_openai`: chat completions, responses and embeddings of an `openai` client as model events.

Reads the SDK's response objects by attribute only (never imports `openai`): the pydantic
objects themselves (tool calls, response items) are handed to the exporter, which dumps them
off the caller's path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from ..tracing._span import Span
from ..tracing._tracer import Tracer
from ._adapter import Accumulator, request_config
from ._call import closing_raw_stream, traced_copies, traced_method

__all__ = ["wrap_openai"]

ClientT = TypeVar("ClientT")

_PROVIDER = "openai"
_MARK = "_honeyhive_wrapped"


def wrap_openai(client: ClientT, *, tracer: Tracer | None = None) -> ClientT:
    """Trace an `OpenAI` or `AsyncOpenAI` client's model calls; return the same client.

    Each `chat.completions.create` (streamed too), `responses.create` (streamed too, through
    the `responses.stream(...)` helper as well) and `embeddings.create` becomes one `model`
    event under the current span.

    Args:
        client: The client to instrument (in place: wrapping it twice does nothing).
        tracer: Where the events go; the default tracer when omitted.
    """
    if getattr(client, _MARK, False):
        return client
    targets: list[tuple[Any, Any]] = [
        (client.chat.completions, _Chat()),  # type: ignore[attr-defined]
        (client.embeddings, _Embeddings()),  # type: ignore[attr-defined]
    ]
    responses = getattr(client, "responses", None)  # newer SDKs only
    if responses is not None:
        targets.append((responses, _Responses()))
        if hasattr(responses, "stream"):  # the helper streams through `create`, traced here
            responses.stream = closing_raw_stream(responses.stream, responses.create)
    for resource, adapter in targets:
        # An instance attribute shadows the class's method: only this client is traced.
        resource.create = traced_method(resource.create, adapter, tracer)
    traced_copies(client, lambda copy: wrap_openai(copy, tracer=tracer))
    setattr(client, _MARK, True)
    return client


def _field(source: Any, name: str) -> Any:
    # The SDK's usage objects, or the JSON of a usage chunk read before the SDK built it.
    return source.get(name) if isinstance(source, dict) else getattr(source, name, None)


def _usage_metrics(usage: Any, prompt: str, completion: str, details: str) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    if usage is None:
        return metrics
    for name, attr in (
        ("prompt_tokens", prompt),
        ("completion_tokens", completion),
        ("total_tokens", "total_tokens"),
    ):
        value = _field(usage, attr)
        if isinstance(value, int):
            metrics[name] = value
    cached = _field(_field(usage, details), "cached_tokens")
    if isinstance(cached, int):
        metrics["cached_tokens"] = cached
    return metrics


def _chat_usage(usage: Any) -> dict[str, Any]:
    return _usage_metrics(usage, "prompt_tokens", "completion_tokens", "prompt_tokens_details")


def _identity(result: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    for name, attr in (("response_id", "id"), ("response_model", "model")):
        value = getattr(result, attr, None)
        if value is not None:
            metadata[name] = value
    request_id = getattr(result, "_request_id", None)
    if request_id is not None:
        metadata["request_id"] = request_id
    return metadata


class _Chat:
    name = "openai.chat.completions.create"

    def request(self, span: Span, kwargs: dict[str, Any]) -> dict[str, Any]:
        span.config = request_config(_PROVIDER, kwargs)
        messages = kwargs.get("messages")
        span.inputs = {"chat_history": list(messages) if messages is not None else []}
        if kwargs.get("stream") is True and not _asked_for_stream_options(kwargs):
            # Usage comes only when asked for; the chunk that carries it is held back from a
            # caller who did not ask (`_ChatStream.add`). Asked in `extra_body`, which the SDK
            # merges into the JSON as it is: as a parameter, `stream_options` goes through
            # the SDK's typed transform of the request (~50 us a call, measured).
            extra = kwargs.get("extra_body")
            if extra is None or isinstance(extra, dict):
                return {**kwargs, "extra_body": {**(extra or {}), **_ASK_USAGE}}
        return kwargs

    def response(self, span: Span, completion: Any) -> None:
        choices = completion.choices
        metadata = _identity(completion)
        if choices:
            message = choices[0].message
            outputs: dict[str, Any] = {"role": message.role, "content": message.content}
            if message.tool_calls:
                outputs["tool_calls"] = message.tool_calls
            if len(choices) > 1:
                outputs["choices"] = [choice.message for choice in choices]
            span.outputs = outputs
            metadata["finish_reason"] = choices[0].finish_reason
        span.metrics = _chat_usage(completion.usage)
        span.metadata = metadata

    def stream(self, original: dict[str, Any]) -> Accumulator:
        return _ChatStream(hide_usage=not _asked_for_stream_options(original))


_ASK_USAGE = {"stream_options": {"include_usage": True}}


def _asked_for_stream_options(kwargs: dict[str, Any]) -> bool:
    """Whether the caller set `stream_options` (as a parameter or in `extra_body`)."""
    extra = kwargs.get("extra_body")
    return "stream_options" in kwargs or (isinstance(extra, dict) and "stream_options" in extra)


_EMPTY_CHOICES = ('"choices":[]', '"choices": []')
"""How a chunk without choices (the usage chunk) reads in compact and in spaced JSON."""


class _ChatStream:
    """Chat completion chunks joined: the first choice's text and tool calls, usage, ids."""

    def __init__(self, *, hide_usage: bool) -> None:
        self.hide_usage = hide_usage
        self.parts: list[str] = []
        self.role = "assistant"
        self.tools: dict[int, dict[str, Any]] = {}
        self.finish_reason: str | None = None
        self.usage: Any = None
        self.last: Any = None

    @property
    def hold_back(self) -> Callable[[Any], bool] | None:
        """Usage asked for by us is held back raw: the SDK never builds the chunk."""
        # A property, not an attribute: a bound method kept on the accumulator would tie it
        # to itself, garbage (with the last chunk it holds) only the cyclic collector frees.
        return self._usage_event if self.hide_usage else None

    def _usage_event(self, event: Any) -> bool:
        """Whether a raw stream event is the usage chunk (kept here); never raises."""
        try:
            data = event.data
            if not (_EMPTY_CHOICES[0] in data or _EMPTY_CHOICES[1] in data) or event.event:
                return False
            chunk = json.loads(data)
            if not isinstance(chunk, dict) or chunk.get("choices") != [] or chunk.get("error"):
                return False
            usage = chunk.get("usage")
            if not isinstance(usage, dict):
                return False
        except Exception:  # not ours to judge: the SDK reads it as it always does
            return False
        self.usage = usage
        return True

    def add(self, chunk: Any) -> bool:
        self.last = chunk
        choices = chunk.choices
        usage = chunk.usage
        if usage is not None:
            self.usage = usage
            if not choices:
                # The usage chunk the SDK built after all (its JSON was not as expected).
                return not self.hide_usage
        for choice in choices:
            if choice.index:
                continue
            delta = choice.delta
            content = delta.content
            if content:
                self.parts.append(content)
            if delta.role:
                self.role = delta.role
            if delta.tool_calls:
                for call in delta.tool_calls:
                    self._tool_delta(call)
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason
        return True

    def _tool_delta(self, call: Any) -> None:
        entry = self.tools.get(call.index)
        if entry is None:
            entry = self.tools[call.index] = {
                "id": None,
                "type": "function",
                "function": {"name": "", "arguments": ""},
            }
        if call.id:
            entry["id"] = call.id
        function = call.function
        if function is not None:
            entry["function"]["name"] += function.name or ""
            entry["function"]["arguments"] += function.arguments or ""

    def finish(self, span: Span) -> None:
        outputs: dict[str, Any] = {"role": self.role, "content": "".join(self.parts)}
        if self.tools:
            outputs["tool_calls"] = [self.tools[index] for index in sorted(self.tools)]
        span.outputs = outputs
        span.metrics = _chat_usage(self.usage)
        metadata: dict[str, Any] = {}
        last = self.last
        if last is not None:
            # Not `_identity`: a chunk has no `_request_id` (the stream's headers have it),
            # and asking pydantic for a missing attribute is slow.
            metadata["response_id"] = last.id
            metadata["response_model"] = last.model
        if self.finish_reason is not None:
            metadata["finish_reason"] = self.finish_reason
        span.update(metadata=metadata)


def _responses_history(kwargs: dict[str, Any]) -> list[Any]:
    history: list[Any] = []
    instructions = kwargs.get("instructions")
    if instructions:
        history.append({"role": "system", "content": instructions})
    given = kwargs.get("input")
    if isinstance(given, str):
        history.append({"role": "user", "content": given})
    elif given is not None:
        history.extend(given)
    return history


class _Responses:
    name = "openai.responses.create"

    def request(self, span: Span, kwargs: dict[str, Any]) -> dict[str, Any]:
        span.config = request_config(_PROVIDER, kwargs)
        span.inputs = {"chat_history": _responses_history(kwargs)}
        return kwargs

    def response(self, span: Span, response: Any) -> None:
        outputs: dict[str, Any] = {"role": "assistant", "content": response.output_text}
        calls = [item for item in response.output or () if item.type == "function_call"]
        if calls:
            outputs["tool_calls"] = calls
        span.outputs = outputs
        span.metrics = _usage_metrics(
            response.usage, "input_tokens", "output_tokens", "input_tokens_details"
        )
        metadata = _identity(response)
        metadata["finish_reason"] = response.status
        span.update(metadata=metadata)

    def stream(self, original: dict[str, Any]) -> Accumulator:
        del original  # usage always comes with the final response
        return _ResponsesStream(self)


class _ResponsesStream:
    """Response stream events: the text deltas, then the final response when it comes."""

    hold_back = None  # every event reaches the caller

    def __init__(self, adapter: _Responses) -> None:
        self.adapter = adapter
        self.parts: list[str] = []
        self.final: Any = None

    def add(self, event: Any) -> bool:
        kind = event.type
        if kind == "response.output_text.delta":
            self.parts.append(event.delta)
        elif kind in ("response.completed", "response.incomplete", "response.failed"):
            self.final = event.response
        return True

    def finish(self, span: Span) -> None:
        if self.final is not None:
            self.adapter.response(span, self.final)
        else:
            span.outputs = {"role": "assistant", "content": "".join(self.parts)}


class _Embeddings:
    name = "openai.embeddings.create"

    def request(self, span: Span, kwargs: dict[str, Any]) -> dict[str, Any]:
        span.config = request_config(_PROVIDER, kwargs)
        given = kwargs.get("input")
        span.inputs = {"input": list(given) if isinstance(given, list) else given}
        return kwargs

    def response(self, span: Span, result: Any) -> None:
        data = result.data
        # The vectors themselves would dwarf every other field: their count and size only.
        outputs: dict[str, Any] = {"embeddings": len(data)}
        if data:
            outputs["dimensions"] = len(data[0].embedding)
        span.outputs = outputs
        span.metrics = _chat_usage(result.usage)
        span.metadata = _identity(result)

    def stream(self, original: dict[str, Any]) -> Accumulator:
        del original
        raise TypeError("embeddings do not stream")
