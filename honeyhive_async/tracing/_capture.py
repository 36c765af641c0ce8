"""Turning a user's arguments and results into bounded, redacted JSON objects.

Binding (`_binding.Binder`, re-exported here) is kept cheap. Everything else (JSON-safety,
size budgets, redaction) runs in the exporter and never raises.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import msgspec

from ._binding import Binder
from ._redact import (
    DEFAULT_REDACT_KEYS,
    REDACTED,
    REDACTION_FAILED,
    KeyRule,
    Scrubber,
    repair_text,
    repaired_json,
)

__all__ = [
    "Binder",
    "Sanitizer",
    "repair_text",
    "wrap_output",
]

RedactHook = Callable[[str, Any], Any]
"""`hook(field, value) -> value`: field is "inputs", "outputs" or "metadata"."""


def wrap_output(value: Any) -> dict[str, Any]:
    """HoneyHive wants `outputs` to be an object: wrap anything else as ``{"result": value}``."""
    try:
        if isinstance(value, dict):
            return value
    except Exception:  # isinstance asked a proxy's `__class__`, and it raised
        pass  # (that cost the whole event as encode_failed)
    return {"result": value}


class Sanitizer:
    """Makes a captured value JSON-safe, redacted and within a byte budget; never raises.

    Args:
        field_budget: Most bytes one field (`inputs`, `outputs`, ...) may take once encoded;
            larger top-level values are replaced by a marker with the original size.
        max_string: Longest string kept whole; longer ones are cut with a marker.
        max_depth: Deepest nesting kept.
        max_items: Most items kept of one list or dict.
        max_nodes: Most values walked in one field, whatever the shape (a wide self-nesting
            list must not keep the exporter busy for ever).
        max_repr: Longest `repr` kept for an object that is not JSON.
        redact_keys: Keys whose values become ``"[REDACTED]"``, whatever the value (a
            ``(user, password)`` tuple too). Keys are compared in snake case (``openaiApiKey``
            is ``openai_api_key``, ``X-Api-Key`` is ``x_api_key``) and suffixes count:
            ``api_key`` covers ``openai_api_key``; ``token`` covers ``accessToken`` but not
            ``max_tokens``, ``token_count`` or ``prompt_token``.
        secrets: Values replaced by ``"[REDACTED]"`` wherever they appear, in any string, key,
            error message or traceback line (the tracer passes its own API key). Values
            shorter than 8 characters are ignored.
        scrub_credentials: Also replace, inside any text, what has the shape of a credential:
            ``Bearer <token>``, ``sk-...`` keys (OpenAI, Anthropic), GitHub tokens, AWS access
            key ids, Google API keys, Slack tokens, secret URL parameters (``?api_key=...``,
            ``&token=...``) and passwords in URLs (``https://user:pw@host``).
        redact: Hook run after key redaction; if it raises, the field becomes a placeholder.

    Text that UTF-8 cannot encode (a lone surrogate from `os.fsdecode`) is repaired with
    U+FFFD rather than failing the event.
    """

    def __init__(
        self,
        *,
        field_budget: int = 64 * 1024,
        max_string: int = 16 * 1024,
        max_depth: int = 16,
        max_items: int = 1000,
        max_nodes: int = 10_000,
        max_repr: int = 512,
        redact_keys: Iterable[str] = DEFAULT_REDACT_KEYS,
        secrets: Iterable[str | None] = (),
        scrub_credentials: bool = True,
        redact: RedactHook | None = None,
    ) -> None:
        self.field_budget = field_budget
        self.max_string = max_string
        self.max_depth = max_depth
        self.max_items = max_items
        self.max_nodes = max_nodes
        self.max_repr = max_repr
        self._keys = KeyRule(redact_keys)
        self.redact_keys = self._keys.keys
        self._scrubber = Scrubber.build(
            (s for s in secrets if s), credentials=scrub_credentials, key_rule=self._keys
        )
        # One regex search per string on the fast path; None when there is nothing to find.
        self._search = None if self._scrubber is None else self._scrubber.search
        self._search_from = 0 if self._scrubber is None else self._scrubber.shortest
        """Shortest text `_search` can match: a shorter string is not searched."""
        self._secret_cache: dict[str, bool] = {}
        self.redact = redact
        self._encoder = msgspec.json.Encoder()

    def field(self, name: str, value: Any) -> msgspec.Raw:
        """Return a field as encoded JSON, always an object (a non-dict is ``{"value": ...}``)."""
        if self.redact is None:
            raw = self.plain(value)
            if raw is not None:
                return raw
        return self.walked(name, value)

    def plain(self, value: Any) -> msgspec.Raw | None:
        """`value` encoded, if it is a dict the walk would keep as it is, within the budget.

        The exporter's common path (most fields are a few plain values: a call's arguments,
        its result); `walked` is the other. Call it only when no redaction hook is set (a
        hook sees every field).
        """
        if type(value) is not dict or self._plain(value, 0, self.max_nodes - 1) < 0:
            return None
        try:
            data = self._encoder.encode(value)
        except UnicodeEncodeError:  # a lone surrogate: the walk repairs it
            return None
        return msgspec.Raw(data) if len(data) <= self.field_budget else None

    def walked(self, name: str, value: Any) -> msgspec.Raw:
        """`field` the long way: converted, bounded and redacted by a walk (and the hook)."""
        try:
            clean = _Walk(self).clean(value, 0)
        except Exception:  # a user object whose __len__/__iter__/items() blew up mid-walk
            # Never fall back to the raw value: it may hold what redaction would have hidden.
            clean = f"[capture failed: {type(value).__name__}]"
        if self.redact is not None:
            try:
                clean = self.redact(name, clean)
            except Exception:
                # Fail closed: a broken hook must never let the raw value through.
                return msgspec.Raw(self._encoder.encode({"redaction_failed": REDACTION_FAILED}))
        if not isinstance(clean, dict):
            # Every captured field is an object on the wire.
            clean = {"value": clean}
        data, clean = self._encode(clean)
        if len(data) > self.field_budget:
            data = self._shrink(clean, len(data))
        return msgspec.Raw(data)

    def _encode(self, clean: Any) -> tuple[bytes, Any]:
        """`clean` encoded, and what was encoded in the end (repaired, or a fallback)."""
        encode = self._encoder.encode
        try:
            return encode(clean), clean
        except UnicodeEncodeError:
            # Checked here, not string by string: unencodable text is rare.
            try:
                clean = repaired_json(clean, self.max_depth + 8)
                return encode(clean), clean
            except Exception:
                pass
        except Exception:  # a hook returned something that is not JSON
            pass
        clean = {"value": repair_text(self.repr(clean))}
        return encode(clean), clean

    def text(self, name: str, value: str) -> str:
        """Bound, scrub and repair a free-text field (an error message); run the hook on it."""
        value = repair_text(self.bounded(value, self.max_string))
        if self.redact is None:
            return value
        try:
            return repair_text(str(self.redact(name, value)))
        except Exception:
            return REDACTION_FAILED

    def scrub(self, text: str) -> str:
        """`text` with the given secrets and credential shapes replaced; never raises."""
        search = self._search
        if search is None or not search(text):
            return text
        assert self._scrubber is not None
        return self._scrubber.sub(text)

    def bounded(self, text: str, limit: int) -> str:
        """`text` scrubbed and cut to `limit` characters (with a marker saying how long it was)."""
        if len(text) <= limit:
            return self.scrub(text)
        scrubber = self._scrubber
        head = text[:limit] if scrubber is None else scrubber.cut(text, limit)
        return f"{head}... [truncated, {len(text)} chars]"

    def _plain(self, value: Any, depth: int, room: int) -> int:
        """Containers `room` has left after `value` (dict, list, tuple), -1 if the walk changes it.

        Plain: JSON scalars, dicts/lists/tuples of them (chat messages), no secret key, in bounds.
        """
        if depth >= self.max_depth or len(value) > self.max_items:
            return -1
        if type(value) is dict:
            known = self._secret_cache
            for key in value:
                if type(key) is not str or (known.get(key, True) and self.is_secret(key)):
                    return -1
            items: Iterable[Any] = value.values()
        else:
            if len(value) == 2 and type(value[0]) is str and self.is_secret(value[0]):
                return -1  # a ("Authorization", "Bearer ...") pair: the walk redacts it
            items = value
        max_string, search = self.max_string, self._search
        for item in items:
            cls = type(item)
            if cls is str:
                if len(item) > max_string or (
                    search is not None and len(item) >= self._search_from and search(item)
                ):
                    return -1
            elif cls is dict or cls is list or cls is tuple:
                room = -1 if room <= 0 else self._plain(item, depth + 1, room - 1)
                if room < 0:
                    return -1
            elif not (item is None or cls is int or cls is float or cls is bool):
                return -1
        return room

    def is_secret(self, key: str) -> bool:
        """Tell whether values under `key` are redacted (a key that holds a secret: too)."""
        known = self._secret_cache.get(key)
        if known is None:
            known = self._keys.matches(key) or self.scrub(key) != key
            if len(self._secret_cache) < 10_000:
                self._secret_cache[key] = known
        return known

    def _shrink(self, value: Any, size: int) -> bytes:
        marker = {"truncated": True, "original_bytes": size}
        if isinstance(value, dict) and value:
            share = max(self.field_budget // (2 * len(value)), 64)
            kept: dict[str, Any] = {}
            for key, item in value.items():
                encoded = self._encoder.encode(item)
                kept[key] = item if len(encoded) <= share else self._cut(encoded)
            data = self._encoder.encode(kept)
            if len(data) <= self.field_budget:
                return data
        return self._encoder.encode({"__truncated__": marker})

    def _cut(self, encoded: bytes) -> dict[str, Any]:
        return {
            "truncated": True,
            "original_bytes": len(encoded),
            "preview": encoded[:256].decode("utf-8", "replace"),
        }

    def repr(self, value: Any) -> str:
        """Return a bounded, scrubbed `repr` of `value`; never raises."""
        try:
            text = repr(value)
        except Exception:
            return f"<unrepresentable {type(value).__name__}>"
        return self.bounded(text, self.max_repr)


class _Walk:
    """One walk over one field: counts the values it visits and the containers on its path."""

    __slots__ = ("nodes", "on_path", "s")

    def __init__(self, sanitizer: Sanitizer) -> None:
        self.s = sanitizer
        self.nodes = 0
        self.on_path: set[int] = set()

    def clean(self, value: Any, depth: int) -> Any:
        # The common JSON scalars first: this walk runs for every captured field.
        if value is None or value is True or value is False:
            return value
        s = self.s
        cls = type(value)
        if cls is str:
            if len(value) > s.max_string:
                return s.bounded(value, s.max_string)
            search = s._search
            return value if search is None or not search(value) else s.scrub(value)
        if cls is int or cls is float:
            return value
        self.nodes += 1
        if self.nodes > s.max_nodes:
            return f"[truncated: more than {s.max_nodes} values]"
        if depth >= s.max_depth:
            return f"[max depth {s.max_depth} reached]"
        try:
            if isinstance(value, str):  # subclasses: str enums, ...
                return s.bounded(value, s.max_string)
            if isinstance(value, (int, float)):  # subclasses: enums, numpy scalars, ...
                return value
            if isinstance(value, (bytes, bytearray, memoryview)):
                return s.repr(bytes(value[: s.max_repr]))
            ident = id(value)
            if ident in self.on_path:
                return "[cycle]"
            self.on_path.add(ident)
            try:
                return self._container(value, depth)
            finally:
                self.on_path.discard(ident)
        except Exception:
            # A user object whose __class__, __len__, __iter__ or items() raised: it alone
            # becomes a marker, its siblings (the call's other arguments) are kept.
            return f"[capture failed: {type(value).__name__}]"

    def _container(self, value: Any, depth: int) -> Any:
        s = self.s
        if isinstance(value, Mapping):
            return self._mapping(value.items(), len(value), depth)
        if isinstance(value, (list, tuple)):
            if len(value) == 2 and type(value[0]) is str and s.is_secret(value[0]):
                return [s.scrub(value[0]), REDACTED]  # ("Authorization", "Bearer ...") pairs
            items = [self.clean(item, depth + 1) for item in value[: s.max_items]]
            if len(value) > s.max_items:
                items.append(f"[{len(value) - s.max_items} more items]")
            return items
        if isinstance(value, (set, frozenset)):
            return self._container(list(value), depth)
        if isinstance(value, msgspec.Struct):
            return self._container(msgspec.structs.asdict(value), depth)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = dataclasses.fields(value)
            pairs = ((f.name, getattr(value, f.name)) for f in fields)
            return self._mapping(pairs, len(fields), depth)
        dump = getattr(type(value), "model_dump", None)  # pydantic models
        if callable(dump):
            try:
                dumped = value.model_dump()
            except Exception:
                return f"[capture failed: {type(value).__name__}]"
            return self._container(dumped, depth)
        return s.repr(value)

    def _mapping(self, pairs: Iterable[tuple[Any, Any]], size: int, depth: int) -> dict[str, Any]:
        s = self.s
        out: dict[str, Any] = {}
        for i, (key, item) in enumerate(pairs):
            if i >= s.max_items:
                out["__truncated_items__"] = size - s.max_items
                break
            skey = key if type(key) is str else str(key)
            if s.is_secret(skey):
                out[s.scrub(skey)] = REDACTED  # the key itself may be the secret
            else:
                out[skey] = self.clean(item, depth + 1)
        return out
