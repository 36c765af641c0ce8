"""A field of plain JSON (scalars, dicts, lists) skips the walk, and encodes as the walk would.

Retrieved documents, ids, token lists: a traced call's arguments and results are often lists of
strings. Encoding them as they are, when no string needs scrubbing or cutting, cost a service
about half of each span's encoding in the exporter thread (issue 14, target 4). Nested plain
values (chat messages, an evaluator's `{"outputs": {...}, "ground_truth": {...}}`) took the walk
too, and cost 2.5-4x what their encoding does (`evaluate` at concurrency 64).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from honeyhive_async.tracing._capture import Sanitizer

SECRET = "local-dev-key-0123"
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(
        [
            "Authorization",
            "api_key",
            "Bearer abcdefghijklmnop",
            f"key {SECRET}",
            "sk-" + "a" * 24,
            "x" * 300,  # longer than max_string below: cut by the walk
            "https://user:pass@example.com",
        ]
    ),
)
_lists = st.one_of(
    st.lists(_scalars, max_size=6),
    st.lists(_scalars, max_size=6).map(tuple),
    st.tuples(st.sampled_from(["Authorization", "token", "name"]), st.text(max_size=20)),
)
_fields = st.dictionaries(
    st.sampled_from(["docs", "ids", "result", "question", "password"]),
    st.one_of(_scalars, _lists),
    max_size=4,
)


_keys = st.sampled_from(["docs", "ids", "result", "question", "password", "role", "content"])
_nested = st.recursive(
    st.one_of(_scalars, _lists),
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(_keys, inner, max_size=5),
    ),
    max_leaves=40,
)


def _sanitizers(**bounds: int) -> tuple[Sanitizer, Sanitizer]:
    options: dict[str, Any] = {"secrets": (SECRET,), "max_string": 200, "max_items": 4, **bounds}
    fast = Sanitizer(**options)
    walked = Sanitizer(redact=lambda _name, value: value, **options)  # a hook: always the walk
    return fast, walked


@settings(max_examples=300, deadline=None)
@given(_fields)
def test_a_field_of_scalar_lists_encodes_as_the_walk_does(value: dict[str, Any]) -> None:
    fast, walked = _sanitizers()
    assert bytes(fast.field("inputs", value)) == bytes(walked.field("inputs", value))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_keys, _nested, max_size=4), st.integers(1, 5), st.integers(1, 12))
def test_a_nested_field_encodes_as_the_walk_does(
    value: dict[str, Any], max_depth: int, max_nodes: int
) -> None:
    # Small depth and node bounds: the fast path must hand over exactly where the walk cuts.
    fast, walked = _sanitizers(max_depth=max_depth, max_nodes=max_nodes)
    assert bytes(fast.field("inputs", value)) == bytes(walked.field("inputs", value))


def test_nested_plain_values_take_the_fast_path_within_the_bounds() -> None:
    fast, _ = _sanitizers(max_depth=3, max_nodes=4)
    chat = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
    assert fast.plain(chat) is not None  # 4 containers at depth 0-2
    assert fast.plain({"messages": [{"role": "user"}] * 3}) is None  # 5 containers
    assert fast.plain({"a": {"b": {"c": {}}}}) is None  # a container at depth 3
    assert fast.plain({"a": [{"password": "x"}]}) is None  # a secret key, however deep
    assert fast.plain({"a": {"b": {1: "x"}}}) is None  # a key the walk turns into text


def test_a_list_of_plain_strings_takes_the_fast_path() -> None:
    fast, _ = _sanitizers()
    assert (
        fast.plain({"docs": ["one document", "another"], "ids": (1, 2.5, None, True)}) is not None
    )
    assert fast.plain({"docs": ["one", ["nested"]]}) is not None
    assert fast.plain({"docs": ["one", {"nested": object()}]}) is None
    assert fast.plain({"docs": ["a"] * 5}) is None  # more than max_items
    assert fast.plain({"pair": ["Authorization", "Bearer abcdefghijklmnop"]}) is None
    assert fast.plain({"docs": [f"key {SECRET}"]}) is None
    assert bytes(fast.field("outputs", {"docs": ["a", "b"]})) == b'{"docs":["a","b"]}'
