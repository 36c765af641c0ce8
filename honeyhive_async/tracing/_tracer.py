"""`Tracer`: sessions, the default session, flushing, distributed tracing and thread pools."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import os
import sys
import threading
import weakref
from collections.abc import Iterable, Mapping, MutableMapping
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from .._client import AsyncHoneyHive
from ._capture import RedactHook, Sanitizer
from ._context import ContextExecutor
from ._exporter import Exporter
from ._ledger import DropHook, ExportReport
from ._propagation import continue_from, inject
from ._record import SpanRecord
from ._redact import DEFAULT_REDACT_KEYS
from ._scope import SessionScope
from ._settle import STOP_GRACE, deadline_after, exit_flush, remaining, settle
from ._span import Session, Span

__all__ = [
    "Tracer",
    "detached_session",
    "get_default_tracer",
    "set_default_tracer",
]

log = logging.getLogger("honeyhive_async.tracing")

T = TypeVar("T")

_default_tracer: Tracer | None = None
_default_lock = threading.Lock()


def get_default_tracer() -> Tracer | None:
    """Return the tracer that `@trace` uses outside any session of an explicit tracer."""
    return _default_tracer


def set_default_tracer(tracer: Tracer | None) -> Tracer | None:
    """Make `tracer` the one bare `@trace` uses; return the previous one."""
    global _default_tracer
    with _default_lock:
        previous, _default_tracer = _default_tracer, tracer
    return previous


class _Discard:
    """The sink of spans that have no tracer: it keeps nothing."""

    def enqueue_span(self, record: SpanRecord) -> None:
        pass  # kept by no one, the record is freed (with what it holds) when this returns

    def enqueue_session_start(self, session: Session) -> None:
        pass

    def enqueue_session_update(self, session: Session) -> None:
        pass


_DISCARD = _Discard()


def detached_session() -> Session:
    """Return a session whose spans are discarded (for `trace_span` with no tracer)."""
    return Session.open(_DISCARD, "untraced", source="none")


def _default_session_name() -> str:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return os.path.basename(path) if path else "python"


class Tracer:
    """Turns traced calls into HoneyHive events and ships them in the background.

    Args:
        client: Where events go (its key, URL, timeout). The exporter runs on its own thread
            and event loop, so it opens a pool of its own with the same settings. Built from
            the environment (`HH_API_KEY`, `HH_API_URL`) when omitted.
        source: `source` of every session and event (``"dev"``, ``"production"``, ...).
        session_name: Name of the default session that root calls outside any
            `tracer.session(...)` go into; defaults to the script's file name.
        max_queue_size: Finished spans waiting for export (the batch being sent is not
            counted); beyond it new spans are dropped (counted, `on_drop` called, a warning
            logged at a limited rate).
        max_batch_size: Events per `POST /v1/events/batch`.
        max_batch_bytes: Encoded bytes per batch.
        max_buffer_bytes: Encoded events waiting for export (e.g. while the server is down);
            beyond it new events are dropped as `buffer_full`. Spans are encoded, and let go
            of the values they captured, as soon as they reach the exporter.
        flush_interval: Seconds between background exports when batches are not full.
        session_hold: Seconds a session's start may wait for the session to end (0: none), so
            that a short session goes as one event of a batch, not as a start and an update
            request; the events queued after it wait as long (not while flushing or closing).
        export_timeout: Seconds one export request may take.
        max_export_attempts: Attempts per batch for transient failures (5xx, 429, timeouts).
        field_budget: Encoded bytes one field (inputs, outputs, ...) may take; larger values
            are cut with a marker that carries the original size.
        redact_keys: Keys whose values are replaced by ``"[REDACTED]"`` wherever they appear
            (compared in snake case, suffixes included: ``api_key`` covers ``openaiApiKey``).
            The client's own API key is always replaced wherever it appears by value: in
            arguments, results, keys, error messages and traceback lines.
        scrub_credentials: Also replace, inside any captured text, what looks like a
            credential: ``Bearer <token>``, ``sk-...`` keys (OpenAI, Anthropic), GitHub tokens,
            AWS access key ids, Google API keys, Slack tokens, secret URL parameters
            (``?api_key=...``, ``&token=...``) and passwords in URLs. Pass ``False`` to keep
            such text as it is (the client's own key is still replaced).
        redact: ``hook(field, value) -> value`` run on inputs, outputs and metadata (and the
            other captured fields); if it raises, a placeholder is written, never the value.
        on_drop: ``on_drop(reason, record)``, called for every event given up on with the
            exporter's copy of the span (a `SpanRecord`; the `Session` for a session start):
            its ids, name, times, error and enriched fields; the
            call's arguments and outputs too when it was dropped before being encoded
            (``queue_full``, ``buffer_full``, ``tracer_closed``). Read what you need inside
            the callback: the copy lets go of its values when it returns.
        flush_at_exit: Flush (bounded by `exit_timeout`) when the interpreter exits.
        exit_timeout: Seconds the exit flush may take.
        set_default: Make this the tracer bare `@trace` uses.
    """

    def __init__(
        self,
        client: AsyncHoneyHive | None = None,
        *,
        source: str = "dev",
        session_name: str | None = None,
        max_queue_size: int = 10_000,
        max_batch_size: int = 500,
        max_batch_bytes: int = 4 * 1024 * 1024,
        max_buffer_bytes: int = 64 * 1024 * 1024,
        flush_interval: float = 1.0,
        session_hold: float = 0.0,
        export_timeout: float = 15.0,
        max_export_attempts: int = 4,
        field_budget: int = 64 * 1024,
        redact_keys: Iterable[str] = DEFAULT_REDACT_KEYS,
        scrub_credentials: bool = True,
        redact: RedactHook | None = None,
        on_drop: DropHook | None = None,
        flush_at_exit: bool = True,
        exit_timeout: float = 5.0,
        set_default: bool = True,
    ) -> None:
        template = client if client is not None else AsyncHoneyHive()
        self.source = source
        self.session_name = session_name or _default_session_name()
        self._exit_timeout = exit_timeout
        self._default_session: Session | None = None
        self._default_children_sent = 0
        self._default_lock = threading.Lock()
        self._closed = False
        self._exporter = Exporter(
            # The exporter retries with its own policy; the client must not multiply it.
            # Its own thread resolves DNS itself: it must work during interpreter exit too.
            functools.partial(
                template._copy_with_own_pool,
                timeout=export_timeout,
                max_retries=0,
                inline_dns=True,
            ),
            Sanitizer(
                field_budget=field_budget,
                redact_keys=redact_keys,
                secrets=(template._transport._api_key,),
                scrub_credentials=scrub_credentials,
                redact=redact,
            ),
            max_queue_size=max_queue_size,
            max_batch_size=max_batch_size,
            max_batch_bytes=max_batch_bytes,
            max_buffer_bytes=max_buffer_bytes,
            flush_interval=flush_interval,
            max_attempts=max_export_attempts,
            on_drop=on_drop,
            session_hold=session_hold,
        )
        _live_tracers.add(self)
        if flush_at_exit:
            exit_flush.add(self)
        if set_default:
            set_default_tracer(self)

    def __repr__(self) -> str:
        return f"Tracer(source={self.source!r}, session_name={self.session_name!r})"

    # -- spans and sessions ---------------------------------------------------------------------

    def _root_parent(self) -> Session:
        session = self._default_session
        if session is None:
            with self._default_lock:
                session = self._default_session
                if session is None:
                    session = Session.open(self._exporter, self.session_name, source=self.source)
                    self._default_session = session
                    self._exporter.enqueue_session_start(session)
        return session

    def session(
        self,
        name: str | None = None,
        *,
        session_id: str | None = None,
        inputs: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        user_properties: dict[str, Any] | None = None,
        config: dict[str, Any] | None = None,
        source: str | None = None,
    ) -> SessionScope:
        """Open a session for the traced calls inside it: ``async with`` or ``with``.

        The session id is generated here (pass `session_id` to choose it); the start is sent
        by the exporter, never awaited inline. Closing sends outputs, end time, duration and
        `children_ids`. `source` overrides the tracer's for this session and its events
        (experiments use ``"evaluation"``). Usage::

            async with tracer.session("checkout", inputs={"cart": cart}) as session:
                await answer(question)
                session.update(outputs={"status": "ok"})
        """
        return SessionScope(
            self._exporter,
            name or self.session_name,
            source=self.source if source is None else source,
            session_id=session_id,
            inputs=inputs,
            metadata=metadata,
            user_properties=user_properties,
            config=config,
        )

    # -- flushing and closing -------------------------------------------------------------------

    def _update_default_session(self, *, end: bool) -> None:
        session = self._default_session
        if session is None or session.ended:
            return
        if end:
            session.finish()  # enqueues the closing update
            return
        children = len(session._children or ())
        if children != self._default_children_sent:
            # A flush sends the default session's children so far, once per change.
            self._default_children_sent = children
            self._exporter.enqueue_session_update(session)

    # One implementation for the four: `_begin` starts a flush or a close, `_settle` (from a
    # thread) or `_settle_async` (from a loop) waits for it within the deadline, `_end` reports.

    async def flush(self, timeout: float | None = 10.0) -> ExportReport:
        """Wait until every event finished so far is sent or given up on, at most `timeout` s.

        Never blocks the running loop: the export happens on the exporter's thread.
        """
        return await self._settle_async(close=False, timeout=timeout)

    def flush_sync(self, timeout: float | None = 10.0) -> ExportReport:
        """Blocking `flush`, for code without an event loop (scripts, threads, atexit)."""
        return settle([self], close=False, deadline=deadline_after(timeout))[0]

    async def aclose(self, timeout: float | None = 10.0) -> ExportReport:
        """Close the default session, send what is queued for at most `timeout` s, and stop.

        Returns within `timeout` plus a tenth of a second: sends still in flight then are
        cancelled and their events counted as dropped (`shutdown`); later events are dropped
        as `tracer_closed`. Never blocks the running loop.
        """
        if self._closed:
            return self._exporter.report()
        return await self._settle_async(close=True, timeout=timeout)

    def close_sync(self, timeout: float | None = 10.0) -> ExportReport:
        """Blocking `aclose`, for code without an event loop.

        Called from `on_drop` or a redaction hook (the exporter's own thread), it stops the
        tracer without waiting: what is left is sent or dropped once the callback returns.
        """
        if self._closed:
            return self._exporter.report()
        return settle([self], close=True, deadline=deadline_after(timeout))[0]

    def _begin(self, *, close: bool) -> concurrent.futures.Future[None]:
        """Start a flush or a close; the future resolves once what was queued is handled."""
        self._update_default_session(end=close)
        return self._exporter.begin_stop() if close else self._exporter.request_flush()

    def _give_up_waiting(self, done: concurrent.futures.Future[None], *, close: bool) -> None:
        if close:
            self._exporter.abandon()  # sends in flight are cancelled and counted as shutdown
        else:
            done.cancel()  # the exporter resolves only marks that are still waited on

    def _end(self, *, close: bool, timed_out: bool) -> ExportReport:
        if close:
            # Only now: a close cancelled half-way leaves the exit flush in place.
            self._closed = True
            exit_flush.discard(self)
        return self._exporter.report(timed_out=timed_out)

    async def _settle_async(self, *, close: bool, timeout: float | None) -> ExportReport:
        deadline = deadline_after(timeout)
        done = self._begin(close=close)
        waiting = asyncio.wrap_future(done)
        finished, _ = await asyncio.wait({waiting}, timeout=remaining(deadline))
        if not finished:
            self._give_up_waiting(done, close=close)
            if close:
                await asyncio.wait({waiting}, timeout=STOP_GRACE)
        return self._end(close=close, timed_out=not finished)

    def stats(self) -> ExportReport:
        """Return the export counters: sent, dropped by reason, pending, retried."""
        return self._exporter.report()

    # -- distributed tracing --------------------------------------------------------------------

    def inject(self, headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
        """Write the current session and parent into `headers` (W3C `baggage`) and return them.

        HoneyHive's own SDK reads `session_id` from baggage; `honeyhive_parent_id` makes the
        remote service's calls children of the current span. Other baggage entries are kept.
        """
        return inject(headers)

    def continue_from(self, headers: Mapping[str, str]) -> AbstractContextManager[Span | None]:
        """Make the calls inside children of the remote span named in `headers` (see `inject`).

        Without HoneyHive baggage the calls go to the tracer's default session as usual.
        Usage: ``with tracer.continue_from(request.headers): ...``
        """
        return continue_from(headers, open_remote=self._open_remote)

    def _open_remote(self, session_id: str) -> Session:
        return Session.open(
            self._exporter, "remote", session_id=session_id, source=self.source, remote=True
        )

    # -- threads --------------------------------------------------------------------------------

    def wrap_executor(self, executor: concurrent.futures.Executor) -> ContextExecutor:
        """Return an executor whose tasks run in the submitter's context (spans nest right)."""
        return ContextExecutor(executor)


_live_tracers: weakref.WeakSet[Tracer] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # The parent's default session start may still sit unsent in the parent's queue: a child
    # that updated it would race the parent. The child opens a default session of its own.
    for tracer in list(_live_tracers):
        tracer._default_session = None
        tracer._default_children_sent = 0
        tracer._default_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)
