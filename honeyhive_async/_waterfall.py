"""The waterfall layout both views draw: tree order and bars scaled to the session.

`honeyhive-async show` (`render.py`, text cells) and the web view (`server/ui/`, CSS
percentages) draw the same picture, so the order and the bar arithmetic live here once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Row", "Scale", "bar_cells", "end_ms", "tree_rows"]

_N = TypeVar("_N")


@dataclass(slots=True)  # not frozen: a frozen __init__ costs 3x, and a page makes 10,000
class Row(Generic[_N]):
    """One event of the waterfall, in drawing order."""

    node: _N
    depth: int
    """0 for the root."""
    last: bool
    """Whether it is its parent's last child (the text view draws an elbow)."""
    parent: int
    """Index of the parent's row; -1 for the root."""


def tree_rows(
    root: _N,
    children: Callable[[_N], Iterable[_N]],
    start: Callable[[_N], float | None],
) -> list[Row[_N]]:
    """Return the tree depth first, each node's children by start time (no start: first).

    Iterative, and every node is drawn once: a deep chain or a repeated node cannot
    exhaust the stack or loop.
    """
    rows: list[Row[_N]] = []
    seen: set[int] = set()
    stack: list[tuple[_N, int, bool, int]] = [(root, 0, True, -1)]
    while stack:
        node, depth, last, parent = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        index = len(rows)
        rows.append(Row(node, depth, last, parent))
        kids = sorted(children(node), key=lambda kid: start(kid) or 0.0)
        # Pushed in reverse so that the earliest child is drawn first.
        for position in range(len(kids) - 1, -1, -1):
            stack.append((kids[position], depth + 1, position == len(kids) - 1, index))
    return rows


def end_ms(start: float | None, end: float | None, duration: float | None) -> float | None:
    """The event's end: its end time, else start + duration; None while it is running."""
    if end is None and start is not None and duration is not None:
        end = start + duration
    return end


@dataclass(frozen=True, slots=True)
class Scale:
    """The session's time axis: the earliest start and the span up to the latest known time."""

    t0: float
    span: float

    @classmethod
    def of(cls, starts: Sequence[float | None], ends: Sequence[float | None]) -> Scale:
        """Scale over every known time; an empty or instant session gets a tiny span."""
        known = [t for t in (*starts, *ends) if t is not None]
        t0 = min(known) if known else 0.0
        t_last = max(known) if known else t0
        return cls(t0, max(t_last - t0, 1e-9))


def bar_cells(
    start: float | None, end: float | None, scale: Scale, width: int
) -> tuple[int, int] | None:
    """Return the bar's first cell and the cell after its last, out of `width`; None: no start.

    A bar is at least one cell wide; one with no end yet (still running) reaches the right
    edge, the latest time known anywhere in the session.
    """
    if start is None:
        return None
    a = min(round((start - scale.t0) / scale.span * width), width - 1)
    if end is None:
        return a, width
    b = min(max(round((end - scale.t0) / scale.span * width), a + 1), width)
    return a, b
