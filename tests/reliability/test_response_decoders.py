"""Every reply body a resource decodes, valid then damaged: only typed errors reach the caller.

Issue 14, "In the test suite", first bullet (response decoders). The types are found in the
resources' source (every ``cast_to=``), so a new endpoint is fuzzed without a change here. A
valid body is built from each type's msgspec description; hypothesis then damages it the ways
a broken server or proxy does (a field of the wrong type, a field missing, truncation, a byte
changed, invalid UTF-8, nesting too deep) and the body goes through the client's real request
path (a 200 from a stubbed transport). Decoding either gives a value or raises
`APIResponseDecodeError`; reading every field and property of what it gave, `repr` and
`to_dict` raise nothing else either.
"""

from __future__ import annotations

import ast
import contextlib
import enum
import functools
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

import honeyhive_async.resources as resources_package
from honeyhive_async import AsyncHoneyHive
from honeyhive_async._resource import AsyncAPIResource, NoneType
from honeyhive_async._transport import RawResponse
from honeyhive_async.errors import APIResponseDecodeError

pytestmark = pytest.mark.usefixtures("default_recursion_limit")


# -- the types the resources decode ------------------------------------------------------------


def _decoded_types() -> dict[str, Any]:
    """Every `cast_to=` of the resources, evaluated in its module: ``{source text: type}``."""
    found: dict[str, Any] = {}
    for info in pkgutil.iter_modules(resources_package.__path__):
        module = importlib.import_module(f"{resources_package.__name__}.{info.name}")
        tree = ast.parse(Path(inspect.getfile(module)).read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "cast_to":
                    text = ast.unparse(keyword.value)
                    value = eval(text, vars(module))
                    if value is not NoneType:
                        found[text] = value
    return found


DECODED = _decoded_types()


def test_the_scan_finds_the_resources_types() -> None:
    # A scan that found nothing would make the fuzz below pass by testing nothing.
    names = set(DECODED)
    assert {"Event", "EventsPage", "SessionTree", "CreateEventBatchResponse"} <= names
    assert len(names) >= 40


# -- a valid body for any msgspec type ---------------------------------------------------------


def _valid(t: mi.Type, depth: int = 0) -> Any:
    """A JSON value that `t` decodes: required fields always, optional ones near the top."""
    if isinstance(t, mi.AnyType | mi.RawType):
        return {"k": [1, "v"]}
    if isinstance(t, mi.NoneType):
        return None
    if isinstance(t, mi.BoolType):
        return True
    if isinstance(t, mi.IntType):
        low = t.ge if t.ge is not None else (t.gt + 1 if t.gt is not None else 1)
        return low if t.multiple_of is None else -(-low // t.multiple_of) * t.multiple_of
    if isinstance(t, mi.FloatType):
        return float(t.ge) if t.ge is not None else (t.gt + 0.5 if t.gt is not None else 1.5)
    if isinstance(t, mi.StrType):
        return "x" * max(t.min_length or 0, 1)
    if isinstance(t, mi.BytesType | mi.ByteArrayType | mi.MemoryViewType):
        return "eA=="
    if isinstance(t, mi.DateTimeType):
        return "2024-04-01T22:38:19Z"
    if isinstance(t, mi.DateType):
        return "2024-04-01"
    if isinstance(t, mi.UUIDType):
        return "0f8fad5b-d9cb-469f-a165-70867728950e"
    if isinstance(t, mi.LiteralType):
        return t.values[0]
    if isinstance(t, mi.EnumType):
        member = next(iter(t.cls))
        assert isinstance(member, enum.Enum)
        return member.value
    if isinstance(t, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        return [] if depth > 3 else [_valid(t.item_type, depth + 1)]
    if isinstance(t, mi.TupleType):
        return [_valid(item, depth + 1) for item in t.item_types]
    if isinstance(t, mi.DictType):
        return {} if depth > 3 else {"k": _valid(t.value_type, depth + 1)}
    if isinstance(t, mi.UnionType):
        kinds = [k for k in t.types if not isinstance(k, mi.NoneType)] or list(t.types)
        # `str | float` timestamps: the number is valid whatever the field means.
        numbers = [k for k in kinds if isinstance(k, mi.FloatType | mi.IntType)]
        return _valid((numbers or kinds)[0], depth)
    if isinstance(t, mi.StructType | mi.DataclassType | mi.TypedDictType | mi.NamedTupleType):
        doc = {
            f.encode_name: _valid(f.type, depth + 1) for f in t.fields if f.required or depth < 2
        }
        if isinstance(t, mi.StructType) and t.tag_field is not None:
            doc[t.tag_field] = t.tag
        if isinstance(t, mi.NamedTupleType):
            return list(doc.values())
        return doc
    raise AssertionError(f"no valid sample for {t!r}: teach _valid this kind")


@functools.cache
def _valid_body(text: str) -> bytes:
    return msgspec.json.encode(_valid(mi.type_info(DECODED[text])))


@pytest.mark.parametrize("text", sorted(DECODED))
def test_the_valid_body_decodes_and_reads(text: str) -> None:
    # The fuzz starts from these: each must be a body the client accepts in full.
    value = _through_the_client(DECODED[text], _valid_body(text))
    _read_everything(value)


# -- the client's real request path, from a stubbed transport ------------------------------------


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never suspends (the stubbed transport answers at once)."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise AssertionError("the request path suspended on a stubbed transport")


def _through_the_client(cast_to: Any, body: bytes) -> Any:
    client = AsyncHoneyHive("key-not-secret", base_url="http://127.0.0.1:9", max_retries=0)

    async def send(method: str, path: str, **_: Any) -> RawResponse:
        return RawResponse(200, CIMultiDictProxy(CIMultiDict()), body)

    client._transport.send = send  # type: ignore[method-assign]
    return _run(AsyncAPIResource(client)._get("/fuzzed", cast_to=cast_to))


def _read_everything(value: Any, depth: int = 0) -> None:
    """Read every field, property, `repr` and `to_dict` of a decoded value, recursively."""
    if depth > 6:
        return
    if isinstance(value, msgspec.Struct):
        repr(value)
        cls = type(value)
        for name in cls.__struct_fields__:
            _read_everything(getattr(value, name), depth + 1)
        for name, member in inspect.getmembers(cls):
            if isinstance(member, property):
                _read_everything(getattr(value, name), depth + 1)
        to_dict: Callable[[], Any] | None = getattr(value, "to_dict", None)
        if to_dict is not None:
            to_dict()
    elif isinstance(value, dict):
        for item in value.values():
            _read_everything(item, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _read_everything(item, depth + 1)


def _only_typed_errors(cast_to: Any, body: bytes) -> None:
    try:
        value = _through_the_client(cast_to, body)
    except APIResponseDecodeError:
        return
    with contextlib.suppress(APIResponseDecodeError):
        _read_everything(value)


# -- damage -------------------------------------------------------------------------------------

_json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["", "2024-04-01 22:38:19", "not a time", "1e400", "-0", "\udcff"])
)
_json = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(doc: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON document, the root first."""
    yield here
    if isinstance(doc, dict):
        for key, item in doc.items():
            yield from _paths(item, (*here, key))
    elif isinstance(doc, list):
        for index, item in enumerate(doc):
            yield from _paths(item, (*here, index))


def _replace(doc: Any, path: tuple[Any, ...], new: Any, *, delete: bool = False) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    if delete and not rest:
        del copy[head]
    else:
        copy[head] = _replace(doc[head], rest, new, delete=delete)
    return copy


# Stands for a value nested thousands deep, put in as bytes once the rest is encoded.
_DEEP = "\x00deep\x00"
_DEEP_JSON = msgspec.json.encode(_DEEP)


@st.composite
def _damaged(draw: st.DrawFn, text: str) -> bytes:
    """The valid body of `text`'s type, damaged once or twice."""
    doc = msgspec.json.decode(_valid_body(text))
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(list(_paths(doc))))
        how = draw(st.sampled_from(["replace", "delete", "null", "add", "deep"]))
        if how == "replace":
            doc = _replace(doc, path, draw(_json))
        elif how == "delete" and path:
            doc = _replace(doc, path, None, delete=True)
        elif how == "null":
            doc = _replace(doc, path, None)
        elif how == "add" and isinstance(doc, dict):
            doc = {**doc, draw(st.text(max_size=8)): draw(_json)}
        elif how == "deep":
            doc = _replace(doc, path, _DEEP)
    try:
        body = msgspec.json.encode(doc)
    except (msgspec.EncodeError, UnicodeEncodeError):
        body = _valid_body(text)  # a lone surrogate in a key: damage the bytes instead
    levels = draw(st.sampled_from([300, 900, 3000]))
    body = body.replace(_DEEP_JSON, b"[" * levels + b"]" * levels)
    damage = draw(st.sampled_from(["none", "truncate", "byte", "invalid-utf8", "text"]))
    if damage == "truncate":
        body = body[: draw(st.integers(0, len(body)))]
    elif damage == "byte":
        at = draw(st.integers(0, len(body) - 1))
        body = body[:at] + bytes([draw(st.integers(0, 255))]) + body[at + 1 :]
    elif damage == "invalid-utf8":
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"])) + body[at:]
    elif damage == "text":
        body = draw(st.sampled_from([b"", b"null", b"<html>502 Bad Gateway</html>", b"[]", b"{}"]))
    return body


@pytest.mark.parametrize("text", sorted(DECODED))
@settings(
    derandomize=True,
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_a_damaged_body_fails_only_with_a_typed_error(text: str, data: st.DataObject) -> None:
    _only_typed_errors(DECODED[text], data.draw(_damaged(text)))


# -- the timestamp properties, each one ---------------------------------------------------------


def _timestamp_properties() -> list[tuple[type[msgspec.Struct], str]]:
    """Every ``*_ms`` property of a response model, with its class."""
    import honeyhive_async.models as models

    found = []
    for cls in vars(models).values():
        if isinstance(cls, type) and issubclass(cls, msgspec.Struct):
            found += [
                (cls, name)
                for name, member in inspect.getmembers(cls)
                if isinstance(member, property) and name.endswith("_ms")
            ]
    return found


TIMESTAMPS = _timestamp_properties()


def test_every_timestamp_property_is_found() -> None:
    assert len(TIMESTAMPS) >= 19
    assert {cls.__name__ for cls, _ in TIMESTAMPS} >= {
        "Event",
        "Dataset",
        "ExperimentRun",
        "Metric",
    }


@pytest.mark.parametrize("bad", ["not a time", "", "2024-13-45"])
@pytest.mark.parametrize(
    ("cls", "name"), TIMESTAMPS, ids=[f"{c.__name__}.{n}" for c, n in TIMESTAMPS]
)
def test_a_timestamp_that_is_no_time_is_a_typed_error_naming_its_field(
    cls: type[msgspec.Struct], name: str, bad: str
) -> None:
    # It raised a bare ValueError ("not a HoneyHive timestamp") from the property.
    field = name.removesuffix("_ms")
    doc = _valid(mi.type_info(cls))
    doc[field] = bad
    value = msgspec.json.decode(msgspec.json.encode(doc), type=cls)
    with pytest.raises(APIResponseDecodeError) as caught:
        getattr(value, name)
    assert caught.value.field == field
    assert f"field `{field}` could not be decoded" in str(caught.value)
    assert caught.value.body == msgspec.json.encode(bad)
    if "event_id" in doc:
        assert caught.value.event_id == doc["event_id"]
        assert str(caught.value).startswith(f"event {doc['event_id']!r}: field")
    else:
        assert str(caught.value).startswith("a response: field")
