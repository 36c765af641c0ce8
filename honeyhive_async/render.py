"""Printing a session tree as an indented waterfall, for `honeyhive-async demo` and `show`."""

from __future__ import annotations

from ._waterfall import Scale, bar_cells, end_ms, tree_rows
from .models import SessionTree

__all__ = ["render_waterfall"]

_BAR_WIDTH = 32


def _label(node: SessionTree) -> str:
    return f"{node.event_type or '?'} {node.event_name or '(unnamed)'}"


def _rows(node: SessionTree, unicode: bool) -> list[tuple[str, SessionTree]]:
    tee, elbow, pipe = ("├─ ", "└─ ", "│  ") if unicode else ("|- ", "`- ", "|  ")
    rows = tree_rows(node, lambda n: n.children, lambda n: n.start_time_ms)
    # The prefix each row's children continue: the root's children start at the margin.
    child_prefix: list[str] = []
    lines = []
    for row in rows:
        if row.parent < 0:
            head, own = "", ""
        else:
            base = child_prefix[row.parent]
            head = base + (elbow if row.last else tee)
            own = base + ("   " if row.last else pipe)
        child_prefix.append(own)
        lines.append((head + _label(row.node), row.node))
    return lines


def render_waterfall(tree: SessionTree, *, unicode: bool = True) -> str:
    """Return the tree as text: one line per event with its duration and a time bar.

    An event with no end yet (a session still open, a span not exported) is drawn up to the
    latest time known anywhere in the tree and marked ``running``: the server cannot know
    more, and reading the clock here would squash every bar of an abandoned session.
    """
    rows = _rows(tree, unicode)
    starts = [node.start_time_ms for _, node in rows]
    ends = [
        end_ms(start, node.end_time_ms, node.duration)
        for (_, node), start in zip(rows, starts, strict=True)
    ]
    scale = Scale.of(starts, ends)
    width = max(len(text) for text, _ in rows) + 2
    full, empty = ("█", "·") if unicode else ("#", ".")
    lines = []
    for (text, node), start, end in zip(rows, starts, ends, strict=True):
        cells = bar_cells(start, end, scale, _BAR_WIDTH)
        if cells is not None:
            a, b = cells
            bar = empty * a + full * (b - a) + empty * (_BAR_WIDTH - b)
        else:
            bar = " " * _BAR_WIDTH
        if end is None:
            duration = f"{'running':>12}"
        elif node.duration is not None:
            duration = f"{node.duration:9.1f} ms"
        else:
            duration = f"{end - start:9.1f} ms" if start is not None and end is not None else ""
        error = f"  ERROR {node.error}" if node.error else ""
        lines.append(f"{text:<{width}}[{bar}]{duration:<12}{error}".rstrip())
    return "\n".join(lines)
