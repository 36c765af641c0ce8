"""`SessionScope`: a session opened with ``with`` or ``async with``, current inside the block."""

from __future__ import annotations

import contextvars
from types import TracebackType
from typing import Any

from ._context import _current
from ._span import Session, Span, SpanSink

__all__ = ["SessionScope"]


class SessionScope:
    """A session opened by `Tracer.session`; a sync and an async context manager."""

    def __init__(
        self,
        sink: SpanSink,
        name: str,
        *,
        source: str,
        session_id: str | None,
        inputs: dict[str, Any] | None,
        metadata: dict[str, Any] | None,
        user_properties: dict[str, Any] | None,
        config: dict[str, Any] | None,
    ) -> None:
        self._sink = sink
        self._name = name
        self._source = source
        self._session_id = session_id
        self._fields = (inputs, metadata, user_properties, config)
        self._token: contextvars.Token[Span | None] | None = None
        self.session: Session | None = None

    def __enter__(self) -> Session:
        session = Session.open(
            self._sink, self._name, session_id=self._session_id, source=self._source
        )
        inputs, metadata, user_properties, config = self._fields
        session.inputs = inputs
        session.metadata = dict(metadata) if metadata else None
        session.user_properties = dict(user_properties) if user_properties else None
        session.config = dict(config) if config else None
        self._sink.enqueue_session_start(session)
        self.session = session
        self._token = _current.set(session)
        return session

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        if session is None or self._token is None:
            raise RuntimeError("the session was not entered")
        _current.reset(self._token)
        if exc is not None:
            session.record_exception(exc)
            # A session update has no `error` field: keep it with the metadata.
            session.update(metadata={"error": session.error})
        session.finish()

    async def __aenter__(self) -> Session:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)
