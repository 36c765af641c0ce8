"""The legacy routes' wrapped, lenient bodies, and what they become in the store.

HoneyHive's legacy routes (``/session/start``, ``/events``, ``/events/batch``, ``/events/model``,
...) take the v1 shapes wrapped (``{"session": {...}}``, ``{"event": {...}}``) and are lenient
where the v1 routes are strict: unknown fields (``project`` above all, which every official SDK
sends) are accepted and ignored, and a wrapped object may also come as a JSON-encoded string
(the preview spec's form). Pure functions: each bad value raises `BodyError` naming the field
as the caller sent it (``events[2].event_type``), which the routes answer with a 400.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from ..models import (
    CreateEventRequest,
    EventType,
    JSONObject,
    StartSessionRequest,
    UpdateEventRequest,
    parse_timestamp_ms,
)

__all__ = [
    "MODEL_INPUT_ALIASES",
    "BodyError",
    "LegacyBatch",
    "LegacyEvent",
    "LegacyModelEvent",
    "LegacySession",
    "LegacyUpdate",
    "event_request",
    "integer_times",
    "model_event_request",
    "session_request",
    "unwrap",
    "update_request",
]


class BodyError(ValueError):
    """A legacy body that cannot be stored; the message names the field."""


class _Lenient(msgspec.Struct, kw_only=True):
    """Unknown fields are ignored, as on HoneyHive's legacy routes (``additionalProperties: {}``)."""


class LegacySession(_Lenient):
    """The ``session`` of ``POST /session/start`` (`LegacyStartSessionRequestSession`)."""

    session_id: str | None = None
    session_name: str | None = None
    event_name: str | None = None
    source: str | None = None
    start_time: float | str | None = None
    end_time: float | str | None = None
    duration: float | None = None
    config: JSONObject | None = None
    inputs: JSONObject | None = None
    outputs: JSONObject | None = None
    metadata: JSONObject | None = None
    user_properties: JSONObject | None = None
    children_ids: list[str] | None = None


class LegacyEvent(_Lenient):
    """One event of the legacy routes (`LegacyEvent`); nothing is required by the schema."""

    event_type: EventType | None = None
    inputs: JSONObject | None = None
    event_id: str | None = None
    session_id: str | None = None
    parent_id: str | None = None
    children_ids: list[str] | None = None
    event_name: str | None = None
    source: str | None = None
    project_id: str | None = None
    config: JSONObject | None = None
    outputs: JSONObject | None = None
    error: str | None = None
    start_time: float | str | None = None
    end_time: float | str | None = None
    duration: float | None = None
    metadata: JSONObject | None = None
    feedback: JSONObject | None = None
    metrics: JSONObject | None = None
    user_properties: JSONObject | None = None


class LegacyModelEvent(LegacyEvent):
    """One ``model_event`` (`ModelEvent`): the event fields plus the model's, and old aliases."""

    model_name: str | None = None
    model_version: str | None = None
    model: str | None = None
    """Deprecated alias of `model_name`."""
    messages: list[Any] | None = None
    response: Any = None
    provider: str | None = None
    usage: JSONObject | None = None
    cost: Any = None
    hyperparameters: JSONObject | None = None
    template: Any = None
    template_inputs: Any = None
    tools: Any = None
    tool_choice: Any = None
    response_format: Any = None


MODEL_INPUT_ALIASES = (
    "messages",
    "provider",
    "usage",
    "cost",
    "hyperparameters",
    "template",
    "template_inputs",
    "tools",
    "tool_choice",
    "response_format",
    "error",
    "duration",
)
"""`ModelEvent`'s deprecated fields the spec remaps to ``inputs.<name>`` (``response`` goes to
``outputs.response``, ``model`` to ``model_name``)."""


class LegacyUpdate(_Lenient):
    """Body of ``PUT /events`` (`LegacyUpdateEventRequest`): the v1 update plus `event_id`."""

    event_id: str
    metadata: JSONObject | None = None
    feedback: JSONObject | None = None
    metrics: JSONObject | None = None
    outputs: JSONObject | None = None
    """Replaced; null keeps the stored outputs."""
    config: JSONObject | None = None
    user_properties: JSONObject | None = None
    duration: float | None = None
    end_time: float | str | None = None
    children_ids: list[str] | None = None
    """Set only when non-empty."""


class LegacyBatch(_Lenient):
    """``POST /events/batch`` and ``/events/model/batch``: the items are checked one by one."""

    single_session: bool | None = None
    is_single_session: bool | None = None
    """Deprecated alias of `single_session`."""
    session: JSONObject | None = None
    """Deprecated alias of `session_properties`."""
    session_properties: JSONObject | None = None

    @property
    def one_session(self) -> bool:
        """Whether every event goes into one new session."""
        return bool(self.single_session or self.is_single_session)


def _located(exc: msgspec.ValidationError, where: str) -> BodyError:
    # msgspec says "... - at `$.inputs`"; the caller sent it as `event.inputs`.
    return BodyError(str(exc).replace("`$", f"`{where}"))


def unwrap(value: Any, where: str) -> JSONObject:
    """The object a legacy wrapper holds: an object, or a JSON-encoded object (preview spec)."""
    if isinstance(value, str):
        try:
            value = msgspec.json.decode(value)
        except (msgspec.DecodeError, RecursionError):
            raise BodyError(f"{where} is a string but not a JSON-encoded object") from None
    if not isinstance(value, dict):
        raise BodyError(f"{where} must be an object, got {type(value).__name__}")
    return value


def _convert(value: Any, type_: type[Any], where: str) -> Any:
    try:
        return msgspec.convert(unwrap(value, where), type_)
    except msgspec.ValidationError as exc:
        raise _located(exc, where) from None


def _time(value: float | str | None, where: str) -> float | None:
    """A time as Unix ms: a number, or a string HoneyHive has used (``"2024-04-01 22:38:19"``)."""
    try:
        parsed = parse_timestamp_ms(value)
    except ValueError:
        parsed = None
        if value is not None:
            raise BodyError(f"{where} is not a timestamp: {value!r}") from None
    if parsed is not None and not math.isfinite(parsed):
        raise BodyError(f"{where} is not a finite number: {value!r}")
    return parsed


def session_request(value: Any, where: str = "session") -> StartSessionRequest:
    """The ``session`` of ``POST /session/start`` as the v1 start it is."""
    session: LegacySession = _convert(value, LegacySession, where)
    return StartSessionRequest(
        session_id=session.session_id,
        session_name=session.session_name,
        event_name=session.event_name,
        source=session.source,
        start_time=_time(session.start_time, f"{where}.start_time"),
        end_time=_time(session.end_time, f"{where}.end_time"),
        duration=session.duration,
        config=session.config,
        inputs=session.inputs,
        outputs=session.outputs,
        metadata=session.metadata,
        user_properties=session.user_properties,
        children_ids=session.children_ids,
    )


def _create(event: LegacyEvent, where: str, *, inputs_required: bool) -> CreateEventRequest:
    if event.event_type is None:
        raise BodyError(f"{where}.event_type is required (one of model, tool, chain, session)")
    if event.inputs is None and inputs_required:
        raise BodyError(f"{where}.inputs is required (an object)")
    return CreateEventRequest(
        event_type=event.event_type,
        inputs=event.inputs or {},
        event_id=event.event_id,
        session_id=event.session_id,
        parent_id=event.parent_id,
        children_ids=event.children_ids,
        event_name=event.event_name,
        source=event.source,
        project_id=event.project_id,
        config=event.config,
        outputs=event.outputs,
        error=event.error,
        start_time=_time(event.start_time, f"{where}.start_time"),
        end_time=_time(event.end_time, f"{where}.end_time"),
        duration=event.duration,
        metadata=event.metadata,
        feedback=event.feedback,
        metrics=event.metrics,
        user_properties=event.user_properties,
    )


def event_request(value: Any, where: str, *, inputs_required: bool = False) -> CreateEventRequest:
    """One legacy event as a v1 create: `event_type` is required, `inputs` where the spec says.

    ``POST /events`` requires `inputs` (`LegacyPostEventRequestEvent`); the batch and traces
    items (`LegacyEvent`) do not, and get ``{}``.
    """
    return _create(_convert(value, LegacyEvent, where), where, inputs_required=inputs_required)


def model_event_request(value: Any, where: str) -> CreateEventRequest:
    """One `ModelEvent` as a v1 create of a model event, its deprecated aliases remapped.

    The route sets ``event_type: "model"``. As the spec says, ``messages``, ``provider``,
    ``usage``, ``cost``, ``hyperparameters``, ``template``, ``template_inputs``, ``tools``,
    ``tool_choice``, ``response_format``, ``error`` and ``duration`` go to ``inputs.<name>``,
    ``response`` to ``outputs.response`` and ``model`` to ``model_name``; keys the caller put in
    `inputs`/`outputs` themselves win. The spec does not say where `model_name` and
    `model_version` are kept: here in ``config.model`` and ``config.model_version``, where
    model events carry the model, and `model_name` names the event when `event_name` does not.
    """
    event: LegacyModelEvent = _convert(value, LegacyModelEvent, where)
    model_name = event.model_name or event.model
    if not (model_name or event.event_name):
        raise BodyError(f"{where} needs model_name (or its alias model) or event_name")
    inputs = dict(event.inputs or {})
    for name in MODEL_INPUT_ALIASES:
        alias = getattr(event, name)
        if alias is not None:
            inputs.setdefault(name, alias)
    outputs = dict(event.outputs or {})
    if event.response is not None:
        outputs.setdefault("response", event.response)
    config = dict(event.config or {})
    if model_name:
        config.setdefault("model", model_name)
    if event.model_version:
        config.setdefault("model_version", event.model_version)
    remapped = msgspec.structs.replace(
        event,
        event_type="model",
        event_name=event.event_name or model_name,
        inputs=inputs,
        outputs=outputs or event.outputs,
        config=config or event.config,
        error=None,
        duration=None,
    )
    return _create(remapped, where, inputs_required=False)


def update_request(update: LegacyUpdate) -> UpdateEventRequest:
    """``PUT /events`` as the v1 update of event `update.event_id`."""
    request = UpdateEventRequest()
    for name in ("metadata", "feedback", "metrics", "config", "user_properties"):
        value = getattr(update, name)
        if value is not None:
            setattr(request, name, value)
    if update.outputs is not None:
        request.outputs = update.outputs
    if update.duration is not None:
        request.duration = update.duration
    end_time = _time(update.end_time, "end_time")
    if end_time is not None:
        request.end_time = end_time
    if update.children_ids:
        request.children_ids = update.children_ids
    return request


def integer_times(event: dict[str, Any]) -> dict[str, Any]:
    """`event` with `start_time` and `end_time` as whole Unix ms, as the legacy routes answer.

    ``honeyhive==0.2.57`` types `end_time` as an integer and refuses ``1796186780427.27``;
    `duration` keeps its fraction. Truncated, as the tracer truncates what it sends.
    """
    shown = event
    for name in ("start_time", "end_time"):
        value = event.get(name)
        if type(value) is float and math.isfinite(value):
            if shown is event:
                shown = dict(event)
            shown[name] = int(value)
    return shown
