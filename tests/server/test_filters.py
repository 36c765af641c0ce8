"""The filter engine (`honeyhive_async.server.filters`) as pure functions: tables, no server."""

from __future__ import annotations

import math
from typing import Any

import msgspec
import pytest

from honeyhive_async.models import EventFilter, ExportFilter
from honeyhive_async.server.filters import (
    MISSING,
    FilterError,
    as_number,
    coerce,
    filter_kind,
    matches,
    project_fields,
    resolve,
    validate_filter,
)

JAN_1 = "2024-01-01T00:00:00Z"
JAN_1_MS = 1_704_067_200_000.0
JAN_2_MS = JAN_1_MS + 86_400_000

EVENT: dict[str, Any] = {
    "event_id": "e1",
    "event_type": "model",
    "event_name": "llm-call",
    "error": None,
    "start_time": 2_000,
    "children_ids": ["x", "y", 3],
    "inputs": {"chat": {"messages": [{"role": "user"}]}},
    "metadata": {
        "cost": 2,
        "ratio": 0.5,
        "n": "10",
        "ok": True,
        "flag": "false",
        "note": "Hello World",
        "when": JAN_1,
        "when_ms": JAN_2_MS,
        "nested": {"deep": {"leaf": "v"}},
        "blob": {"a": "x"},
        "null": None,
    },
}


def _filter(field: str, operator: Any, value: Any = None, type_: Any = None) -> EventFilter:
    if type_ is None:
        return EventFilter(field=field, operator=operator, value=value)
    return EventFilter(field=field, operator=operator, value=value, type=type_)


# -- operator x type -----------------------------------------------------------------------

MATCH_CASES: list[tuple[str, str, Any, str | None, bool]] = [
    # field, operator, value, type, matches EVENT
    # string
    ("event_type", "is", "model", "string", True),
    ("event_type", "is", "tool", "string", False),
    ("event_type", "is not", "tool", "string", True),
    ("event_type", "is not", "model", "string", False),
    ("event_name", "contains", "llm", "string", True),
    ("event_name", "contains", "LLM", "string", False),
    ("event_name", "not contains", "llm", "string", False),
    ("event_name", "not contains", "tool", "string", True),
    ("event_name", "greater than", "a", "string", True),
    ("event_name", "less than", "a", "string", False),
    ("metadata.cost", "is", "2", "string", True),
    ("metadata.ok", "is", "true", "string", True),
    ("metadata.blob", "contains", "x", "string", True),
    ("metadata.blob", "is", '{"a":"x"}', "string", True),
    ("children_ids", "contains", "y", "string", True),
    ("children_ids", "contains", "3", "string", True),
    ("children_ids", "contains", "z", "string", False),
    ("children_ids", "not contains", "z", "string", True),
    # string, type inferred from the value
    ("event_type", "is", "model", None, True),
    ("metadata.note", "contains", "World", None, True),
    # number
    ("metadata.cost", "is", 2, "number", True),
    ("metadata.cost", "is", "2.0", "number", True),
    ("metadata.cost", "is not", 2, "number", False),
    ("metadata.cost", "greater than", 1, "number", True),
    ("metadata.cost", "greater than", 2, "number", False),
    ("metadata.cost", "less than", 3, "number", True),
    ("metadata.cost", "less than", 2, "number", False),
    ("metadata.ratio", "less than", 1, "number", True),
    ("metadata.n", "greater than", 9, "number", True),
    ("metadata.n", "is", 10, "number", True),
    ("metadata.ok", "is", 1, "number", False),  # a stored boolean is not a number
    ("metadata.ok", "is not", 1, "number", True),
    ("metadata.note", "greater than", 1, "number", False),  # text that is not a number
    ("children_ids", "contains", 3, "number", True),
    ("children_ids", "contains", 4, "number", False),
    ("start_time", "greater than", 1_999, "number", True),
    # number, type inferred from the value
    ("metadata.cost", "greater than", 1, None, True),
    ("metadata.cost", "is", 2.0, None, True),
    # boolean
    ("metadata.ok", "is", True, "boolean", True),
    ("metadata.ok", "is", "true", "boolean", True),
    ("metadata.ok", "is", "1", "boolean", True),
    ("metadata.ok", "is", False, "boolean", False),
    ("metadata.ok", "is not", False, "boolean", True),
    ("metadata.flag", "is", False, "boolean", True),
    ("metadata.flag", "is", " FALSE ", "boolean", True),
    ("metadata.note", "is", True, "boolean", False),  # text that is not a boolean
    ("metadata.note", "is not", True, "boolean", True),
    # boolean, type inferred from the value
    ("metadata.ok", "is", True, None, True),
    ("metadata.flag", "is", False, None, True),
    # datetime (ISO text, Unix ms, numeric text)
    ("metadata.when", "after", "2023-12-31T23:59:59Z", "datetime", True),
    ("metadata.when", "after", JAN_1, "datetime", False),
    ("metadata.when", "before", JAN_1_MS + 1, "datetime", True),
    ("metadata.when", "is", JAN_1_MS, "datetime", True),
    ("metadata.when_ms", "after", JAN_1, "datetime", True),
    ("metadata.when_ms", "before", "2024-01-02 00:00:01", "datetime", True),
    ("metadata.when_ms", "greater than", str(JAN_1_MS), "datetime", True),
    ("metadata.when_ms", "less than", JAN_1, "datetime", False),
    ("metadata.note", "after", JAN_1, "datetime", False),  # text that is not a timestamp
    ("metadata.ok", "after", 0, "datetime", False),  # nor is a boolean
    # datetime, type inferred from the operator
    ("start_time", "after", "1970-01-01T00:00:01Z", None, True),
    ("start_time", "before", 2_000, None, False),
    ("metadata.when", "before", "2024-01-02T00:00:00Z", None, True),
]


@pytest.mark.parametrize(("field", "operator", "value", "type_", "expected"), MATCH_CASES)
def test_operator_by_type(
    field: str, operator: str, value: Any, type_: str | None, expected: bool
) -> None:
    item = _filter(field, operator, value, type_)
    validate_filter(item)
    assert matches(EVENT, item) is expected


@pytest.mark.parametrize(
    ("field", "value", "type_", "expected"),
    [
        ("metadata.cost", "2", "string", True),
        ("metadata.cost", 2, "number", True),
        ("metadata.ok", True, "boolean", True),
        ("metadata.when", JAN_1_MS, "datetime", True),
        ("metadata.when", 0, "datetime", False),
    ],
)
def test_export_filters_match_like_search_filters(
    field: str, value: Any, type_: Any, expected: bool
) -> None:
    export = ExportFilter(field=field, operator="is", value=value, type=type_)
    assert matches(EVENT, export) is expected
    assert matches(EVENT, _filter(field, "is", value, type_)) is expected


# -- exists, null and missing fields -------------------------------------------------------

MISSING_CASES: list[tuple[str, str, Any, str | None, bool]] = [
    ("metadata.cost", "exists", None, None, True),
    ("metadata.cost", "not exists", None, None, False),
    ("metadata.absent", "exists", None, None, False),
    ("metadata.absent", "not exists", None, None, True),
    ("metadata.null", "exists", None, None, False),  # a stored null counts as absent
    ("error", "not exists", None, "string", True),
    ("metadata.cost", "exists", "ignored", "number", True),  # exists ignores value and type
    # `is null` matches absent and null fields; `is not null` matches the present ones.
    ("metadata.absent", "is", None, None, True),
    ("metadata.null", "is", None, None, True),
    ("metadata.cost", "is", None, None, False),
    ("metadata.cost", "is not", None, None, True),
    ("metadata.absent", "is not", None, None, False),
    # An absent field never passes a positive compare, so it always passes the negation.
    ("metadata.absent", "is", "x", "string", False),
    ("metadata.absent", "contains", "x", "string", False),
    ("metadata.absent", "greater than", 0, "number", False),
    ("metadata.absent", "less than", 0, "number", False),
    ("metadata.absent", "after", 0, "datetime", False),
    ("metadata.absent", "before", JAN_2_MS, "datetime", False),
    ("metadata.absent", "is not", "x", "string", True),
    ("metadata.absent", "not contains", "x", "string", True),
    ("metadata.null", "is", 0, "number", False),
    ("metadata.null", "is not", 0, "number", True),
    ("nothing.at.all", "is not", "x", "string", True),
]


@pytest.mark.parametrize(("field", "operator", "value", "type_", "expected"), MISSING_CASES)
def test_exists_null_and_missing_fields(
    field: str, operator: str, value: Any, type_: str | None, expected: bool
) -> None:
    assert matches(EVENT, _filter(field, operator, value, type_)) is expected


# -- dotted paths --------------------------------------------------------------------------

RESOLVE_CASES: list[tuple[str, Any]] = [
    ("event_type", "model"),
    ("metadata.cost", 2),
    ("metadata.nested.deep.leaf", "v"),
    ("metadata.nested.deep", {"leaf": "v"}),
    ("metadata.null", None),
    ("metadata.absent", MISSING),
    ("metadata.cost.more", MISSING),  # through a number
    ("metadata.note.length", MISSING),  # through a string
    ("inputs.chat.messages.0", MISSING),  # lists are not indexed
    ("", MISSING),
    ("metadata.", MISSING),
]


@pytest.mark.parametrize(("path", "expected"), RESOLVE_CASES)
def test_resolve_dotted_paths(path: str, expected: Any) -> None:
    found = resolve(EVENT, path)
    if expected is MISSING:
        assert found is MISSING
    else:
        assert found == expected


def test_a_key_with_a_dot_is_read_as_a_path() -> None:
    event = {"a.b": 1, "a": {"b": 2}}
    assert resolve(event, "a.b") == 2
    assert resolve({"a.b": 1}, "a.b") is MISSING


@pytest.mark.parametrize(
    ("path", "operator", "value", "expected"),
    [
        ("metadata.nested.deep.leaf", "is", "v", True),
        ("metadata.nested.deep.leaf", "is not", "v", False),
        ("metadata.nested.deep", "contains", "leaf", True),  # an object is compared as JSON text
        ("metadata.nested.gone.leaf", "is not", "v", True),
    ],
)
def test_filters_follow_dotted_paths(path: str, operator: str, value: Any, expected: bool) -> None:
    assert matches(EVENT, _filter(path, operator, value, "string")) is expected


# -- type inference and coercion -----------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "type_", "kind"),
    [
        ("is", "x", "number", "number"),  # an explicit type wins
        ("after", 5, "number", "number"),
        ("after", "x", None, "datetime"),
        ("before", 5, None, "datetime"),
        ("is", True, None, "boolean"),
        ("is", False, None, "boolean"),
        ("is", 1, None, "number"),
        ("is", 1.5, None, "number"),
        ("is", "1", None, "string"),
        ("is", None, None, None),
        ("exists", None, None, None),
    ],
)
def test_filter_kind(operator: str, value: Any, type_: str | None, kind: str | None) -> None:
    assert filter_kind(_filter("f", operator, value, type_)) == kind


COERCE_CASES: list[tuple[Any, str | None, Any]] = [
    # value, kind, result
    (2, "number", 2.0),
    ("2.5", "number", 2.5),
    (" 7 ", "number", 7.0),
    ("1e3", "number", 1000.0),
    (True, "boolean", True),
    (False, "boolean", False),
    ("TRUE", "boolean", True),
    (" false ", "boolean", False),
    ("1", "boolean", True),
    ("0", "boolean", False),
    (1, "boolean", True),
    (0, "boolean", False),
    (JAN_1, "datetime", JAN_1_MS),
    ("2024-01-01 00:00:00", "datetime", JAN_1_MS),
    ("2024-01-01T01:00:00+01:00", "datetime", JAN_1_MS),
    (JAN_1_MS, "datetime", JAN_1_MS),
    (str(int(JAN_1_MS)), "datetime", JAN_1_MS),
    ("x", "string", "x"),
    (True, "string", "true"),
    (False, "string", "false"),
    (2, "string", "2"),
    (2.5, "string", "2.5"),
    ({"a": 1}, "string", '{"a":1}'),
    ([1, "b"], "string", '[1,"b"]'),
    (None, "string", "null"),
    ({"a": 1}, None, {"a": 1}),  # no type: unchanged
    ("x", None, "x"),
]


@pytest.mark.parametrize(("value", "kind", "expected"), COERCE_CASES)
def test_coerce(value: Any, kind: str | None, expected: Any) -> None:
    result = coerce(value, kind)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("value", "kind", "error"),
    [
        (True, "number", TypeError),
        (False, "number", TypeError),
        ("abc", "number", ValueError),
        ("", "number", ValueError),
        (None, "number", TypeError),
        ({"a": 1}, "number", TypeError),
        ("maybe", "boolean", ValueError),
        (2, "boolean", ValueError),
        ("", "boolean", ValueError),
        ("yesterday", "datetime", ValueError),
        ("", "datetime", ValueError),
        (True, "datetime", TypeError),
        ([1], "datetime", TypeError),
        (None, "datetime", TypeError),
        # JSON integers have no size limit; one too large for a float is out of range.
        pytest.param(10**400, "number", ValueError, id="huge-int-number"),
        pytest.param(-(10**400), "datetime", ValueError, id="huge-int-datetime"),
    ],
)
def test_coerce_refuses(value: Any, kind: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        coerce(value, kind)


def test_coerce_keeps_non_finite_numbers() -> None:
    assert coerce("inf", "number") == math.inf
    assert math.isnan(coerce("nan", "number"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2, 2.0),
        (2.5, 2.5),
        ("3", 3.0),
        (None, None),
        (True, None),
        (False, None),
        ("x", None),
        ([1], None),
        ({"a": 1}, None),
        pytest.param(10**400, None, id="huge-int"),
    ],
)
def test_as_number(value: Any, expected: float | None) -> None:
    assert as_number(value) == expected


# -- invalid filters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "operator", "value", "type_", "message"),
    [
        (
            "metadata.x",
            "is",
            "abc",
            "number",
            "filter on 'metadata.x': 'abc' is not a valid number",
        ),
        ("metadata.x", "is", True, "number", "filter on 'metadata.x': True is not a valid number"),
        (
            "cost",
            "greater than",
            "lots",
            "number",
            "filter on 'cost': 'lots' is not a valid number",
        ),
        ("ok", "is", "maybe", "boolean", "filter on 'ok': 'maybe' is not a valid boolean"),
        ("ok", "is", 2, "boolean", "filter on 'ok': 2 is not a valid boolean"),
        ("t", "after", "yesterday", None, "filter on 't': 'yesterday' is not a valid datetime"),
        ("t", "before", True, None, "filter on 't': True is not a valid datetime"),
        ("t", "is", "soon", "datetime", "filter on 't': 'soon' is not a valid datetime"),
    ],
)
def test_invalid_filters_raise_filter_error_naming_field_value_and_type(
    field: str, operator: str, value: Any, type_: str | None, message: str
) -> None:
    with pytest.raises(FilterError) as info:
        validate_filter(_filter(field, operator, value, type_))
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("operator", "value", "type_"),
    [
        ("exists", "abc", "number"),  # exists and not exists ignore the value
        ("not exists", True, "datetime"),
        ("is", None, "number"),  # null is always a valid value
        ("greater than", None, "boolean"),
        ("is", 1, "string"),  # anything converts to a string
        ("contains", True, None),
        ("is", "1.5", "number"),
        ("is", 0, "boolean"),
        ("after", 0, None),
    ],
)
def test_valid_filters_pass_validation(operator: str, value: Any, type_: str | None) -> None:
    validate_filter(_filter("f", operator, value, type_))


# -- projections ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("projections", "expected"),
    [
        ([], {"event_id": "e1"}),
        (["event_type"], {"event_id": "e1", "event_type": "model"}),
        (["metadata.cost"], {"event_id": "e1", "metadata": {"cost": 2}}),
        (
            ["metadata.cost", "metadata.ok"],
            {"event_id": "e1", "metadata": {"cost": 2, "ok": True}},
        ),
        (
            ["metadata.nested.deep.leaf"],
            {"event_id": "e1", "metadata": {"nested": {"deep": {"leaf": "v"}}}},
        ),
        (["metadata.absent", "nothing"], {"event_id": "e1"}),
        (["metadata.null"], {"event_id": "e1", "metadata": {"null": None}}),
        (["error"], {"event_id": "e1", "error": None}),
        (["event_id"], {"event_id": "e1"}),
        # A whole object, then a path inside it: the whole object stays.
        (["metadata", "metadata.cost"], {"event_id": "e1", "metadata": EVENT["metadata"]}),
    ],
)
def test_project_fields(projections: list[str], expected: dict[str, Any]) -> None:
    assert project_fields(EVENT, projections) == expected


def test_project_fields_copies_nothing_it_was_not_asked_for() -> None:
    projected = project_fields(EVENT, ["metadata.nested.deep.leaf"])
    assert msgspec.json.encode(projected) == (
        b'{"event_id":"e1","metadata":{"nested":{"deep":{"leaf":"v"}}}}'
    )
