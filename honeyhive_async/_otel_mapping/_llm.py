"""Model calls as the GenAI and OpenInference conventions record them, into event fields.

OpenTelemetry's GenAI conventions (``gen_ai.*``: the request and usage attributes, the older
``gen_ai.prompt.N.*``/``gen_ai.completion.N.*`` attributes, ``gen_ai.input.messages``, and the
``gen_ai.*.message``/``gen_ai.choice``/``gen_ai.content.*`` events) and OpenInference's
(``llm.*``, ``input.value``, ``output.value``) become what HoneyHive shows for a model event:
config (provider, model, parameters), inputs (``chat_history``), outputs (the reply message)
and token counts. Pure functions over decoded attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._flat import decode_json_text, prefixed, unflatten
from ._spans import SpanEventData

__all__ = ["LlmParts", "llm_parts", "read_here"]

_MESSAGE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
_MODEL_OPERATIONS = {"chat", "text_completion", "generate_content", "embeddings"}
_TOKENS = {
    "prompt_tokens": (
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.prompt_tokens",
        "llm.token_count.prompt",
        "llm.usage.prompt_tokens",
    ),
    "completion_tokens": (
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.completion_tokens",
        "llm.token_count.completion",
        "llm.usage.completion_tokens",
    ),
    "total_tokens": (
        "llm.token_count.total",
        "llm.usage.total_tokens",
        "gen_ai.usage.total_tokens",
    ),
}


_READ_PREFIXES = (
    "gen_ai.prompt.",
    "gen_ai.completion.",
    "gen_ai.request.",
    "llm.input_messages.",
    "llm.output_messages.",
    "llm.tools.",
    "llm.prompt_template.",
)
_READ_KEYS = frozenset(
    {
        "gen_ai.provider.name",
        "gen_ai.system",
        "gen_ai.operation.name",
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.response.model",
        "gen_ai.response.id",
        "gen_ai.response.finish_reasons",
        "llm.provider",
        "llm.system",
        "llm.model_name",
        "llm.request.model_name",
        "llm.invocation_parameters",
        "llm.finish_reason",
        "llm.cost.total",
        "input.value",
        "input.mime_type",
        "output.value",
        "output.mime_type",
        "openinference.span.kind",
        "metadata",
        "user.id",
        *(key for keys in _TOKENS.values() for key in keys),
    }
)


def read_here(key: str) -> bool:
    """Whether `llm_parts` reads this attribute into a field (so it is not copied to metadata)."""
    return key in _READ_KEYS or key.startswith(_READ_PREFIXES)


@dataclass(slots=True)
class LlmParts:
    """What the conventions say about one span, in event fields."""

    is_model: bool = False
    """The span is a model call (its event type is "model" unless the span says otherwise)."""
    config: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    user_properties: dict[str, Any] = field(default_factory=dict)


def llm_parts(attributes: Mapping[str, Any], events: list[SpanEventData]) -> LlmParts:
    """Return the model call that `attributes` and `events` of one span describe."""
    parts = LlmParts()
    kind = str(attributes.get("openinference.span.kind", "")).upper()
    operation = str(attributes.get("gen_ai.operation.name", "")).lower()
    _config(attributes, parts.config)
    history = _messages(attributes, events, "input")
    replies = _messages(attributes, events, "output")
    parts.is_model = kind in ("LLM", "EMBEDDING") or (
        not kind and (operation in _MODEL_OPERATIONS or "model" in parts.config)
    )
    if history:
        parts.inputs["chat_history"] = history
    elif "input.value" in attributes:
        _merge_value(parts.inputs, attributes["input.value"], attributes.get("input.mime_type"))
    if replies:
        parts.outputs.update(replies[0])
        if isinstance(attributes.get("llm.finish_reason"), str):
            parts.outputs.setdefault("finish_reason", attributes["llm.finish_reason"])
        if len(replies) > 1:
            parts.outputs["choices"] = replies
    elif "output.value" in attributes:
        _merge_value(parts.outputs, attributes["output.value"], attributes.get("output.mime_type"))
    _usage(attributes, parts)
    for name, key in (
        ("response_model", "gen_ai.response.model"),
        ("response_id", "gen_ai.response.id"),
        ("finish_reasons", "gen_ai.response.finish_reasons"),
    ):
        if key in attributes:
            parts.metadata[name] = attributes[key]
    extra = decode_json_text(attributes.get("metadata"))
    if isinstance(extra, dict):
        parts.metadata.update(extra)
    if "user.id" in attributes:
        parts.user_properties["user_id"] = attributes["user.id"]
    return parts


def _config(attributes: Mapping[str, Any], config: dict[str, Any]) -> None:
    """Provider, model and request parameters: GenAI's, then OpenInference's."""
    for key in ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system"):
        if isinstance(attributes.get(key), str):
            config.setdefault("provider", attributes[key])
    for key in ("gen_ai.request.model", "llm.request.model_name", "llm.model_name"):
        if isinstance(attributes.get(key), str):
            config.setdefault("model", attributes[key])
    for name, value in prefixed(attributes, "gen_ai.request"):
        if name and name != "model":
            config[name] = value
    invocation = decode_json_text(attributes.get("llm.invocation_parameters"))
    if isinstance(invocation, dict):
        config.update(invocation)
    tools = unflatten(prefixed(attributes, "llm.tools"))
    if isinstance(tools, list):
        config["tools"] = [
            decode_json_text(_get(tool, "tool", "json_schema")) for tool in tools if tool
        ]
    template = unflatten(prefixed(attributes, "llm.prompt_template"))
    if isinstance(template, dict) and template:
        if "variables" in template:
            template["variables"] = decode_json_text(template["variables"])
        config["prompt_template"] = template


def _messages(
    attributes: Mapping[str, Any], events: list[SpanEventData], side: str
) -> list[dict[str, Any]]:
    """The prompt (`side` "input") or the replies ("output"), from whichever form is present."""
    old = "gen_ai.prompt" if side == "input" else "gen_ai.completion"
    flat = unflatten(prefixed(attributes, old))
    if isinstance(flat, list) and flat:
        return [_message(item) for item in flat if isinstance(item, dict)]
    structured = decode_json_text(attributes.get(f"gen_ai.{side}.messages"))
    if isinstance(structured, list) and structured:
        return [_message(item) for item in structured if isinstance(item, dict)]
    openinference = unflatten(prefixed(attributes, f"llm.{side}_messages"))
    if isinstance(openinference, list) and openinference:
        return [
            _message(item.get("message", item)) for item in openinference if isinstance(item, dict)
        ]
    return _messages_from_events(events, side)


def _messages_from_events(events: list[SpanEventData], side: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for event in events:
        attrs = event.attributes
        if side == "input" and event.name in _MESSAGE_EVENTS:
            content = decode_json_text(attrs.get("content", attrs.get("gen_ai.event.content")))
            message = content if isinstance(content, dict) else {"content": content}
            out.append(_message({"role": _MESSAGE_EVENTS[event.name], **message}))
        elif side == "output" and event.name == "gen_ai.choice":
            message = decode_json_text(attrs.get("message"))
            reply = _message(message if isinstance(message, dict) else unflatten(attrs.items()))
            if "finish_reason" in attrs:
                reply["finish_reason"] = attrs["finish_reason"]
            out.append(reply)
        else:
            # The GenAI conventions of 2024: one event holding the whole prompt or completion.
            name, key = (
                ("gen_ai.content.prompt", "gen_ai.prompt")
                if side == "input"
                else ("gen_ai.content.completion", "gen_ai.completion")
            )
            whole = decode_json_text(attrs.get(key)) if event.name == name else None
            if isinstance(whole, list):
                out.extend(_message(item) for item in whole if isinstance(item, dict))
    return out


def _message(raw: Any) -> dict[str, Any]:
    """One chat message as HoneyHive shows it: ``role``, ``content`` (text), tool calls."""
    if not isinstance(raw, dict):
        return {"content": raw}
    message = {key.removeprefix("message."): value for key, value in raw.items()}
    parts = message.pop("parts", None) or message.pop("contents", None)
    if "content" not in message and isinstance(parts, list):
        texts = [_part_text(part) for part in parts]
        if all(isinstance(text, str) for text in texts):
            message["content"] = "".join(str(text) for text in texts)
        else:
            message["content"] = parts
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        message["tool_calls"] = [
            call.get("tool_call", call) if isinstance(call, dict) else call for call in calls
        ]
    return message


def _part_text(part: Any) -> str | None:
    """The text of a message part (GenAI ``{"type": "text", "content"}`` or OpenInference's)."""
    if not isinstance(part, dict):
        return None
    inner = part.get("message_content", part)
    if not isinstance(inner, dict) or inner.get("type") != "text":
        return None
    text = inner.get("content", inner.get("text"))
    return text if isinstance(text, str) else None


def _usage(attributes: Mapping[str, Any], parts: LlmParts) -> None:
    """Token counts into metrics, and into metadata where the session tree sums them."""
    counts: dict[str, int | float] = {}
    for name, keys in _TOKENS.items():
        for key in keys:
            value = attributes.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                counts[name] = value
                break
    if "total_tokens" not in counts and {"prompt_tokens", "completion_tokens"} <= counts.keys():
        counts["total_tokens"] = counts["prompt_tokens"] + counts["completion_tokens"]
    cost = attributes.get("llm.cost.total")
    parts.metrics.update(counts)
    parts.metadata.update(counts)
    if isinstance(cost, (int, float)) and not isinstance(cost, bool):
        parts.metadata["cost"] = cost


def _merge_value(target: dict[str, Any], value: Any, mime_type: Any) -> None:
    """``input.value``/``output.value``: a JSON object's keys, else the value under "value"."""
    decoded = decode_json_text(value) if mime_type == "application/json" else value
    if isinstance(decoded, dict):
        target.update(decoded)
    else:
        target["value"] = decoded


def _get(node: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(node, dict):
            return None
        node = node.get(name)
    return node
