"""Printing a session tree as an indented waterfall, for `honeyhive-async demo` and `show`."""

from __future__ import annotations

from .models import SessionTree

__all__ = ["render_waterfall"]

_BAR_WIDTH = 32


def _label(node: SessionTree) -> str:
    return f"{node.event_type or '?'} {node.event_name or '(unnamed)'}"


def _rows(
    node: SessionTree, prefix: str, last: bool, root: bool, unicode: bool
) -> list[tuple[str, SessionTree]]:
    tee, elbow, pipe = ("├─ ", "└─ ", "│  ") if unicode else ("|- ", "`- ", "|  ")
    head = "" if root else prefix + (elbow if last else tee)
    rows = [(head + _label(node), node)]
    child_prefix = "" if root else prefix + ("   " if last else pipe)
    children = sorted(node.children, key=lambda c: c.start_time_ms or 0.0)
    for i, child in enumerate(children):
        rows.extend(_rows(child, child_prefix, i == len(children) - 1, False, unicode))
    return rows


def _end_ms(node: SessionTree, start: float | None) -> float | None:
    """The event's end: its end time, else start + duration; None while it is running."""
    end = node.end_time_ms
    if end is None and start is not None and node.duration is not None:
        end = start + node.duration
    return end


def render_waterfall(tree: SessionTree, *, unicode: bool = True) -> str:
    """Return the tree as text: one line per event with its duration and a time bar.

    An event with no end yet (a session still open, a span not exported) is drawn up to the
    latest time known anywhere in the tree and marked ``running``: the server cannot know
    more, and reading the clock here would squash every bar of an abandoned session.
    """
    rows = _rows(tree, "", True, True, unicode)
    starts = [node.start_time_ms for _, node in rows]
    ends = [_end_ms(node, start) for (_, node), start in zip(rows, starts, strict=True)]
    known = [t for t in (*starts, *ends) if t is not None]
    t0 = min(known) if known else 0.0
    t_last = max(known) if known else t0
    span = max(t_last - t0, 1e-9)
    width = max(len(text) for text, _ in rows) + 2
    full, empty = ("█", "·") if unicode else ("#", ".")
    lines = []
    for (text, node), start, end in zip(rows, starts, ends, strict=True):
        if start is not None:
            a = min(round((start - t0) / span * _BAR_WIDTH), _BAR_WIDTH - 1)
            if end is None:  # still running: up to the right edge, the latest known time
                b = _BAR_WIDTH
            else:
                b = min(max(round((end - t0) / span * _BAR_WIDTH), a + 1), _BAR_WIDTH)
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
