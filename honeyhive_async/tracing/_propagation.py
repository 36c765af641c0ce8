"""Distributed tracing: the current session and span into W3C `baggage`, and back out.

HoneyHive's own SDK reads `session_id` from baggage; `honeyhive_parent_id` makes the remote
service's calls children of the span that made the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from urllib.parse import quote, unquote

from ._context import _current
from ._span import Session, Span, _perf

__all__ = ["continue_from", "inject", "parse_baggage"]

BAGGAGE_SESSION = "session_id"
BAGGAGE_PARENT = "honeyhive_parent_id"
_BAGGAGE_SESSION_ALIASES = (BAGGAGE_SESSION, "honeyhive_session_id")


def inject(headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Write the current session and span into `headers["baggage"]` and return `headers`.

    Other baggage entries are kept; outside any span `headers` is returned unchanged.
    """
    span = _current.get()
    if span is None:
        return headers
    ours = {BAGGAGE_SESSION: span.session.event_id, BAGGAGE_PARENT: span.event_id}
    kept = [
        item.strip()
        for item in headers.get("baggage", "").split(",")
        if item.strip() and item.split("=", 1)[0].strip() not in ours
    ]
    kept.extend(f"{key}={quote(value, safe='')}" for key, value in ours.items())
    headers["baggage"] = ",".join(kept)
    return headers


@contextmanager
def continue_from(
    headers: Mapping[str, str], *, open_remote: Callable[[str], Session]
) -> Iterator[Span | None]:
    """Make the calls inside children of the remote span named in `headers` (see `inject`).

    `open_remote(session_id)` opens the stand-in for the remote session. Without HoneyHive
    baggage nothing changes and None is yielded.
    """
    baggage = parse_baggage(header(headers, "baggage"))
    session_id = next((baggage[k] for k in _BAGGAGE_SESSION_ALIASES if baggage.get(k)), None)
    if session_id is None:
        yield None
        return
    session = open_remote(session_id)
    parent_id = baggage.get(BAGGAGE_PARENT)
    parent: Span = session
    if parent_id and parent_id != session_id:
        # A stand-in for the remote span, never ended here: only its id reaches the events.
        # Its own parent is not known here, so it has none and is no child of the session.
        parent = Span(session, None, "chain", "remote parent", parent_id, _perf())
    token = _current.set(parent)
    try:
        yield parent
    finally:
        _current.reset(token)


def header(headers: Mapping[str, str], name: str) -> str:
    """The value of header `name` (lower case), matched case-insensitively; "" when absent."""
    value = headers.get(name)
    if value is None:
        for key, item in headers.items():
            if key.lower() == name:
                return item
        return ""
    return value


def parse_baggage(value: str) -> dict[str, str]:
    """W3C baggage as a dict: keys stripped, values percent-decoded, properties dropped."""
    out: dict[str, str] = {}
    for item in value.split(","):
        key, sep, rest = item.partition("=")
        if sep:
            out[key.strip()] = unquote(rest.split(";", 1)[0].strip())
    return out
