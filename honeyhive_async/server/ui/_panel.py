"""The event panel: one event's fields as pretty JSON, a model call as a conversation.

Rendered into the session page for ``?event=ID`` (no JavaScript needed) and alone as the
fragment ``ui.js`` fetches when a row is clicked.
"""

from __future__ import annotations

from typing import Any

from ._html import esc, fmt_ms, fmt_time, json_block, pretty_json

__all__ = ["EMPTY_PANEL", "FIELDS", "chat_messages", "event_panel", "token_usage"]

FIELDS = ("inputs", "outputs", "config", "metadata", "metrics", "feedback")
"""The JSON fields the panel shows, in order (an empty one is left out)."""

EMPTY_PANEL = (
    '<section id="event-panel" aria-live="polite">'
    '<p class="hint">Select an event in the waterfall to see its inputs, outputs and more.</p>'
    "</section>"
)
_USAGE_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens", "cost")
_PROMPT_KEYS = ("prompt", "question", "input", "query", "text")
_REPLY_KEYS = ("content", "completion", "answer", "result", "text", "output")


def _message(item: Any, default_role: str) -> tuple[str, Any, Any] | None:
    """(role, content, tool calls) of a chat message, or None if it is not one."""
    if isinstance(item, str):
        return default_role, item, None
    if not isinstance(item, dict):
        return None
    role = item.get("role")
    content = item.get("content")
    calls = item.get("tool_calls") or item.get("function_call")
    if content is None and calls is None:
        return None
    return (role if isinstance(role, str) and role else default_role), content, calls


def chat_messages(event: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """The model call as (role, content, tool calls): the history or prompt, then the reply."""
    found: list[tuple[str, Any, Any]] = []
    inputs = event.get("inputs")
    if isinstance(inputs, dict):
        history = inputs.get("chat_history", inputs.get("messages"))
        if isinstance(history, list):
            found.extend(m for m in (_message(item, "user") for item in history) if m)
        else:
            prompt = next((inputs[k] for k in _PROMPT_KEYS if isinstance(inputs.get(k), str)), None)
            if prompt is not None:
                found.append(("user", prompt, None))
    outputs = event.get("outputs")
    reply: tuple[str, Any, Any] | None = None
    if isinstance(outputs, dict):
        choices = outputs.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            reply = _message(choices[0].get("message"), "assistant")
        if reply is None:
            reply = _message(outputs, "assistant") if "role" in outputs else None
        if reply is None:
            text = next((outputs[k] for k in _REPLY_KEYS if isinstance(outputs.get(k), str)), None)
            reply = None if text is None else ("assistant", text, None)
    elif isinstance(outputs, str):
        reply = ("assistant", outputs, None)
    if reply is not None:
        found.append(reply)
    return found


def token_usage(event: dict[str, Any]) -> dict[str, Any]:
    """Token counts and cost from the event's metrics, metadata or ``outputs.usage``."""
    usage: dict[str, Any] = {}
    outputs = event.get("outputs")
    sources = [event.get("metrics"), event.get("metadata")]
    if isinstance(outputs, dict):
        sources.append(outputs.get("usage"))
    for source in sources:
        if isinstance(source, dict):
            for key in _USAGE_KEYS:
                value = source.get(key)
                if (
                    key not in usage
                    and isinstance(value, (int, float))
                    and not isinstance(value, bool)
                ):
                    usage[key] = value
    return usage


def _chat(event: dict[str, Any]) -> str:
    parts = ['<h3>Conversation</h3><div id="chat">']
    messages = chat_messages(event)
    for role, content, calls in messages:
        text = content if isinstance(content, str) else pretty_json(content)
        parts.append(
            f'<div class="message role-{esc(_role_class(role))}" data-role="{esc(role)}">'
            f'<span class="role">{esc(role)}</span><div class="content">{esc(text)}</div>'
        )
        if calls is not None:
            parts.append(f'<pre class="tool-calls">{esc(pretty_json(calls))}</pre>')
        parts.append("</div>")
    if not messages:
        parts.append('<p class="hint">No chat messages recorded.</p>')
    parts.append("</div>")
    usage = token_usage(event)
    parts.append('<h3>Token usage</h3><dl id="usage">')
    for key, value in usage.items():
        parts.append(f"<dt>{esc(key.replace('_', ' '))}</dt><dd>{esc(value)}</dd>")
    if not usage:
        parts.append("<dt>tokens</dt><dd>not recorded</dd>")
    parts.append("</dl>")
    return "".join(parts)


def _role_class(role: str) -> str:
    return role if role in ("system", "user", "assistant", "tool", "function") else "other"


def event_panel(event: dict[str, Any]) -> str:
    """Return ``section#event-panel`` showing `event`."""
    event_id = str(event.get("event_id") or "")
    start = event.get("start_time")
    facts = [
        ("type", event.get("event_type")),
        ("event id", event_id),
        ("parent id", event.get("parent_id")),
        ("source", event.get("source")),
        ("start", fmt_time(start) if isinstance(start, (int, float)) else None),
        ("duration", fmt_ms(d) if isinstance(d := event.get("duration"), (int, float)) else None),
    ]
    parts = [
        '<section id="event-panel" aria-live="polite" '
        f'data-event-id="{esc(event_id)}">'
        f'<h2 id="event-name">{esc(event.get("event_name") or "(unnamed)")}</h2><dl class="facts">'
    ]
    parts.extend(f"<dt>{name}</dt><dd>{esc(value)}</dd>" for name, value in facts if value)
    parts.append("</dl>")
    error = event.get("error")
    if error:
        text = error if isinstance(error, str) else pretty_json(error)
        parts.append(f'<h3>Error</h3><pre id="event-error">{esc(text)}</pre>')
    if event.get("event_type") == "model":
        parts.append(_chat(event))
    for name in FIELDS:
        value = event.get(name)
        if value is None or value == {} or value == []:
            continue
        parts.append(f"<h3>{name}</h3>{json_block(value, name, event_id)}")
    parts.append("</section>")
    return "".join(parts)
