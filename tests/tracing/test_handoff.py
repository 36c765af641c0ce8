"""The exporter thread hands the GIL over after a stretch of work (`_handoff`)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator

from honeyhive_async.tracing._handoff import (
    BUSY_BUDGET,
    MAX_BUDGET,
    TAKEN,
    HandoffSelector,
    Turn,
    new_loop,
)


class _Script:
    """A clock that reads the given times in turn."""

    def __init__(self, *times: float) -> None:
        self._times: Iterator[float] = iter(times)

    def __call__(self) -> float:
        return next(self._times)


class _Clock:
    """A clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_untaken_hand_offs_stretch_the_budget_and_a_taken_one_resets_it() -> None:
    clock = _Clock()
    taken_for = [0.0]  # how long the next hand-off lasts
    pauses: list[float] = []

    def pause() -> None:
        pauses.append(clock.now)
        clock.now += taken_for[0]

    turn = Turn(clock, pause)
    budgets = []
    for _ in range(4):  # nobody takes these: each sleep was for nothing
        clock.now += turn.budget * 1.01  # just past it (float sums fall short)
        turn.check()
        budgets.append(turn.budget)
    assert len(pauses) == 4
    assert (
        budgets
        == [min(2 * BUSY_BUDGET, MAX_BUDGET), min(4 * BUSY_BUDGET, MAX_BUDGET)] + [MAX_BUDGET] * 2
    )
    assert BUSY_BUDGET < MAX_BUDGET  # the budget does stretch
    clock.now += MAX_BUDGET / 2
    turn.check()  # within the budget: no hand-off
    assert len(pauses) == 4
    taken_for[0] = TAKEN * 1.01  # the app held the GIL until it let go (float sums fall short)
    clock.now += MAX_BUDGET
    turn.check()
    assert len(pauses) == 5
    assert turn.budget == BUSY_BUDGET


def test_a_hand_off_taken_for_a_whole_switch_interval_stretches_the_budget() -> None:
    clock = _Clock()

    def pause() -> None:  # a thread that computes took the GIL until made to let go
        clock.now += sys.getswitchinterval()

    turn = Turn(clock, pause)
    clock.now += BUSY_BUDGET
    turn.check()
    assert turn.budget == MAX_BUDGET


def _selector(*times: float) -> tuple[HandoffSelector, list[None]]:
    """A selector whose clock reads `times` (its turn's start, then three reads a select)."""
    pauses: list[None] = []
    return HandoffSelector(Turn(_Script(*times), lambda: pauses.append(None))), pauses


def test_a_loop_busy_past_its_budget_hands_off_before_its_next_round() -> None:
    b = BUSY_BUDGET
    # Made at 0; a round at 0.4 budgets (no wait in it), then one at 1.2 budgets.
    selector, pauses = _selector(0.0, 0.4 * b, 0.4 * b, 0.4 * b, 1.2 * b, 5.0, 5.0, 5.0)
    with selector:
        selector.select(0)
        assert pauses == []
        selector.select(0)
        assert pauses == [None]


def test_a_select_that_waited_counts_as_a_hand_off() -> None:
    b = BUSY_BUDGET
    # The first select waits (from 0.1 to 3 budgets); the next round, at 3.5, is not busy.
    selector, pauses = _selector(0.0, 0.1 * b, 0.1 * b, 3 * b, 3.5 * b, 3.5 * b, 3.5 * b)
    with selector:
        selector.select(0)
        selector.select(0)
    assert pauses == []


def test_a_select_that_did_not_wait_keeps_the_loop_busy() -> None:
    b = BUSY_BUDGET
    # The same rounds, but the first select returned at once: at 3.5 the loop hands off.
    selector, pauses = _selector(0.0, 0.1 * b, 0.1 * b, 0.1 * b, 3.5 * b, 9.0, 9.0, 9.0)
    with selector:
        selector.select(0)
        selector.select(0)
    assert pauses == [None]


def test_the_exporter_loop_hands_off_under_the_default_policy() -> None:
    loop = new_loop()
    try:
        assert isinstance(loop, asyncio.SelectorEventLoop)
        assert isinstance(loop._selector, HandoffSelector)  # type: ignore[attr-defined]
        assert loop.run_until_complete(asyncio.sleep(0, "ran")) == "ran"
    finally:
        loop.close()


class _OwnPolicy(asyncio.DefaultEventLoopPolicy):
    """An app's own policy (as uvloop installs one)."""


def test_an_apps_own_loop_policy_is_kept() -> None:
    made: list[asyncio.AbstractEventLoop] = []

    class Policy(_OwnPolicy):
        def new_event_loop(self) -> asyncio.AbstractEventLoop:
            made.append(super().new_event_loop())
            return made[-1]

    asyncio.set_event_loop_policy(Policy())
    try:
        loop = new_loop()
        loop.close()
    finally:
        asyncio.set_event_loop_policy(None)
    assert made == [loop]
