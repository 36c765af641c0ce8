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


def render_waterfall(tree: SessionTree, *, unicode: bool = True) -> str:
    """Return the tree as text: one line per event with its duration and a time bar."""
    rows = _rows(tree, "", True, True, unicode)
    starts = [n.start_time_ms for _, n in rows if n.start_time_ms is not None]
    ends = [n.end_time_ms for _, n in rows if n.end_time_ms is not None]
    t0 = min(starts) if starts else 0.0
    span = max((max(ends) if ends else t0) - t0, 1e-9)
    width = max(len(text) for text, _ in rows) + 2
    full, empty = ("█", "·") if unicode else ("#", ".")
    lines = []
    for text, node in rows:
        start, end = node.start_time_ms, node.end_time_ms
        if start is not None and end is not None:
            a = min(round((start - t0) / span * _BAR_WIDTH), _BAR_WIDTH - 1)
            b = min(max(round((end - t0) / span * _BAR_WIDTH), a + 1), _BAR_WIDTH)
            bar = empty * a + full * (b - a) + empty * (_BAR_WIDTH - b)
        else:
            bar = " " * _BAR_WIDTH
        duration = f"{node.duration:9.1f} ms" if node.duration is not None else " " * 12
        error = f"  ERROR {node.error}" if node.error else ""
        lines.append(f"{text:<{width}}[{bar}]{duration}{error}")
    return "\n".join(lines)
