"""Redaction rules (by key, by value, by credential shape) and repair of unencodable text."""

from __future__ import annotations

import os
from typing import Any

import msgspec
import pytest

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import REDACTED, Tracer, trace
from honeyhive_async.tracing._capture import Sanitizer, repair_text

from .conftest import events_of

OWN_KEY = "hh-own-key-7f3a9c2e"
BAD = os.fsdecode(b"caf\xe9.txt")  # a Latin-1 file name: 'caf\udce9.txt', a lone surrogate


def _field(sanitizer: Sanitizer, value: Any) -> Any:
    return msgspec.json.decode(sanitizer.field("inputs", value))


# -- keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "openaiApiKey",
        "OpenAIApiKey",
        "apiKey",
        "accessToken",
        "clientSecret",
        "bearer",
        "credentials",
        "awsCredentials",
        "auth",
        "basic_auth",
        "jwt",
        "sessionToken",
        "x.api.key",
        "X-Api-Key",
        "DB_PASSWORD",
        "passphrase",
    ],
)
def test_camel_case_and_compound_secret_keys_are_redacted(key: str) -> None:
    assert _field(Sanitizer(), {key: "v4lue", "keep": 1}) == {key: REDACTED, "keep": 1}
    assert _field(Sanitizer(), {"deep": [{key: {"any": "shape"}}]}) == {"deep": [{key: REDACTED}]}


@pytest.mark.parametrize(
    "key",
    [
        "tokens",
        "max_tokens",
        "maxTokens",
        "max_new_tokens",
        "token_count",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "promptTokens",
        "num_tokens",
        "max_token",
        "prompt_token",
        "eos_token",
        "pad_token",
        "bos_token",
        "tokenizer",
        "token_ids",
        "token_usage",
        "input_token_count",
        "author",
        "authors",
        "oauth_provider",
        "keyword",
        "key",
        "cache_key",
        "primary_key",
        "passage",
        "secretary",
    ],
)
def test_ordinary_keys_llm_apps_use_are_kept(key: str) -> None:
    assert _field(Sanitizer(), {key: 7}) == {key: 7}
    assert _field(Sanitizer(), {"nested": {key: "text"}}) == {"nested": {key: "text"}}


def test_an_auth_tuple_is_redacted_whole() -> None:
    out = _field(Sanitizer(), {"auth": ("user", "hunter2-pass"), "url": "https://x"})
    assert out == {"auth": REDACTED, "url": "https://x"}


# -- values inside text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "Authorization: Bearer [REDACTED]"),
        ("BEARER abcDEF123456789", "BEARER [REDACTED]"),
        ("key sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123 used", "key [REDACTED] used"),
        ("sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx-0123", "[REDACTED]"),
        ("sk-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd", "[REDACTED]"),
        ("token ghp_" + "a1B2" * 9, "token [REDACTED]"),
        ("aws AKIAIOSFODNN7EXAMPLE here", "aws [REDACTED] here"),
        ("g AIzaSyA-abcdefghijklmnopqrstuvwxyz12345", "g [REDACTED]"),
        ("xoxb-123456789012-abcdefABCDEF", "[REDACTED]"),
        (
            "https://x/y?api_key=abc123&token=t0k&page=2",
            "https://x/y?api_key=[REDACTED]&token=[REDACTED]&page=2",
        ),
        ("GET /v1?accessToken=abc&max_tokens=5", "GET /v1?accessToken=[REDACTED]&max_tokens=5"),
        (
            "https://maps.example/api?key=AIzaXYZ&q=paris",
            "https://maps.example/api?key=[REDACTED]&q=paris",
        ),
        (
            "https://s3/b/o?X-Amz-Signature=deadbeef&x=1",
            "https://s3/b/o?X-Amz-Signature=[REDACTED]&x=1",
        ),
        ("postgres://bob:hunter2@db:5432/app", "postgres://bob:[REDACTED]@db:5432/app"),
    ],
)
def test_credential_shapes_are_scrubbed_inside_text(text: str, expected: str) -> None:
    sanitizer = Sanitizer()
    assert _field(sanitizer, {"s": text}) == {"s": expected}
    assert _field(sanitizer, {"deep": [[text]]}) == {"deep": [[expected]]}
    assert sanitizer.text("error", f"failed: {text}") == f"failed: {expected}"


@pytest.mark.parametrize(
    "text",
    [
        "bearer tokens are short-lived",
        "The Bearer Authentication scheme",
        "task-abcdefghijklmnopqrstuvwxyz",
        "ask-me-anything-about-python-today",
        "https://example.com/search?q=tokens&max_tokens=100&page=2",
        "https://example.com/path?monkey=banana",
        "what is the capital of France? a=1&b=2",
        "sk-short",
        "email me at bob@example.com",
        "http://localhost:8080/v1/events",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert _field(Sanitizer(), {"s": text}) == {"s": text}


def test_scrub_credentials_false_keeps_shapes_but_not_the_own_key() -> None:
    sanitizer = Sanitizer(secrets=[OWN_KEY], scrub_credentials=False)
    text = f"Bearer abcDEF123456789 sk-AbCdEfGhIjKlMnOpQrStUvWx {OWN_KEY}"
    assert _field(sanitizer, {"s": text}) == {
        "s": f"Bearer abcDEF123456789 sk-AbCdEfGhIjKlMnOpQrStUvWx {REDACTED}"
    }


def test_the_own_key_is_scrubbed_by_value_everywhere() -> None:
    sanitizer = Sanitizer(secrets=[OWN_KEY])
    value = {
        "arg": OWN_KEY,
        "sentence": f"called with {OWN_KEY}!",
        OWN_KEY: "a key that is the secret",
        "pairs": [(OWN_KEY, "x")],
        "obj": {"repr": object.__new__(_HoldsKey)},
        "bytes": OWN_KEY.encode(),
        "traceback": [{"line": f'client = Client(api_key="{OWN_KEY}")'}],
    }
    raw = bytes(sanitizer.field("metadata", value))
    assert OWN_KEY.encode() not in raw
    out = msgspec.json.decode(raw)
    assert out["arg"] == REDACTED
    assert out["sentence"] == f"called with {REDACTED}!"
    assert out[REDACTED] == REDACTED
    assert out["traceback"] == [{"line": f'client = Client(api_key="{REDACTED}")'}]
    assert OWN_KEY not in sanitizer.text("error", f"ValueError: bad key {OWN_KEY}")
    # The fast path (a flat dict of strings) scrubs too, values and keys.
    assert _field(sanitizer, {"a": OWN_KEY, "b": "ok"}) == {"a": REDACTED, "b": "ok"}
    assert _field(sanitizer, {OWN_KEY: 1}) == {REDACTED: REDACTED}


class _HoldsKey:
    def __repr__(self) -> str:
        return f"_HoldsKey(key={OWN_KEY!r})"


def test_a_short_own_key_is_not_scrubbed_by_value() -> None:
    # A key this short would match ordinary words; only real keys are looked for.
    assert _field(Sanitizer(secrets=["abc"]), {"s": "abcdef"}) == {"s": "abcdef"}


def test_a_secret_cut_by_the_string_limit_is_removed_whole() -> None:
    text = "x" * 95 + OWN_KEY + "y" * 100
    out = _field(Sanitizer(secrets=[OWN_KEY], max_string=100), {"s": text})
    assert out["s"] == "x" * 95 + REDACTED + "... [truncated, 214 chars]"
    assert OWN_KEY[:5] not in out["s"]


# -- text UTF-8 cannot encode -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"path": BAD, "n": 1}, {"path": "caf\ufffd.txt", "n": 1}),
        ({BAD: 1}, {"caf\ufffd.txt": 1}),
        (
            {"deep": [{"k": BAD}, {BAD: [BAD]}]},
            {"deep": [{"k": "caf\ufffd.txt"}, {"caf\ufffd.txt": ["caf\ufffd.txt"]}]},
        ),
        ({"pair": "\ud83d\ude00"}, {"pair": "\U0001f600"}),
    ],
)
def test_unencodable_text_is_repaired_not_dropped(value: Any, expected: Any) -> None:
    assert _field(Sanitizer(), value) == expected


def test_repair_text_and_error_text() -> None:
    assert repair_text("plain") == "plain"
    assert repair_text(BAD) == "caf\ufffd.txt"
    assert Sanitizer().text("error", f"cannot parse {BAD}") == "cannot parse caf\ufffd.txt"
    hooked = Sanitizer(redact=lambda field, value: value)
    assert hooked.text("error", BAD) == "caf\ufffd.txt"
    assert _field(hooked, {"p": BAD}) == {"p": "caf\ufffd.txt"}


# -- end to end -------------------------------------------------------------------------------


async def test_the_tracers_own_key_never_reaches_the_server(
    tracer_factory: Any, honeyhive_server: LocalServer, client: AsyncHoneyHive
) -> None:
    key = honeyhive_server.api_key
    assert key == "local-dev-key"  # written out below, in a source line of a traceback
    tracer: Tracer = tracer_factory()

    @trace
    def configure(token_value: str, settings: dict[str, Any]) -> str:
        return f"configured with {token_value}"

    @trace
    def fail(reason: str) -> None:
        raise ValueError(f"rejected {'local-dev-key'}: {reason}")

    async with tracer.session("keys") as session:
        configure(key, {key: "as a dict key", "nested": {"value": key}})
        with pytest.raises(ValueError, match=r"^rejected local-dev-key: path"):
            fail(f"path {BAD}")
    report = await tracer.flush(5)
    assert report.dropped == {}
    bodies = b"".join(r.body for r in honeyhive_server.requests if r.path.endswith("/batch"))
    assert bodies
    assert key.encode() not in bodies
    events = {e.event_name: e for e in await events_of(client, session.event_id)}
    configured = next(e for name, e in events.items() if str(name).endswith("configure"))
    assert configured.inputs == {
        "token_value": REDACTED,
        "settings": {REDACTED: REDACTED, "nested": {"value": REDACTED}},
    }
    assert configured.outputs == {"result": f"configured with {REDACTED}"}
    failed = next(e for name, e in events.items() if str(name).endswith("fail"))
    assert failed.inputs == {"reason": "path caf\ufffd.txt"}
    assert failed.error == f"ValueError: rejected {REDACTED}: path caf\ufffd.txt"
    assert failed.metadata is not None
    (line,) = [f["line"] for f in failed.metadata["error_traceback"] if "rejected" in f["line"]]
    assert line == f"raise ValueError(f\"rejected {{'{REDACTED}'}}: {{reason}}\")"
