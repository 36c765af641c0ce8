"""Capture never breaks the traced call, whatever it is given or returns (issue 14, first bullet).

Hypothesis builds arguments and results from JSON values, bytes, sets, huge strings, lone
surrogates, reference cycles, deep nesting and objects whose `__repr__`, `__eq__`, `__hash__`,
`__len__`, `__iter__`, `__str__`, `__getattr__` or `__class__` raise. For each: the traced call
returns its value unchanged (the same object) or raises the very exception it raised, and the
event is encoded and reaches the server (nothing dropped: an event that could not be encoded
would be counted `encode_failed`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import Tracer, enrich_span, trace
from tests.tracing.conftest import make_tracer

BATCH = "/v1/events/batch"


class Boom(Exception):
    """What the hostile objects raise."""


class Hostile:
    """Base of objects that raise from their dunders once armed (`_arm`), for ever after.

    Armed after they are built (a set hashes its items), before the traced call: the exporter
    thread reads them whenever it runs, so they must stay hostile from then on.
    """

    _armed = False

    def _boom(self) -> None:
        if self._armed:
            raise Boom(type(self).__name__)


def _arm(value: Any, seen: set[int] | None = None) -> Any:
    """Arm every `Hostile` inside `value`, walking with the base types' own methods."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return value
    seen.add(id(value))
    cls = type(value)  # not isinstance: BadClass lies about its class
    if issubclass(cls, Hostile):
        object.__setattr__(value, "_armed", True)
    if issubclass(cls, dict):
        for key, item in dict.items(value):
            _arm(key, seen)
            _arm(item, seen)
    for base in (list, tuple, set, frozenset):
        if issubclass(cls, base):
            for item in base.__iter__(value):
                _arm(item, seen)
    return value


class BadRepr(Hostile):
    def __repr__(self) -> str:
        self._boom()
        return "BadRepr()"


class BadEqHash(Hostile):
    # Equal hashes: a set of several compares them, so both raise once armed.
    def __hash__(self) -> int:
        self._boom()
        return 1

    def __eq__(self, other: object) -> bool:
        self._boom()
        return self is other


class BadLen(list[Any], Hostile):
    def __len__(self) -> int:
        self._boom()
        return super().__len__()


class BadIter(list[Any], Hostile):
    def __iter__(self) -> Iterator[Any]:
        self._boom()
        return super().__iter__()


class BadItems(dict[Any, Any], Hostile):
    def items(self) -> Any:
        self._boom()
        return super().items()


class BadSetIter(set[Any], Hostile):
    def __iter__(self) -> Iterator[Any]:
        self._boom()
        return super().__iter__()


class BadStr(Hostile):
    def __str__(self) -> str:
        self._boom()
        return "BadStr"

    def __hash__(self) -> int:
        return 7


class BadStrSubclass(str, Hostile):
    def __len__(self) -> int:
        self._boom()
        return super().__len__()


class BadGetattr(Hostile):
    # Any attribute the tracer looks for (model_dump, __dataclass_fields__, ...) raises.
    def __getattr__(self, name: str) -> Any:
        self._boom()
        raise AttributeError(name)


class BadClass(Hostile):
    @property  # type: ignore[misc]
    def __class__(self) -> type:  # lies about its class, then raises
        self._boom()
        return dict

    def __repr__(self) -> str:
        self._boom()
        return "BadClass()"


class BadDump(Hostile):
    """Looks like a pydantic model whose `model_dump` raises, or returns itself."""

    def __init__(self, itself: bool) -> None:
        self.itself = itself

    def model_dump(self) -> Any:
        if self.itself:
            return self
        self._boom()
        return {}


class BadException(Exception):
    def __str__(self) -> str:
        raise Boom("str")

    def __repr__(self) -> str:
        raise Boom("repr")


_SURROGATES = ["\udce9", "caf\udce9", "\ud800", "a\udfffb", "\udcff" * 3]
_HUGE = "h" * 3_000_000  # shared: one allocation for every example that draws it

_leaf: st.SearchStrategy[Any] = (
    st.none()
    | st.booleans()
    | st.integers(-(2**200), 2**200)
    | st.floats()  # nan and infinities too
    | st.text(max_size=30)
    | st.sampled_from(_SURROGATES)
    | st.just(_HUGE)
    | st.binary(max_size=40)
    | st.binary(max_size=40).map(bytearray)
    | st.binary(max_size=40).map(lambda b: memoryview(b))
    | st.builds(BadRepr)
    | st.builds(BadEqHash)
    | st.builds(BadStr)
    | st.builds(BadGetattr)
    | st.builds(BadClass)
    | st.builds(BadDump, st.booleans())
    | st.sampled_from(_SURROGATES).map(BadStrSubclass)
)
_hashable = (
    st.text(max_size=10)
    | st.sampled_from(_SURROGATES)
    | st.integers()
    | st.none()
    | st.tuples(st.integers(), st.text(max_size=3))
    | st.builds(BadStr)
    | st.builds(BadEqHash)
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    items = st.lists(inner, max_size=4)
    return (
        items
        | items.map(tuple)
        | items.map(BadLen)
        | items.map(BadIter)
        | st.dictionaries(_hashable, inner, max_size=4)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3).map(BadItems)
        | st.frozensets(_hashable, max_size=4)
        | st.sets(_hashable, max_size=4).map(BadSetIter)
    )


@st.composite
def _values(draw: st.DrawFn) -> Any:
    """A value from the mix above, then perhaps closed into a cycle or buried deep."""
    value = _arm(draw(st.recursive(_leaf, _containers, max_leaves=12)))
    shape = draw(st.sampled_from(["as-is", "cycle", "deep"]))
    if shape == "cycle":
        loop: list[Any] = [value]
        loop.append(loop)
        value = {"loop": loop, "again": loop}
    elif shape == "deep":
        for _ in range(draw(st.sampled_from([50, 2000]))):
            value = [value]
    return value


@pytest.fixture
def tracer(threaded_server: LocalServer) -> Iterator[Tracer]:
    tracer = make_tracer(threaded_server, set_default=False, flush_interval=3600)
    yield tracer
    tracer.close_sync(10)


def _stored_events(server: LocalServer) -> list[dict[str, Any]]:
    """The events of every batch the server received (read from its request log)."""
    return [e for r in server.requests if r.path == BATCH for e in r.json()["events"]]


_PROPERTY = settings(
    derandomize=True,
    max_examples=40,
    deadline=None,
    # One server and tracer for all examples, on purpose: the events add up across them.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_PROPERTY
@given(arg=_values(), kwarg=_values(), result=_values())
def test_a_traced_call_returns_any_value_unchanged_and_its_event_is_sent(
    tracer: Tracer, threaded_server: LocalServer, arg: Any, kwarg: Any, result: Any
) -> None:
    @trace(tracer=tracer, event_name="hostile")
    def call(a: Any, *rest: Any, k: Any = None, **more: Any) -> Any:
        enrich_span(metadata={"m": a, "\udce9": k}, feedback={"f": result})
        return result

    before = tracer.stats()
    assert call(arg, arg, k=kwarg, extra=result) is result
    report = tracer.flush_sync(10)
    assert report.dropped == {}
    assert report.pending == 0
    assert report.sent == before.sent + 1 + (before.sent == 0)  # the default session, once
    last = _stored_events(threaded_server)[-1]
    assert last["event_name"] == "hostile"
    for name in ("inputs", "metadata", "feedback"):
        assert isinstance(last[name], dict)
    assert isinstance(last.get("outputs", {}), dict)  # None is not sent


@_PROPERTY
@given(arg=_values(), message=_values())
def test_a_traced_call_raises_its_own_exception_unchanged(
    tracer: Tracer, threaded_server: LocalServer, arg: Any, message: Any
) -> None:
    raised = BadException(message)

    @trace(tracer=tracer, event_name="hostile_error")
    def call(a: Any) -> Any:
        raise raised

    with pytest.raises(BadException) as caught:
        call(arg)
    assert caught.value is raised
    report = tracer.flush_sync(10)
    assert (report.dropped, report.pending) == ({}, 0)
    last = _stored_events(threaded_server)[-1]
    assert last["event_name"] == "hostile_error"
    assert isinstance(last["error"], str)
    assert last["error"]


@_PROPERTY
@given(arg=_values(), result=_values())
def test_an_async_traced_call_returns_any_value_unchanged(
    tracer: Tracer, threaded_server: LocalServer, arg: Any, result: Any
) -> None:
    @trace(tracer=tracer, event_name="hostile_async")
    async def call(a: Any) -> Any:
        await asyncio.sleep(0)
        return result

    async def main() -> bool:
        # Not the result itself: asyncio.run reprs its finished task (and so its result) when
        # it restores the SIGINT handler; that is the stdlib's doing, not the tracer's.
        return await call(arg) is result

    assert asyncio.run(main())
    report = tracer.flush_sync(10)
    assert (report.dropped, report.pending) == ({}, 0)
    assert _stored_events(threaded_server)[-1]["event_name"] == "hostile_async"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(BadLen([1, 2]), id="len"),
        pytest.param(BadIter([1, 2]), id="iter"),
        pytest.param(BadItems(a=1), id="items"),
        pytest.param(BadSetIter({1}), id="set-iter"),
        pytest.param({BadEqHash(), BadEqHash()}, id="eq-hash"),
        pytest.param({BadStr(): 1}, id="key-str"),
        pytest.param(BadGetattr(), id="getattr"),
        pytest.param(BadClass(), id="class"),
        pytest.param(BadDump(itself=True), id="dump-itself"),
        pytest.param(BadStrSubclass("x\udce9"), id="str-subclass"),
    ],
)
def test_each_hostile_kind_is_captured_as_json(
    tracer: Tracer, threaded_server: LocalServer, value: Any
) -> None:
    # The named cases, so that a failure says which kind broke capture.
    @trace(tracer=tracer, event_name="kind")
    def call(a: Any) -> Any:
        return a

    assert call(_arm(value)) is value
    report = tracer.flush_sync(10)
    assert (report.dropped, report.pending) == ({}, 0)
    (event,) = [e for e in _stored_events(threaded_server) if e["event_name"] == "kind"]
    msgspec.json.encode(event)  # what the server stored is JSON through and through
    assert set(event["inputs"]) == {"a"}
