"""The accept log: which event ids each request the server accepted has stored.

A soak run checks with it that no event was stored twice: an event re-sent after the server
had already stored it shows up in two accepted requests, even though the store's upsert keeps
one row. It is off until `FaultSwitch.log_accepted` (or ``POST /_faults/accepted``) turns it on.
"""

from __future__ import annotations

import fnmatch

import msgspec

__all__ = ["CREATING_PATHS", "AcceptLog"]

CREATING_PATHS = ("/v1/events/batch", "/v1/events", "/v1/sessions")
"""The ``POST`` routes that create events and name them in their reply (`event_ids` or
`event_id`); a session start's `event_id` is the session's."""

_SHOWN = 20
"""How many ids stored more than once the admin route lists."""


class _Reply(msgspec.Struct):
    """The part of a creating route's reply that names what it stored."""

    event_ids: list[str] | None = None
    event_id: str | None = None


_reply_decoder = msgspec.json.Decoder(_Reply)


class AcceptLog:
    """Counts, per event id, the accepted requests that stored it.

    Attributes:
        requests: How many creating requests were answered with what they stored.
        stored: How many event ids those answers named, repeats included.
    """

    def __init__(self) -> None:
        """Start empty."""
        self.requests = 0
        self.stored = 0
        self._ids: set[str] = set()
        self._repeated: dict[str, int] = {}

    @staticmethod
    def logs(method: str, path: str) -> bool:
        """Return whether a request with this method and path creates events (is logged)."""
        return method.upper() == "POST" and any(
            fnmatch.fnmatchcase(path, pattern) for pattern in CREATING_PATHS
        )

    def record_reply(self, status: int, body: bytes) -> None:
        """Log what one creating request's reply says it stored (a 200, or a partial 500)."""
        if status not in (200, 500):
            return
        try:
            reply = _reply_decoder.decode(body)
        except msgspec.DecodeError:
            return
        ids = reply.event_ids if reply.event_ids is not None else []
        if reply.event_ids is None and reply.event_id is not None and status == 200:
            ids = [reply.event_id]
        if ids:
            self.record(ids)

    def record(self, event_ids: list[str]) -> None:
        """Log one accepted request that stored these events."""
        self.requests += 1
        self.stored += len(event_ids)
        seen = self._ids
        for event_id in event_ids:
            if event_id in seen:
                self._repeated[event_id] = self._repeated.get(event_id, 1) + 1
            else:
                seen.add(event_id)

    @property
    def distinct(self) -> int:
        """How many different event ids were stored."""
        return len(self._ids)

    @property
    def stored_twice(self) -> dict[str, int]:
        """The event ids more than one accepted request stored, with how many did."""
        return dict(self._repeated)

    def state(self) -> dict[str, object]:
        """The counts, as the admin route answers them (a few repeated ids as examples)."""
        repeated = list(self._repeated.items())[:_SHOWN]
        return {
            "requests": self.requests,
            "stored": self.stored,
            "distinct": self.distinct,
            "stored_twice": len(self._repeated),
            "examples": dict(repeated),
        }
