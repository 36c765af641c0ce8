from __future__ import annotations

import msgspec
import pytest

from honeyhive_async.errors import APIResponseDecodeError
from honeyhive_async.models import (
    CreateEventBatchRequest,
    CreateEventRequest,
    Event,
    EventFilter,
    EventsPage,
    ExportDateRange,
    SessionTree,
    StartSessionRequest,
    UpdateEventRequest,
    parse_timestamp_ms,
)

APRIL_1_2024_223819_UTC_MS = 1_712_011_099_000.0


def test_documented_session_response_decodes_exactly(documented_session_bytes: bytes) -> None:
    event = msgspec.json.decode(documented_session_bytes, type=Event)
    assert event.event_id == "7f22137a-6911-4ed3-bc36-110f1dde6b66"
    assert event.session_id == "caf77ace-3417-4da4-944d-f4a0688f3c23"
    assert event.parent_id == event.session_id
    assert event.project_id == "New Project"
    assert event.source == "playground"
    assert event.event_type == "model"
    assert event.event_name == "Model Completion"
    assert event.children_ids == []
    assert event.error is None
    assert event.start_time == "2024-04-01 22:38:19"
    assert event.start_time_ms == APRIL_1_2024_223819_UTC_MS
    assert event.end_time_ms == APRIL_1_2024_223819_UTC_MS
    assert event.duration == 824.8056
    assert event.config is not None
    assert event.config["hyperparameters"]["max_tokens"] == 1000
    assert event.inputs is not None
    assert event.inputs["chat_history"][1] == {"role": "user", "content": "What is in the context?"}
    assert event.outputs == {"role": "assistant", "content": "Hello world"}
    assert event.metadata == {
        "cost": 8.0e-05,
        "completion_tokens": 23,
        "prompt_tokens": 35,
        "total_tokens": 58,
    }
    assert event.feedback == {}
    assert event.metrics is not None
    assert event.metrics["Number of words"] == 18
    assert event.user_properties == {"user": "google-oauth2|111840237613341303366"}
    # Every field of the documented body lands in a field of the same name, unchanged.
    for key, value in msgspec.json.decode(documented_session_bytes).items():
        assert getattr(event, key) == value, key


def test_event_is_lenient_about_unknown_and_absent_fields() -> None:
    event = msgspec.json.decode(
        b'{"event_id": "e", "tenant": "t", "brand_new_field": [1, 2], "start_time": 1711000000000}',
        type=Event,
    )
    assert event.event_id == "e"
    assert event.org_id is None
    assert event.project_id is None
    assert event.start_time_ms == 1711000000000.0


def test_event_type_outside_the_literal_is_rejected() -> None:
    with pytest.raises(msgspec.ValidationError, match="event_type"):
        msgspec.json.decode(b'{"event_id": "e", "event_type": "generic"}', type=Event)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (1711000000000, 1711000000000.0),
        (1711000000000.5, 1711000000000.5),
        ("1711000000000", 1711000000000.0),
        ("2024-04-01 22:38:19", APRIL_1_2024_223819_UTC_MS),
        ("2024-04-01 22:38:19.250", APRIL_1_2024_223819_UTC_MS + 250),
        ("2024-04-01T22:38:19Z", APRIL_1_2024_223819_UTC_MS),
        ("2024-04-01T22:38:19.000+00:00", APRIL_1_2024_223819_UTC_MS),
        ("2024-04-02T00:38:19+02:00", APRIL_1_2024_223819_UTC_MS),
        ("2024-04-01T22:38:19", APRIL_1_2024_223819_UTC_MS),
    ],
)
def test_parse_timestamp_ms(value: float | str | None, expected: float | None) -> None:
    assert parse_timestamp_ms(value) == expected


def test_parse_timestamp_rejects_garbage_with_the_value() -> None:
    with pytest.raises(ValueError, match="yesterday"):
        parse_timestamp_ms("yesterday")


def test_request_bodies_carry_only_what_was_set() -> None:
    body = CreateEventRequest(event_type="tool", inputs={"q": 1}, event_id="e1")
    assert msgspec.json.decode(msgspec.json.encode(body)) == {
        "event_type": "tool",
        "inputs": {"q": 1},
        "event_id": "e1",
    }
    assert msgspec.json.encode(StartSessionRequest()) == b"{}"


@pytest.mark.parametrize(
    ("update", "wire"),
    [
        (UpdateEventRequest(), {}),
        (UpdateEventRequest(outputs=None), {"outputs": None}),
        (UpdateEventRequest(outputs={"a": 1}), {"outputs": {"a": 1}}),
        (UpdateEventRequest(metadata=None, duration=3.5), {"metadata": None, "duration": 3.5}),
        (UpdateEventRequest(children_ids=["c"]), {"children_ids": ["c"]}),
    ],
)
def test_update_sends_none_as_null_and_leaves_unset_out(
    update: UpdateEventRequest, wire: dict[str, object]
) -> None:
    assert msgspec.json.decode(msgspec.json.encode(update)) == wire


def test_create_event_error_none_is_null_unset_is_absent() -> None:
    with_null = CreateEventRequest(event_type="tool", inputs={}, error=None)
    assert b'"error":null' in msgspec.json.encode(with_null)
    assert b"error" not in msgspec.json.encode(CreateEventRequest(event_type="tool", inputs={}))


def test_filter_value_null_is_sent_and_type_is_optional() -> None:
    wire = msgspec.json.encode(EventFilter(field="error", operator="exists", value=None))
    assert msgspec.json.decode(wire) == {"field": "error", "operator": "exists", "value": None}


def test_export_date_range_uses_dollar_keys() -> None:
    wire = msgspec.json.encode(ExportDateRange(gte="2024-01-01", lte="2024-02-01"))
    assert msgspec.json.decode(wire) == {"$gte": "2024-01-01", "$lte": "2024-02-01"}


def test_request_models_reject_unknown_fields_when_decoded() -> None:
    with pytest.raises(msgspec.ValidationError, match="is_single_session"):
        msgspec.json.decode(
            b'{"events": [], "is_single_session": true}', type=CreateEventBatchRequest
        )


def test_events_page_total_reads_either_key() -> None:
    assert msgspec.json.decode(b'{"events": [], "count": 4}', type=EventsPage).total == 4
    assert msgspec.json.decode(b'{"events": [], "totalEvents": 7}', type=EventsPage).total == 7
    assert msgspec.json.decode(b'{"events": []}', type=EventsPage).total is None


def test_session_tree_nests_and_walks_depth_first() -> None:
    tree = msgspec.json.decode(
        b'{"event_id": "s", "event_type": "session", "children": ['
        b'{"event_id": "a", "children": [{"event_id": "a1"}, {"event_id": "a2"}]},'
        b'{"event_id": "b"}]}',
        type=SessionTree,
    )
    assert [node.event_id for node in tree.walk()] == ["s", "a", "a1", "a2", "b"]
    assert tree.children[0].children[1].event_id == "a2"


def test_gc_pause_restores_the_gc_even_on_a_decode_error() -> None:
    import gc

    from honeyhive_async.models._decode import GC_PAUSE_MIN_BYTES, decode

    decoder = msgspec.json.Decoder(EventsPage)
    big_bad = b'{"events": [' + b'{"event_id": "x"},' * (GC_PAUSE_MIN_BYTES // 10) + b"oops"
    assert gc.isenabled()
    with pytest.raises(msgspec.DecodeError):
        decode(decoder, big_bad)
    assert gc.isenabled()
    good = b'{"events": [' + b",".join([b'{"event_id": "x"}'] * (GC_PAUSE_MIN_BYTES // 10)) + b"]}"
    assert len(decode(decoder, good).events) == GC_PAUSE_MIN_BYTES // 10
    assert gc.isenabled()
    gc.disable()
    try:
        decode(decoder, good)
        assert not gc.isenabled(), "a GC the caller turned off must stay off"
    finally:
        gc.enable()


def test_gc_pause_nests_across_threads() -> None:
    import gc
    import threading

    from honeyhive_async.models._decode import gc_paused

    inside = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    inside.wait(5)
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled(), "the other thread's pause is still open"
    release.set()
    worker.join(5)
    assert gc.isenabled()


def test_free_form_fields_decode_on_first_access_and_are_cached() -> None:
    event = msgspec.json.decode(
        b'{"event_id": "e", "inputs": {"q": [1, 2]}, "outputs": null}', type=Event
    )
    assert bytes(event.inputs_json) == b'{"q": [1, 2]}'
    assert "inputs" not in event.__dict__
    assert event.inputs == {"q": [1, 2]}
    assert event.inputs is event.inputs
    assert event.outputs is None
    assert event.config is None
    assert bytes(event.config_json) == b""


def test_a_free_form_field_of_the_wrong_type_names_the_field_on_access() -> None:
    event = msgspec.json.decode(b'{"event_id": "e", "metadata": "oops"}', type=Event)
    with pytest.raises(APIResponseDecodeError, match=r"event .e.: field `metadata`") as caught:
        _ = event.metadata
    assert (caught.value.field, caught.value.event_id) == ("metadata", "e")


def test_to_dict_and_from_dict_round_trip(documented_session_bytes: bytes) -> None:
    event = msgspec.json.decode(documented_session_bytes, type=Event)
    data = event.to_dict()
    documented = msgspec.json.decode(documented_session_bytes)
    # Defaults (an empty children_ids, a null error) are left out, as on the wire.
    assert data == {k: v for k, v in documented.items() if v not in (None, [])}
    again = Event.from_dict(data)
    assert again.to_dict() == data
    assert again.inputs == event.inputs
    assert "Model Completion" in repr(event)
    assert "hyperparameters" in repr(event)
