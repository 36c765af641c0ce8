"""Dotted attribute keys back into objects: ``a.b.0.c`` -> ``{"a": {"b": [{"c": ...}]}}``.

OpenTelemetry attributes are flat, so tracers flatten objects and lists into dotted keys
(honeyhive==1.7.0's ``honeyhive_inputs.messages.0.role``, OpenInference's
``llm.input_messages.0.message.role``). Pure functions; hostile keys stay bounded: at most
`MAX_KEY_DEPTH` levels, and a list is made only where its indices are dense.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

__all__ = ["MAX_KEY_DEPTH", "decode_json_text", "prefixed", "unflatten"]

MAX_KEY_DEPTH = 32
"""Key segments past this many stay joined in the last one."""
_SCALAR_KEY = "value"
"""Where a scalar goes when the same key also has nested keys (``a`` and ``a.b``)."""
_MAX_INDEX_DIGITS = 9
"""A longer key is no list index: a dense list that long would need more items than a body
holds, and ``int()`` refuses a key of over 4300 digits (a 500 before this bound)."""


def prefixed(attributes: Mapping[str, Any], prefix: str) -> list[tuple[str, Any]]:
    """Return ``(rest, value)`` for every key ``prefix + "." + rest`` (and ``("", value)`` for `prefix`)."""
    dotted = prefix + "."
    out: list[tuple[str, Any]] = []
    for key, value in attributes.items():
        if key == prefix:
            out.append(("", value))
        elif key.startswith(dotted):
            out.append((key[len(dotted) :], value))
    return out


def unflatten(pairs: Iterable[tuple[str, Any]]) -> Any:
    """Return the object that dotted `pairs` flatten, with dense integer keys made lists.

    A pair with the empty key is the value itself: an object's keys merge into the result,
    anything else goes under ``"value"``. A scalar whose key also has nested keys does too.
    """
    root: dict[str, Any] = {}
    # Sorted: a key comes before every key it prefixes ("a" < "a.b").
    for key, value in sorted(pairs, key=lambda pair: pair[0]):
        if key == "":
            if isinstance(value, dict):
                root.update(value)
            else:
                root[_SCALAR_KEY] = value
            continue
        parts = key.split(".", MAX_KEY_DEPTH - 1)
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {} if child is None else {_SCALAR_KEY: child}
                node[part] = child
            node = child
        last = parts[-1]
        existing = node.get(last)
        if isinstance(existing, dict):
            existing.setdefault(_SCALAR_KEY, value)
        else:
            node[last] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    """Turn every object whose keys are dense indices (``"0"``, ``"1"``, ...) into a list."""
    if not isinstance(node, dict):
        return node
    items = {key: _listify(value) for key, value in node.items()}
    if items and all(_is_index(key) for key in items):
        size = max(int(key) for key in items) + 1
        # Dense enough: a list of this size holds at most as many holes as values, and
        # ``a.999999999`` alone never allocates a huge list.
        if size <= 2 * len(items):
            out: list[Any] = [None] * size
            for key, value in items.items():
                out[int(key)] = value
            return out
    return items


def _is_index(key: str) -> bool:
    return (
        len(key) <= _MAX_INDEX_DIGITS
        and key.isascii()
        and key.isdigit()
        and (key == "0" or not key.startswith("0"))
    )


def decode_json_text(value: Any) -> Any:
    """Return `value` decoded if it is JSON text of an object or array, else `value` itself.

    Tracers serialise dicts and lists into string attributes; numbers, words and JSON nested
    deeper than `MAX_KEY_DEPTH` stay text.
    """
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            decoded = msgspec.json.decode(value)
        except (msgspec.DecodeError, RecursionError):
            return value
        if isinstance(decoded, (dict, list)) and _shallow(decoded):
            return decoded
    return value


def _shallow(value: Any) -> bool:
    """Return whether `value` nests at most `MAX_KEY_DEPTH` levels (stored events stay encodable)."""
    level: list[Any] = [value]
    for _ in range(MAX_KEY_DEPTH):
        level = [
            child
            for item in level
            if isinstance(item, (dict, list))
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return True
    return False
