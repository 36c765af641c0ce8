"""Letting the app's threads have the GIL while the exporter thread works (`checkpoint`, `new_loop`).

CPython hands the GIL to a waiting thread only when the holder blocks or after the switch
interval (5 ms): a release as short as ``time.sleep(0)`` is taken back before the waiter has
woken. The exporter thread works in bursts (a backlog of spans to encode, a chunk taken, its
sessions read, 32 session requests made in one round of its loop) that kept the app's event
loop waiting the whole 5 ms (loop lag p99 > 5 ms in benchmarks/capacity.py). So it sleeps
briefly once it has worked a millisecond or so (`Turn`) without a wait: its loop's selector checks
between rounds (`HandoffSelector`), its code at `checkpoint` inside long rounds.
"""

from __future__ import annotations

import asyncio
import selectors
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = [
    "BUSY_BUDGET",
    "HANDOFF",
    "HandoffSelector",
    "Turn",
    "checker",
    "checkpoint",
    "hand_off",
    "new_loop",
]

HANDOFF = 0.0001
"""Seconds the thread sleeps to hand the GIL over: long enough for a waiting thread to wake."""

BUSY_BUDGET = 0.001
"""Seconds the exporter thread works without a wait before it hands the GIL over."""

MAX_BUDGET = 0.002
"""The longest budget, once hand-offs went untaken or the app computes without pause. 4 ms
(just below the 5 ms switch interval) left the app's loop lag p99 at 7.5 ms while exporting to
the null sink (3-5 ms before hand-offs); 2 ms gave 4 ms there at the same events/s, and
p99 4.1-5.7 ms (from 5.2-8.2) at 5,000 spans/s with 20 % faults (benchmarks export and
capacity, A/B interleaved on the shared 2-core machine)."""

TAKEN = 3 * HANDOFF
"""A hand-off that lasted this long was taken: the GIL came back once the taker let go."""


def hand_off() -> None:
    """Let a thread waiting for the GIL (the app's loop) take it."""
    time.sleep(HANDOFF)


class Turn:
    """How long a thread has held the GIL since it last let go; hands off past its budget.

    The budget is `BUSY_BUDGET` while other threads take the hand-offs for a moment (an event
    loop's round), and doubles (up to `MAX_BUDGET`) after each one nobody took: sleeping for
    nothing (the app idle, awaiting a flush) each millisecond would cost the exporter a tenth
    of its throughput. A hand-off taken for a whole switch interval went to a thread that
    computes without pause: it gains nothing from more, and the exporter's share of the GIL
    would fall from a half to a sixth (its queue filling): the budget is `MAX_BUDGET` then.

    Args:
        clock: Read to measure the turn.
        pause: Lets go of the GIL.
    """

    __slots__ = ("_clock", "_pause", "_saturated", "budget", "since")

    def __init__(
        self, clock: Callable[[], float] = time.perf_counter, pause: Callable[[], None] = hand_off
    ) -> None:
        self._clock = clock
        self._pause = pause
        self.since = clock()
        self.budget = BUSY_BUDGET
        self._saturated = 0.8 * sys.getswitchinterval()

    def check(self) -> None:
        """Hand the GIL over if the thread has worked its budget since it last let go."""
        now = self._clock()
        if now - self.since >= self.budget:
            self._pause()
            self.since = after = self._clock()
            took = after - now
            if took < TAKEN:
                self.budget = min(2 * self.budget, MAX_BUDGET)
            else:
                self.budget = MAX_BUDGET if took >= self._saturated else BUSY_BUDGET


_state = threading.local()


def checkpoint() -> None:
    """Hand the GIL over if this exporter thread has worked long enough; elsewhere nothing."""
    turn: Turn | None = getattr(_state, "turn", None)
    if turn is not None:
        turn.check()


def _nothing() -> None:
    pass


def checker() -> Callable[[], None]:
    """`checkpoint` for a loop that calls it per item: this thread's check, looked up once."""
    turn: Turn | None = getattr(_state, "turn", None)
    return _nothing if turn is None else turn.check


class HandoffSelector(selectors.DefaultSelector):
    """The exporter loop's selector: hands the GIL over between rounds once busy too long.

    The loop asks it once per round of ready callbacks; a select that waited counts as a
    hand-off. Made on the thread it serves: `checkpoint` there shares its `Turn`.

    Args:
        turn: The thread's turn (a test's clock and pause).
    """

    def __init__(self, turn: Turn | None = None) -> None:
        super().__init__()
        self.turn = _state.turn = turn or Turn()

    def select(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        turn = self.turn
        turn.check()
        start = turn._clock()
        ready: list[tuple[Any, int]] = super().select(timeout)
        end = turn._clock()
        if end - start >= HANDOFF:  # it waited: another thread could take the GIL meanwhile
            turn.since = end
        return ready


def new_loop() -> asyncio.AbstractEventLoop:
    """A loop for this (exporter) thread that hands off (`HandoffSelector`).

    A loop of the app's own policy (uvloop) or platform (Windows' proactor) is kept as it is.
    """
    if sys.platform != "win32" and type(asyncio.get_event_loop_policy()) is (
        asyncio.DefaultEventLoopPolicy
    ):
        return asyncio.SelectorEventLoop(HandoffSelector())
    return asyncio.new_event_loop()
