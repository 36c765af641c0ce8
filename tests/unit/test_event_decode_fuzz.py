"""Whatever body the server sends, an Event fails only with `APIResponseDecodeError`.

Decoding a body either gives an event or raises `msgspec.DecodeError` (which the resources
turn into `APIResponseDecodeError`); then `repr` never raises, and reading a free-form field or
`to_dict()` either works or raises `APIResponseDecodeError` naming the field and the event.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from honeyhive_async.errors import APIResponseDecodeError
from honeyhive_async.models import Event

_decoder = msgspec.json.Decoder(Event)
pytestmark = pytest.mark.usefixtures("default_recursion_limit")

_FREE_FORM = ("config", "inputs", "outputs", "metadata", "feedback", "metrics", "user_properties")


def _check(body: bytes) -> None:
    try:
        event = _decoder.decode(body)
    except msgspec.DecodeError:
        return  # the resources raise APIResponseDecodeError for this (tested end to end)
    except RecursionError:
        return  # likewise, see test_hostile_responses
    text = repr(event)
    assert text.startswith("Event(event_id=")
    for name in _FREE_FORM:
        value, error = _attempt(functools.partial(getattr, event, name))
        if error is None:
            assert value is None or isinstance(value, dict)
        else:
            assert (error.field, error.event_id) == (name, event.event_id)
            assert f"field `{name}`" in str(error)
    data, error = _attempt(event.to_dict)
    if error is None:
        assert isinstance(data, dict)
        assert data["event_id"] == event.event_id
    else:
        assert error.event_id == event.event_id
        assert error.field in _FREE_FORM
    assert repr(event) == text


def _attempt(read: Callable[[], object]) -> tuple[object, APIResponseDecodeError | None]:
    """Run `read`; only APIResponseDecodeError may escape the model (anything else fails)."""
    try:
        return read(), None
    except APIResponseDecodeError as exc:
        return None, exc


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"event_id": "abc", "inputs": 5}', id="field-not-an-object"),
        pytest.param(b'{"event_id": "abc", "inputs": {"a": "\xff"}}', id="invalid-utf8"),
        pytest.param(b'{"event_id": "abc", "metadata": ["x"]}', id="field-a-list"),
        pytest.param(b'{"event_id": "abc", "outputs": "text"}', id="field-a-string"),
    ],
)
def test_a_malformed_free_form_field_names_the_field_and_the_event(body: bytes) -> None:
    event = _decoder.decode(body)
    field = next(name for name in _FREE_FORM if getattr(event, name + "_json"))

    with pytest.raises(APIResponseDecodeError) as on_read:
        getattr(event, field)
    with pytest.raises(APIResponseDecodeError) as on_to_dict:
        event.to_dict()

    for exc in (on_read.value, on_to_dict.value):
        assert (exc.field, exc.event_id) == (field, "abc")
        assert f"event 'abc': field `{field}`" in str(exc)
    assert f"{field}=<undecodable: " in repr(event)


def test_repr_of_a_field_too_deep_to_show_does_not_raise() -> None:
    # 950 levels decode at the top of a stack; 200 frames deeper, decoding or printing them
    # runs out of stack. repr must still answer.
    levels = 950
    event = _decoder.decode(
        b'{"event_id": "e", "inputs": {"x": ' + b"[" * levels + b"]" * levels + b"}}"
    )

    def nested(depth: int) -> str:
        return repr(event) if depth == 0 else nested(depth - 1)

    text = nested(200)

    assert text.startswith("Event(event_id='e', inputs=")

    # Read from the same depth, the field raises the typed error, not RecursionError.
    def nested_get(depth: int) -> object:
        return event.inputs if depth == 0 else nested_get(depth - 1)

    with pytest.raises(APIResponseDecodeError, match="nested too deeply"):
        nested_get(200)


# -- fuzz ------------------------------------------------------------------------------------

_json_leaf = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
_json = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_field_names = st.sampled_from(
    [*_FREE_FORM, "event_type", "start_time", "duration", "children_ids", "error", "event_name"]
)


@st.composite
def _bodies(draw: st.DrawFn) -> bytes:
    """An event-shaped JSON body, then possibly damaged the ways a broken server damages one."""
    doc: dict[str, Any] = {"event_id": draw(st.text(alphabet=string.ascii_letters, min_size=1))}
    doc.update(draw(st.dictionaries(_field_names, _json, max_size=5)))
    body = msgspec.json.encode(doc)
    damage = draw(st.sampled_from(["none", "truncate", "byte", "invalid-utf8", "deep"]))
    if damage == "truncate":
        body = body[: draw(st.integers(0, len(body)))]
    elif damage == "byte":
        at = draw(st.integers(0, len(body) - 1))
        body = body[:at] + bytes([draw(st.integers(0, 255))]) + body[at + 1 :]
    elif damage == "invalid-utf8":
        at = body.find(b'"', body.find(b":") + 1)
        if at > 0:
            body = (
                body[: at + 1]
                + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"]))
                + body[at + 1 :]
            )
    elif damage == "deep":
        levels = draw(st.integers(400, 3000))
        name = draw(st.sampled_from(_FREE_FORM))
        body = body[:-1] + b', "%s": {"x": ' % name.encode() + b"[" * levels + b"]" * levels + b"}}"
    return body


@settings(derandomize=True, max_examples=300, deadline=None)
@given(_bodies())
def test_fuzzed_bodies_fail_only_with_typed_errors(body: bytes) -> None:
    _check(body)
