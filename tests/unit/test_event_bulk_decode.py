"""A page read whole decodes its events' free-form fields in one pass: same values, same errors.

`models._free_form`: once enough events of a page decoded from a body have a second field
read, the page decodes every event's free-form fields from the body at once. Whatever the
access pattern, a reader sees what the per-field path gives: the same values, a value it
already read stays the same object, bad fields raise the typed error naming field and event.
"""

from __future__ import annotations

import copy
import gc
import pickle
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from honeyhive_async._resource import decoder_for
from honeyhive_async.errors import APIResponseDecodeError
from honeyhive_async.models import Event, EventsPage, _free_form
from honeyhive_async.models._decode import GC_PAUSE_MIN_BYTES, decode

FREE_FORM = _free_form.FREE_FORM
_decoder = decoder_for(EventsPage)


def _event(i: int) -> dict[str, Any]:
    return {
        "event_id": f"e{i}",
        "session_id": "s",
        "config": {"model": "m", "i": i},
        "inputs": {"chat": [{"role": "user", "content": f"q{i}"}]},
        "outputs": {"text": f"a{i}"},
        "metadata": {"tokens": i},
        "feedback": {},
        "metrics": {"score": i / 2},
        "user_properties": None if i % 3 else {"u": i},
    }


def _body(events: list[dict[str, Any]]) -> bytes:
    return msgspec.json.encode({"events": events, "count": len(events)})


def _read_all(event: Event) -> list[object]:
    return [getattr(event, name) for name in FREE_FORM]


def _per_field(body: bytes) -> EventsPage:
    # msgspec without the client's decode(): no body kept, every field decodes on its own.
    return msgspec.json.decode(body, type=EventsPage)


@pytest.fixture
def bulk_after_two_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small pages switch to the bulk decode once two events have each read all their fields."""
    monkeypatch.setattr(_free_form, "MIN_WIDE_READS", 2 * (len(FREE_FORM) - 1))


@pytest.mark.usefixtures("bulk_after_two_events")
def test_reading_whole_events_gives_the_per_field_values() -> None:
    body = _body([_event(i) for i in range(50)])
    page = decode(_decoder, body)
    expected = _per_field(body)

    first = page.events[0].inputs
    for event, twin in zip(page.events, expected.events, strict=True):
        assert _read_all(event) == _read_all(twin)
    assert page.events[0].inputs is first, "a value already read is never replaced"
    assert set(vars(page.events[-1])) == set(FREE_FORM), "the last event was filled in bulk"
    assert page == expected
    assert repr(page.events[7]) == repr(expected.events[7])
    assert page.events[7].to_dict() == expected.events[7].to_dict()


@pytest.mark.usefixtures("bulk_after_two_events")
def test_a_value_changed_before_the_bulk_decode_is_kept() -> None:
    page = decode(_decoder, _body([_event(i) for i in range(20)]))
    outputs = page.events[5].outputs
    assert outputs is not None
    outputs["edited"] = True

    for event in page.events[:3]:
        _read_all(event)  # crosses the bar: the page decodes in bulk

    assert set(vars(page.events[9])) == set(FREE_FORM)
    assert page.events[5].outputs is outputs
    assert page.events[5].outputs == {"text": "a5", "edited": True}


def test_reading_one_field_of_every_event_never_decodes_the_rest() -> None:
    page = decode(_decoder, _body([_event(i) for i in range(200)]))
    for event in page.events:
        assert event.outputs is not None
    assert all(set(vars(event)) == {"outputs"} for event in page.events)


def test_inspecting_a_few_events_whole_stays_per_field() -> None:
    page = decode(_decoder, _body([_event(i) for i in range(200)]))
    for event in page.events[:5]:
        repr(event)
    assert vars(page.events[5]) == {}


@pytest.mark.usefixtures("bulk_after_two_events")
def test_a_reordered_list_still_gets_each_event_its_own_fields() -> None:
    body = _body([_event(i) for i in range(30)])
    page = decode(_decoder, body)
    page.events.reverse()
    page.events[3], page.events[4] = page.events[4], page.events[3]
    expected = {e.event_id: _read_all(e) for e in _per_field(body).events}

    for event in page.events:
        assert _read_all(event) == expected[event.event_id]


@pytest.mark.usefixtures("bulk_after_two_events")
def test_a_bad_field_keeps_the_page_per_field_and_names_the_field() -> None:
    events = [_event(i) for i in range(20)]
    events[12]["metrics"] = "not an object"
    page = decode(_decoder, _body(events))

    for event in page.events:
        if event.event_id == "e12":
            with pytest.raises(APIResponseDecodeError, match=r"event 'e12': field `metrics`"):
                _ = event.metrics
        else:
            assert _read_all(event) == _read_all(Event.from_dict(_event(int(event.event_id[1:]))))
    assert "metrics=<undecodable: " in repr(page.events[12])


@pytest.mark.usefixtures("bulk_after_two_events")
def test_events_outliving_their_list_decode_per_field() -> None:
    body = _body([_event(i) for i in range(20)])
    before = len(_free_form._pending_pages)
    kept = list(decode(_decoder, body).events)  # the page and its list are dropped here
    assert len(_free_form._pending_pages) == before, "a dropped list leaves the registry"

    for event in kept:
        assert _read_all(event) == _read_all(Event.from_dict(_event(int(event.event_id[1:]))))


def test_the_page_pickles_and_copies_as_plain_data() -> None:
    page = decode(_decoder, _body([_event(i) for i in range(5)]))
    for other in (pickle.loads(pickle.dumps(page)), copy.deepcopy(page)):
        assert type(other.events) is list
        assert other == page
        assert other.events[2].inputs == page.events[2].inputs
    assert type(pickle.loads(pickle.dumps(page.events))) is list


def test_free_form_fields_are_read_only() -> None:
    event = Event.from_dict(_event(1))
    with pytest.raises(AttributeError, match="read-only"):
        event.inputs = {"q": 2}
    assert event.inputs == {"chat": [{"role": "user", "content": "q1"}]}
    event.event_name = "renamed"
    assert event.event_name == "renamed"


def _in_generation(obj: object, generation: int) -> bool:
    return any(found is obj for found in gc.get_objects(generation=generation))


@pytest.fixture
def gc_off() -> Iterator[None]:
    """No automatic collection moves objects between generations while a test looks."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_LARGE = [_event(i) for i in range(GC_PAUSE_MIN_BYTES // 100)]


@pytest.mark.usefixtures("gc_off")
def test_a_large_decode_hands_the_page_to_the_old_generation() -> None:
    body = _body(_LARGE)
    assert len(body) >= GC_PAUSE_MIN_BYTES
    page = decode(_decoder, body)
    assert _in_generation(page.events, 2)


@pytest.mark.usefixtures("gc_off")
def test_objects_the_application_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        page = decode(_decoder, _body(_LARGE))
        assert gc.get_freeze_count() == frozen
        assert _in_generation(page.events, 0)
    finally:
        gc.unfreeze()


# -- fuzz: any page, any access order: the same outcome as per-field decoding ----------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
_field_value = st.one_of(st.dictionaries(st.text(max_size=4), _json, max_size=3), _json)


@st.composite
def _pages(draw: st.DrawFn) -> tuple[bytes, list[tuple[int, str]]]:
    n = draw(st.integers(1, 12))
    events = []
    for i in range(n):
        doc: dict[str, Any] = {"event_id": f"e{i}"}
        doc.update(draw(st.dictionaries(st.sampled_from(FREE_FORM), _field_value, max_size=7)))
        events.append(doc)
    reads = draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from(FREE_FORM)), max_size=60)
    )
    return _body(events), reads


def _outcome(event: Event, name: str) -> object:
    try:
        return getattr(event, name)
    except APIResponseDecodeError as exc:
        return ("error", exc.field, exc.event_id, str(exc))


@settings(derandomize=True, max_examples=200, deadline=None)
@given(_pages())
def test_fuzzed_pages_read_in_any_order_match_per_field_decoding(
    page_and_reads: tuple[bytes, list[tuple[int, str]]],
) -> None:
    body, reads = page_and_reads
    saved = _free_form.MIN_WIDE_READS
    _free_form.MIN_WIDE_READS = 1  # bulk on the first second-field read (hypothesis-safe patch)
    try:
        page = decode(_decoder, body)
        twin = _per_field(body)
        for index, name in reads:
            assert _outcome(page.events[index], name) == _outcome(twin.events[index], name)
        for event, other in zip(page.events, twin.events, strict=True):
            for name in FREE_FORM:
                assert _outcome(event, name) == _outcome(other, name)
    finally:
        _free_form.MIN_WIDE_READS = saved


@pytest.mark.usefixtures("bulk_after_two_events")
@pytest.mark.parametrize("read_first", [False, True])
def test_a_field_whose_json_the_caller_set_follows_the_new_json(read_first: bool) -> None:
    page = decode(_decoder, _body([_event(i) for i in range(20)]))
    event = page.events[4]
    if read_first:
        assert event.inputs == {"chat": [{"role": "user", "content": "q4"}]}
    event.inputs_json = msgspec.Raw(b'{"replaced": 1}')
    assert event.inputs == {"replaced": 1}, "no value decoded from the old JSON is kept"

    other = page.events[11]
    other.metrics_json = msgspec.Raw(b'{"set": true}')
    for each in page.events[:3]:
        _read_all(each)  # crosses the bar: the page decodes in bulk

    assert set(vars(page.events[9])) >= set(FREE_FORM), "the page did decode in bulk"
    assert other.metrics == {"set": True}, "the bulk decode does not refill a field the caller set"
    assert other.outputs == {"text": "a11"}
    assert event.inputs == {"replaced": 1}
    assert event.to_dict()["inputs"] == {"replaced": 1}
