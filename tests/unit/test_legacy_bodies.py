"""The legacy routes' body conversions: unwrapping, times, model aliases, whole-ms answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from msgspec import UNSET

from honeyhive_async.server.legacy_bodies import (
    BodyError,
    LegacyUpdate,
    event_request,
    integer_times,
    model_event_request,
    session_request,
    unwrap,
    update_request,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": 1}, {"a": 1}),
        ('{"a": 1}', {"a": 1}),  # the preview spec's JSON-encoded string
    ],
)
def test_unwrap_takes_an_object_or_its_json(value: Any, expected: Any) -> None:
    assert unwrap(value, "session") == expected


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("[1]", "session must be an object, got list"),
        ("{", "session is a string but not a JSON-encoded object"),
        (3, "session must be an object, got int"),
        (None, "session must be an object, got NoneType"),
    ],
)
def test_unwrap_refuses_anything_else(value: Any, needle: str) -> None:
    with pytest.raises(BodyError, match=re.escape(needle)):
        unwrap(value, "session")


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"start_time": 1.9, "end_time": 3.2, "duration": 1.3}, {"start_time": 1, "end_time": 3}),
        ({"start_time": 7}, {"start_time": 7}),
        ({"start_time": "2024-04-01 22:38:19"}, {"start_time": "2024-04-01 22:38:19"}),
        ({}, {}),
    ],
)
def test_integer_times(event: dict[str, Any], expected: dict[str, Any]) -> None:
    before = dict(event)
    shown = integer_times(event)
    assert {k: v for k, v in shown.items() if k in ("start_time", "end_time")} == expected
    assert shown.get("duration") == event.get("duration")  # keeps its fraction
    assert event == before  # the stored event is not changed


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"inputs": {}}, "event.event_type is required"),
        ({"event_type": "span"}, "Invalid enum value 'span' - at `event.event_type`"),
        ({"event_type": "tool", "start_time": "soon"}, "event.start_time is not a timestamp"),
        ({"event_type": "tool", "end_time": 1e309}, "end_time"),
        ({"event_type": "tool", "metadata": []}, "`event.metadata`"),
    ],
)
def test_event_errors_name_the_field(fields: dict[str, Any], needle: str) -> None:
    with pytest.raises(BodyError, match=re.escape(needle)):
        event_request(fields, "event")


def test_event_inputs_default_to_empty_unless_required() -> None:
    assert event_request({"event_type": "tool"}, "events[0]").inputs == {}
    with pytest.raises(BodyError, match=re.escape("event.inputs is required")):
        event_request({"event_type": "tool"}, "event", inputs_required=True)


def test_unknown_fields_are_ignored() -> None:
    request = event_request({"event_type": "tool", "project": "p", "x": 1}, "event")
    assert request.event_type == "tool"
    session = session_request({"project": "p", "session_name": "s", "error": "e"})
    assert session.session_name == "s"


def test_model_event_type_is_always_model() -> None:
    request = model_event_request({"event_type": "tool", "model": "m"}, "model_event")
    assert (request.event_type, request.event_name, request.config) == (
        "model",
        "m",
        {"model": "m"},
    )


def test_update_keeps_only_what_was_given() -> None:
    update = update_request(LegacyUpdate(event_id="e", metadata={"a": 1}, children_ids=[]))
    assert update.metadata == {"a": 1}
    for name in (
        "feedback",
        "metrics",
        "outputs",
        "config",
        "duration",
        "end_time",
        "children_ids",
    ):
        assert getattr(update, name) is UNSET  # not sent, not applied
