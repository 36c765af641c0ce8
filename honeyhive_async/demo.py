"""A small traced "LLM app" that `honeyhive-async demo` runs against the local server.

Nothing here calls a real model: the model streams canned tokens with short pauses, so the
trace has the shape of a real one (a chain, a retrieval tool, parallel model calls, a stream,
an error that is caught) without a network or a key.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from .tracing import enrich_session, enrich_span, trace

__all__ = [
    "answer_question",
    "count_tokens",
    "fake_model",
    "lookup_weather",
    "search_docs",
    "summarize",
]

_DOCS = {
    "honeyhive": "HoneyHive records every model, tool and chain call of an app as events.",
    "sessions": "A session groups the events of one user interaction into a tree.",
    "tracing": "Decorators turn function calls into events without blocking the app.",
}


@trace(event_type="tool")
async def search_docs(query: str, top_k: int = 2) -> list[dict[str, str]]:
    """Return the documents that share a word with the query."""
    await asyncio.sleep(0.02)
    words = set(query.lower().split())
    hits = [{"id": key, "text": text} for key, text in _DOCS.items() if key in words]
    enrich_span(metrics={"hits": len(hits)})
    return hits[:top_k] or [{"id": "tracing", "text": _DOCS["tracing"]}]


@trace(event_type="tool")
def count_tokens(text: str) -> int:
    """Count whitespace tokens (a stand-in for a tokenizer)."""
    return len(text.split())


@trace(event_type="tool")
async def lookup_weather(city: str) -> dict[str, Any]:
    """A tool that times out: the chain catches the error and carries on."""
    await asyncio.sleep(0.01)
    raise TimeoutError(f"weather service did not answer for {city!r}")


@trace(event_type="model", config={"model": "fake-gpt-mini", "temperature": 0.2})
async def fake_model(prompt: str) -> AsyncIterator[str]:
    """Stream a canned completion token by token."""
    reply = f"Based on the context, {prompt.split('?')[0].lower()} is handled by HoneyHive."
    for token in reply.split(" "):
        await asyncio.sleep(0.004)
        yield token + " "
    enrich_span(metadata={"prompt_tokens": len(prompt.split()), "completion_tokens": 12})


@trace(event_type="chain")
async def summarize(question: str, docs: list[dict[str, str]]) -> str:
    """Ask the model about the question with the documents as context."""
    prompt = f"{question}\n\nContext: " + " ".join(d["text"] for d in docs)
    return "".join([chunk async for chunk in fake_model(prompt)]).strip()


@trace(event_type="chain")
async def answer_question(question: str) -> dict[str, Any]:
    """Retrieve, call the model twice in parallel, use a tool that fails, and answer."""
    docs = await search_docs(question)
    short, detailed = await asyncio.gather(
        summarize(question, docs[:1]), summarize(question + " in detail?", docs)
    )
    try:
        weather = await lookup_weather("Paris")
    except TimeoutError as exc:
        weather = {"error": str(exc)}
    tokens = count_tokens(detailed)
    enrich_session(metadata={"demo": True}, metrics={"answer_tokens": tokens})
    return {"answer": detailed, "short": short, "weather": weather, "tokens": tokens}
