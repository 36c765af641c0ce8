"""What a span captures: JSON-safety, budgets and redaction (the Sanitizer, then end to end)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import REDACTED, REDACTION_FAILED, Tracer, trace
from honeyhive_async.tracing._capture import Binder, Sanitizer, wrap_output

from .conftest import events_of


def _field(sanitizer: Sanitizer, value: Any, name: str = "inputs") -> Any:
    return msgspec.json.decode(sanitizer.field(name, value))


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


class FakeArray:
    """Stands in for a numpy array: not JSON, with a long repr."""

    def __repr__(self) -> str:
        return "array([" + ", ".join(["0.5"] * 5000) + "])"


def _cycle() -> dict[str, Any]:
    d: dict[str, Any] = {"name": "loop"}
    d["self"] = d
    return d


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": 1, "b": [1, 2.5, None, True]}, {"a": 1, "b": [1, 2.5, None, True]}),
        ({"t": (1, 2)}, {"t": [1, 2]}),
        ({"s": {3}}, {"s": [3]}),
        ({1: "int key"}, {"1": "int key"}),
        ({"b": b"\x00\x01"}, {"b": "b'\\x00\\x01'"}),
        ({"o": Unprintable()}, {"o": "<unrepresentable Unprintable>"}),
    ],
)
def test_values_become_json_safe(value: Any, expected: Any) -> None:
    assert _field(Sanitizer(), value) == expected


def test_objects_are_captured_by_a_bounded_repr() -> None:
    out = _field(Sanitizer(max_repr=50), {"arr": FakeArray()})
    assert out["arr"].startswith("array([0.5, 0.5")
    assert out["arr"].endswith("[truncated, 25007 chars]")


def test_a_reference_cycle_ends_at_the_depth_limit() -> None:
    out = _field(Sanitizer(max_depth=4), {"c": _cycle()})
    assert out["c"]["self"]["self"]["name"] == "loop"
    assert out["c"]["self"]["self"]["self"] == "[max depth 4 reached]"


def test_a_long_string_is_cut_with_its_original_size() -> None:
    out = _field(Sanitizer(max_string=10), {"s": "x" * 100})
    assert out["s"] == "x" * 10 + "... [truncated, 100 chars]"


def test_a_field_over_its_budget_keeps_small_values_and_marks_big_ones() -> None:
    sanitizer = Sanitizer(field_budget=1000, max_string=10**6)
    out = _field(sanitizer, {"small": "ok", "big": "y" * 5000})
    assert out["small"] == "ok"
    assert out["big"]["truncated"] is True
    assert out["big"]["original_bytes"] == 5002
    assert out["big"]["preview"].startswith('"yyy')
    assert len(sanitizer.field("inputs", {"small": "ok", "big": "y" * 5000})) <= 1000


def test_a_field_that_cannot_shrink_becomes_a_marker_with_its_size() -> None:
    sanitizer = Sanitizer(field_budget=200, max_string=10**6)
    out = _field(sanitizer, {f"k{i}": "z" * 100 for i in range(50)})
    assert out["__truncated__"]["truncated"] is True
    assert out["__truncated__"]["original_bytes"] > 5000


@pytest.mark.parametrize("key", ["api_key", "API_KEY", "Authorization", "password", "token"])
def test_secret_keys_are_redacted_at_any_depth(key: str) -> None:
    out = _field(Sanitizer(), {"config": {"nested": [{key: "s3cr3t", "keep": 1}]}})
    assert out == {"config": {"nested": [{key: REDACTED, "keep": 1}]}}


def test_the_redaction_hook_sees_each_field_and_can_rewrite_it() -> None:
    seen: list[str] = []

    def hook(field: str, value: Any) -> Any:
        seen.append(field)
        return {k: ("***" if k == "email" else v) for k, v in value.items()}

    sanitizer = Sanitizer(redact=hook)
    assert _field(sanitizer, {"email": "a@b.c", "q": 1}) == {"email": "***", "q": 1}
    assert _field(sanitizer, {"x": 1}, "outputs") == {"x": 1}
    assert seen == ["inputs", "outputs"]


def test_a_failing_hook_fails_closed() -> None:
    def hook(field: str, value: Any) -> Any:
        raise RuntimeError("hook bug")

    raw = Sanitizer(redact=hook).field("inputs", {"ssn": "123-45-6789"})
    assert b"123-45-6789" not in bytes(raw)
    assert msgspec.json.decode(raw) == {"redaction_failed": REDACTION_FAILED}


def test_a_hook_returning_a_non_object_is_wrapped() -> None:
    out = _field(Sanitizer(redact=lambda field, value: ["not", "an", "object"]), {"a": 1})
    assert out == {"value": ["not", "an", "object"]}


@pytest.mark.parametrize(
    ("value", "wrapped"),
    [({"a": 1}, {"a": 1}), ("text", {"result": "text"}), ([1, 2], {"result": [1, 2]})],
)
def test_wrap_output(value: Any, wrapped: Any) -> None:
    assert wrap_output(value) == wrapped


def _f(a: int, b: str = "d", *args: int, c: float = 1.0, **kw: Any) -> None: ...


def _g(a: int, b: str = "d") -> None: ...


@pytest.mark.parametrize(
    ("func", "args", "kwargs", "bound"),
    [
        (_g, (1,), {}, {"a": 1, "b": "d"}),
        (_g, (1, "x"), {}, {"a": 1, "b": "x"}),
        (_g, (), {"a": 2}, {"a": 2, "b": "d"}),
        (
            _f,
            (1, "x", 3, 4),
            {"z": 9},
            {"a": 1, "b": "x", "args": (3, 4), "c": 1.0, "kw": {"z": 9}},
        ),
        (_g, (1, 2, 3), {}, {"args": [1, 2, 3], "kwargs": {}}),
    ],
)
def test_binder_maps_arguments_to_parameters(
    func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], bound: dict[str, Any]
) -> None:
    assert Binder(func).bind(args, kwargs) == bound


async def test_secrets_and_hook_failures_never_reach_the_server(
    tracer_factory: Any, honeyhive_server: LocalServer, client: AsyncHoneyHive
) -> None:
    def hook(field: str, value: Any) -> Any:
        if field == "outputs":
            raise RuntimeError("broken hook")
        return value

    tracer: Tracer = tracer_factory(redact=hook)

    @trace
    def login(user: str, password: str, settings: dict[str, Any]) -> str:
        return "session-token-abc"

    async with tracer.session("auth") as session:
        login("ann", "hunter2", {"api_key": "hh_live_123", "region": "eu"})
    await tracer.flush(5)
    raw = b"".join(r.body for r in honeyhive_server.requests)
    assert b"hunter2" not in raw
    assert b"hh_live_123" not in raw
    assert b"session-token-abc" not in raw
    (event,) = [e for e in await events_of(client, session.event_id) if e.event_type != "session"]
    assert event.inputs == {
        "user": "ann",
        "password": REDACTED,
        "settings": {"api_key": REDACTED, "region": "eu"},
    }
    assert event.outputs == {"redaction_failed": REDACTION_FAILED}


async def test_unserialisable_inputs_never_raise_into_user_code(
    tracer: Tracer, client: AsyncHoneyHive
) -> None:
    @trace
    def weird(obj: Any, data: bytes, loop: dict[str, Any]) -> Any:
        return Unprintable()

    async with tracer.session("weird") as session:
        result = weird(FakeArray(), b"\xff" * 10, _cycle())
    assert isinstance(result, Unprintable)
    report = await tracer.flush(5)
    assert report.dropped == {}
    (event,) = [e for e in await events_of(client, session.event_id) if e.event_type != "session"]
    assert event.inputs is not None
    assert event.inputs["obj"].startswith("array([")
    assert event.outputs == {"result": "<unrepresentable Unprintable>"}
