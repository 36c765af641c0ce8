"""What a span captures: JSON-safety, budgets and redaction (the Sanitizer, then end to end)."""

from __future__ import annotations

import dataclasses
from collections import UserDict
from typing import Any

import msgspec
import pytest
from multidict import CIMultiDict

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


def test_a_reference_cycle_is_cut_where_it_closes() -> None:
    out = _field(Sanitizer(), {"c": _cycle()})
    assert out == {"c": {"name": "loop", "self": "[cycle]"}}


def test_shared_but_acyclic_values_are_kept_twice() -> None:
    shared = {"k": 1}
    assert _field(Sanitizer(), {"a": shared, "b": shared}) == {"a": {"k": 1}, "b": {"k": 1}}


def test_deep_nesting_stops_at_the_depth_limit() -> None:
    deep: Any = "leaf"
    for _ in range(10):
        deep = [deep]
    out = _field(Sanitizer(max_depth=3), {"d": deep})
    assert out == {"d": [["[max depth 3 reached]"]]}


def test_a_wide_shared_structure_is_bounded_in_work() -> None:
    leaf = list(range(100))
    y = [leaf] * 1000
    z = [y] * 1000  # a million lists, shared (not a cycle): all would be walked
    out = _field(Sanitizer(max_nodes=5000), {"z": z})
    # Walked in full this would encode to ~300 MB; the walk stopped after 5000 values.
    assert out["z"]["truncated"] is True
    assert out["z"]["original_bytes"] < 2_000_000
    assert (
        "more than 5000 values"
        in msgspec.json.encode(
            _field(Sanitizer(max_nodes=5000, field_budget=10**9), {"z": z})
        ).decode()
    )


class BrokenMapping(dict[str, Any]):
    def items(self) -> Any:
        raise RuntimeError("items() exploded")


def test_a_walk_that_fails_never_falls_back_to_the_raw_value() -> None:
    out = _field(Sanitizer(), BrokenMapping(password="hunter2"))
    assert out == {"value": "[capture failed: BrokenMapping]"}


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


@pytest.mark.parametrize(
    "key",
    [
        "api_key",
        "API_KEY",
        "Authorization",
        "password",
        "token",
        "OPENAI_API_KEY",
        "db_password",
        " password ",
        "X-Api-Key",
        "refresh-token",
    ],
)
def test_secret_keys_are_redacted_at_any_depth(key: str) -> None:
    out = _field(Sanitizer(), {"config": {"nested": [{key: "s3cr3t", "keep": 1}]}})
    assert out == {"config": {"nested": [{key: REDACTED, "keep": 1}]}}


@pytest.mark.parametrize("key", ["prompt_tokens", "max_tokens", "keyword", "passage", "tokenizer"])
def test_ordinary_keys_are_kept(key: str) -> None:
    assert _field(Sanitizer(), {key: 7}) == {key: 7}


@dataclasses.dataclass
class Settings:
    model: str
    api_key: str


class PydanticLike:
    def __init__(self, **fields: Any) -> None:
        self._fields = fields

    def model_dump(self) -> dict[str, Any]:
        return dict(self._fields)

    def __repr__(self) -> str:
        return f"PydanticLike({self._fields!r})"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            CIMultiDict(Authorization="Bearer sk-1", Accept="json"),
            {"Authorization": REDACTED, "Accept": "json"},
        ),
        (UserDict(api_key="sk-2", user="u"), {"api_key": REDACTED, "user": "u"}),
        (Settings(model="m", api_key="sk-3"), {"model": "m", "api_key": REDACTED}),
        (PydanticLike(token="sk-4", n=1), {"token": REDACTED, "n": 1}),
        (
            [("Authorization", "Bearer sk-5"), ("Accept", "json")],
            [
                ["Authorization", REDACTED],
                ["Accept", "json"],
            ],
        ),
    ],
)
def test_secrets_inside_mappings_dataclasses_models_and_header_pairs(
    value: Any, expected: Any
) -> None:
    out = _field(Sanitizer(), {"v": value})
    assert out == {"v": expected}
    assert "sk-" not in msgspec.json.encode(out).decode()


def test_error_text_is_bounded_and_goes_through_the_hook() -> None:
    sanitizer = Sanitizer(max_string=20, redact=lambda field, v: v.replace("sk-9", "***"))
    assert sanitizer.text("error", "bad key sk-9") == "bad key ***"
    assert sanitizer.text("error", "x" * 50).endswith("[truncated, 50 chars]")

    def broken(field: str, value: Any) -> Any:
        raise ValueError

    assert Sanitizer(redact=broken).text("error", "sk-9") == REDACTION_FAILED


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
