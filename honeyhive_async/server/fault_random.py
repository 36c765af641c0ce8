"""Random faults: a seeded share of the matching requests fail, each with a kind the seed picks.

Benchmarks and soak runs turn it on with `FaultSwitch.randomize` (in process) or
``POST /_faults/random`` (from outside). Armed faults (`FaultSwitch.fail_next`, ...) still come
first; a request none of them takes is then failed at random.
"""

from __future__ import annotations

import fnmatch
import random
from collections import Counter
from dataclasses import dataclass, field

import msgspec

__all__ = ["FAULT_KINDS", "RANDOM_STATUS", "RandomFaultRequest", "RandomFaults", "batch_size"]

FAULT_KINDS = ("500", "503", "429", "drop", "partial")
"""What a random fault does: ``500`` and ``503`` answer that status with ``Retry-After: 0``;
``429`` answers it without any Retry-After (the client's own backoff applies); ``drop`` closes
the connection before the request is handled; ``partial`` stores a random head of a
``POST /v1/events/batch`` and answers the spec's 500 "partially created" (on any other request,
where a partial result means nothing, it is a ``500``)."""


RANDOM_STATUS: dict[str, tuple[int, str | None]] = {
    "500": (500, "0"),
    "503": (503, "0"),
    "429": (429, None),
}
"""The status and `Retry-After` of each status kind. 500 and 503 say "retry now", so that a
soak spends its time on the faults rather than on waits; 429 leaves the wait to the client."""


class _BatchEvents(msgspec.Struct):
    events: list[msgspec.Raw] = msgspec.field(default_factory=list)


_batch_decoder = msgspec.json.Decoder(_BatchEvents)


def batch_size(body: bytes) -> int:
    """Return how many events a batch body holds (0 if it is not a batch)."""
    try:
        return len(_batch_decoder.decode(body).events)
    except msgspec.DecodeError:
        return 0


class RandomFaultRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /_faults/random``: the arguments of `FaultSwitch.randomize`."""

    rate: float
    seed: int = 0
    kinds: list[str] = msgspec.field(default_factory=lambda: list(FAULT_KINDS))
    method: str | None = None
    path: str | None = None


@dataclass(slots=True)
class RandomFaults:
    """A seeded plan that fails a share of the requests it matches.

    Attributes:
        rate: The share of matching requests that fail (0 to 1).
        seed: The seed of the generator that decides which requests fail, and how.
        kinds: The kinds to choose from (see `FAULT_KINDS`), equally likely.
        method: Match only this HTTP method (None: any).
        path: Match only this path; shell wildcards allowed (None: any).
        seen: How many matching requests reached the plan.
        applied: How many requests each kind was applied to.
    """

    rate: float
    seed: int = 0
    kinds: tuple[str, ...] = FAULT_KINDS
    method: str | None = None
    path: str | None = None
    seen: int = 0
    applied: Counter[str] = field(default_factory=Counter)
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if not self.kinds:
            raise ValueError("kinds must name at least one kind")
        unknown = [kind for kind in self.kinds if kind not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {list(FAULT_KINDS)}")
        self.kinds = tuple(self.kinds)
        self._rng = random.Random(self.seed)

    def matches(self, method: str, path: str) -> bool:
        """Return whether the plan applies to a request with this method and path."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)

    def pick(self, method: str, path: str, *, batch: bool) -> str | None:
        """Decide the fate of one request: the kind of fault to apply, or None to serve it.

        Args:
            method: The request method.
            path: The request path.
            batch: Whether the request is an event batch (where a partial result exists).
        """
        if not self.matches(method, path):
            return None
        self.seen += 1
        # Two draws per request whatever the outcome, so that one seed gives one sequence.
        fails = self._rng.random() < self.rate
        kind = self._rng.choice(self.kinds)
        if not fails:
            return None
        if kind == "partial" and not batch:
            kind = "500"
        self.applied[kind] += 1
        return kind

    def head(self, size: int) -> int:
        """Return how many of a partial batch's `size` events to store: fewer than all."""
        return self._rng.randrange(size) if size > 0 else 0

    def state(self) -> dict[str, object]:
        """The plan and its counts, as the admin route answers them."""
        return {
            "rate": self.rate,
            "seed": self.seed,
            "kinds": list(self.kinds),
            "method": self.method,
            "path": self.path,
            "seen": self.seen,
            "applied": dict(self.applied),
        }
