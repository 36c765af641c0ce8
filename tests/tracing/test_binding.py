"""Binding a call's arguments (`Binder`), the common call taking its shortcut (issue 14)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from honeyhive_async.tracing._binding import Binder
from honeyhive_async.tracing._capture import Sanitizer


def _bound_by_signature(func: Any, args: tuple[Any, ...], drop: str | None) -> dict[str, Any]:
    bound = inspect.signature(func).bind(*args)
    bound.apply_defaults()
    return {k: v for k, v in bound.arguments.items() if k != drop}


def two(a: int, b: int = 2) -> None: ...
def three(x: Any, y: Any, z: Any) -> None: ...
def nothing() -> None: ...


class Tool:
    def run(self, query: str, limit: int = 3) -> None: ...
    @classmethod
    def make(cls, name: str) -> None: ...


@pytest.mark.parametrize(
    ("func", "args", "drop"),
    [
        (two, (1, 5), None),  # every parameter by position: the shortcut
        (two, (1,), None),  # a default applied: the general way
        (three, ("x", [1], {"k": None}), None),
        (nothing, (), None),
        (Tool.run, (Tool(), "q", 9), "self"),
        (Tool.run, (Tool(), "q"), "self"),
        (Tool.make, ("n",), None),  # bound: cls is not among the parameters
    ],
)  # fmt: skip
def test_positional_calls_bind_as_the_signature_does(
    func: Any, args: tuple[Any, ...], drop: str | None
) -> None:
    assert Binder(func).bind(args, {}) == _bound_by_signature(func, args, drop)
    assert list(Binder(func).bind(args, {})) == list(_bound_by_signature(func, args, drop))


def test_keywords_extra_arguments_and_odd_signatures_take_the_general_way() -> None:
    assert Binder(two).bind((1,), {"b": 7}) == {"a": 1, "b": 7}
    assert Binder(two).bind((1, 2, 3), {}) == {"args": [1, 2, 3], "kwargs": {}}  # the call raises

    def star(*items: Any, **options: Any) -> None: ...

    assert Binder(star).bind((1, 2), {"k": 3}) == {"items": (1, 2), "options": {"k": 3}}


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 12), st.booleans())
def test_any_arity_binds_every_parameter_in_order(arity: int, method: bool) -> None:
    names = [f"p{i}" for i in range(arity)]
    if method:
        names.insert(0, "self")
    namespace: dict[str, Any] = {}
    exec(f"def f({', '.join(names)}): pass", namespace)  # a signature of this arity
    args = tuple(range(len(names)))
    expected = {name: i for i, name in enumerate(names) if not (method and name == "self")}
    assert Binder(namespace["f"]).bind(args, {}) == expected


@pytest.mark.parametrize("text", ["?key=x", "&sig=1", "&key=1", "https://u:p@h", "sk-" + "a" * 20])
def test_the_shortest_credential_shapes_are_still_scrubbed(text: str) -> None:
    # Strings shorter than any match are not searched: the shortest that can match still are.
    sanitizer = Sanitizer()
    walked = Sanitizer(redact=lambda _name, value: value)
    assert bytes(sanitizer.field("inputs", {"t": text})) == bytes(
        walked.field("inputs", {"t": text})
    )
    assert b"REDACTED" in bytes(sanitizer.field("inputs", {"t": text}))


def test_text_shorter_than_any_secret_shape_skips_the_search() -> None:
    sanitizer = Sanitizer(secrets=["hh-local-key-0123456789"])
    searched: list[str] = []
    search = sanitizer._search
    assert search is not None
    assert sanitizer._search_from == 6

    def counting(text: str) -> object:
        searched.append(text)
        return search(text)

    sanitizer._search = counting
    value = {"status": "ok", "id": "abcde", "q": "abcdef"}
    sanitizer.field("outputs", value)  # its keys are checked once, then remembered
    searched.clear()
    assert bytes(sanitizer.field("outputs", value)) == b'{"status":"ok","id":"abcde","q":"abcdef"}'
    assert searched == ["abcdef"]
