"""Deterministic corpora of realistic HoneyHive events (API-NOTES section 4), seeded.

* short: about 1.3 KB an event (ids, config with hyperparameters and a template, a short chat);
* long: about 20 KB (a 5-9 KB retrieved context and 10-24 chat turns);
* mixed: 85 % short, 15 % long, in a seeded order.

Times are Unix milliseconds (numbers), as the API sends them. Text includes non-ASCII (é, —,
日本語, 🙂) and characters JSON must escape. Bodies are compact UTF-8 JSON, cached under
`benchmarks/.cache/` (gitignored) because the long page takes seconds to build.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import msgspec

SEED = 42
VERSION = 1
CACHE = Path(__file__).parent / ".cache"
KINDS = ("short", "mixed", "long")

_WORDS = [
    "the",
    "model",
    "answered",
    "question",
    "context",
    "document",
    "retrieval",
    "vector",
    "embedding",
    "latency",
    "token",
    "prompt",
    "user",
    "assistant",
    "system",
    "customer",
    "order",
    "refund",
    "policy",
    "shipping",
    "invoice",
    "account",
    "password",
    "reset",
    "summary",
    "bullet",
    "step",
    "because",
    "however",
    "therefore",
    "example",
    "result",
    "error",
    "evaluation",
    "metric",
    "score",
    "dataset",
    "experiment",
    "session",
    "trace",
    "span",
    "chain",
    "tool",
    "call",
    "function",
    "weather",
    "forecast",
    "café",
    "résumé",
    "naïve",
    "—",
    "日本語",
    "テスト",
    "🙂",
    '"quoted"',
    "back\\slash",
    "tab\there",
    "line\nbreak",
]
_MODELS = ("gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "llama-3.1-70b", "mistral-large")
_NAMES = {
    "model": ("chat_completion", "summarize", "classify_intent", "generate_answer"),
    "tool": ("vector_search", "get_weather", "sql_query", "web_fetch"),
    "chain": ("rag_pipeline", "agent_step", "answer_question", "rerank"),
    "session": ("support-chat", "checkout-flow", "eval-run"),
}


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _text(rng: random.Random, n_words: int) -> str:
    return " ".join(rng.choices(_WORDS, k=n_words))


def _text_bytes(rng: random.Random, size: int) -> str:
    parts: list[str] = []
    total = 0
    while total < size:
        chunk = _text(rng, 40)
        parts.append(chunk)
        total += len(chunk.encode())
    return " ".join(parts)


def _chat(rng: random.Random, turns: int, words: tuple[int, int]) -> list[dict[str, str]]:
    roles = ("user", "assistant")
    return [
        {"role": roles[i % 2], "content": _text(rng, rng.randint(*words))} for i in range(turns)
    ]


def make_event(rng: random.Random, long: bool, event_type: str | None = None) -> dict[str, Any]:
    """Build one event as HoneyHive's API returns it."""
    etype = event_type or rng.choice(("model", "model", "tool", "chain"))
    session_id = _uuid(rng)
    start = 1_717_000_000_000 + rng.randint(0, 10**9)
    duration = round(rng.uniform(5, 4000), 3)
    event: dict[str, Any] = {
        "event_id": _uuid(rng),
        "session_id": session_id,
        "parent_id": session_id if etype != "session" else None,
        "children_ids": [_uuid(rng) for _ in range(rng.randint(0, 3))],
        "event_type": etype,
        "event_name": rng.choice(_NAMES[etype]),
        "source": rng.choice(("production", "dev", "evaluation")),
        "project_id": "65f1c0b8e4b0a1a2b3c4d5e6",
        "org_id": "64a0b1c2d3e4f5a6b7c8d9e0",
        "workspace_id": "64a0b1c2d3e4f5a6b7c8d9e1",
    }
    if etype in ("model", "chain", "session"):
        event["config"] = {
            "model": rng.choice(_MODELS),
            "provider": rng.choice(("openai", "anthropic", "bedrock")),
            "hyperparameters": {
                "temperature": round(rng.random(), 2),
                "max_tokens": rng.choice((256, 512, 1024)),
                "top_p": 1,
            },
            "template": [
                {"role": "system", "content": _text(rng, 8)},
                {"role": "user", "content": "{{question}}"},
            ],
        }
    else:
        event["config"] = {"tool": event["event_name"], "version": "1.2.0"}
    if long:
        event["inputs"] = {
            "context": _text_bytes(rng, rng.randint(5_000, 9_000)),
            "chat_history": _chat(rng, rng.randint(10, 24), (55, 100)),
        }
        event["outputs"] = {"role": "assistant", "content": _text(rng, rng.randint(80, 200))}
    else:
        event["inputs"] = {"chat_history": _chat(rng, rng.randint(1, 3), (4, 12))}
        event["outputs"] = {"role": "assistant", "content": _text(rng, rng.randint(8, 24))}
    event["error"] = _text(rng, 6) if rng.random() < 0.05 else None
    event["start_time"] = start
    event["end_time"] = start + int(duration)
    event["duration"] = duration
    prompt_tokens = rng.randint(20, 4000)
    completion_tokens = rng.randint(5, 800)
    event["metadata"] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "cost": round(rng.random() / 100, 6),
        "region": rng.choice(("us-east-1", "eu-west-1")),
    }
    event["metrics"] = {"latency_ok": rng.random() < 0.9, "relevance": round(rng.random(), 3)}
    event["feedback"] = (
        {"rating": rng.randint(1, 5), "comment": _text(rng, 8)} if rng.random() < 0.2 else {}
    )
    event["user_properties"] = {"user_id": f"u-{rng.randint(1, 10**6)}", "plan": "pro"}
    return event


def events(kind: str, n: int, seed: int = SEED) -> list[dict[str, Any]]:
    """`n` events of a corpus kind (short, long or mixed), the same for the same seed."""
    if kind not in KINDS:
        raise ValueError(f"unknown corpus kind {kind!r}")
    rng = random.Random(f"{seed}-{kind}")
    out = []
    for _ in range(n):
        long = kind == "long" or (kind == "mixed" and rng.random() < 0.15)
        out.append(make_event(rng, long))
    return out


def _cached(name: str, build: Any) -> bytes:
    path = CACHE / f"{name}-v{VERSION}.json"
    if path.exists():
        return path.read_bytes()
    data: bytes = build()
    CACHE.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return data


def page_body(kind: str, n: int, seed: int = SEED) -> bytes:
    """A search page ``{"events": [...], "count": n}`` as the server sends it."""
    return _cached(
        f"page-{kind}-{n}-s{seed}",
        lambda: msgspec.json.encode({"events": events(kind, n, seed), "count": n}),
    )


def session_body(long: bool = False, seed: int = SEED) -> bytes:
    """The body of ``GET /session/{id}``: one session event."""
    rng = random.Random(f"{seed}-session-{long}")
    return msgspec.json.encode(make_event(rng, long, event_type="session"))


if __name__ == "__main__":
    import statistics

    for kind in KINDS:
        sizes = [len(msgspec.json.encode(e)) for e in events(kind, 2000)]
        print(kind, "median", statistics.median(sizes), "min", min(sizes), "max", max(sizes))
    print("session", len(session_body()), len(session_body(long=True)))
