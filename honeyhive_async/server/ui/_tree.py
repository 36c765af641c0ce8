"""The session waterfall as HTML rows: tree order, depth, bars, colour per event type.

The layout is `honeyhive_async._waterfall`'s, the one `honeyhive-async show` draws; here
bars are percentages, written as CSS classes (``l37 w5``: left 37 %, width 5 %) because the
page's CSP forbids ``style`` attributes. One f-string per row: 10,000 rows in milliseconds.
"""

from __future__ import annotations

from ..._waterfall import Row, Scale, bar_cells, end_ms, tree_rows
from ..filters import as_number
from ._html import esc, fmt_ms, seg
from ._queries import Line

__all__ = ["BAR_CELLS", "MAX_DEPTH_CLASS", "TYPES", "session_rows", "waterfall_html"]

BAR_CELLS = 100
"""Bars are placed in whole percent."""
MAX_DEPTH_CLASS = 24
"""Deeper rows are indented as this depth (they keep their true `data-depth`)."""
TYPES = ("session", "model", "tool", "chain")
"""Event types with their own colour; any other is drawn as ``type-other``."""


def session_rows(events: list[Line], session_id: str) -> list[Row[Line]]:
    """Return the session's events in waterfall order (the session first).

    An event whose parent is not in the session, is itself, or lies on a parent cycle hangs
    off the session event, as in the API's tree: nothing stored is hidden.
    """
    by_id = {event.event_id: event for event in events}
    root = by_id.get(session_id)
    if root is None:
        return []
    children: dict[str, list[Line]] = {}
    for event in events:
        if event is root:
            continue
        parent = event.parent_id
        if not isinstance(parent, str) or parent not in by_id or parent == event.event_id:
            parent = session_id
        children.setdefault(parent, []).append(event)
    empty: list[Line] = []

    def kids(event: Line) -> list[Line]:
        return children.get(event.event_id, empty)

    rows = tree_rows(root, kids, _start)
    if len(rows) < len(by_id):  # a parent cycle nobody reaches: hang it off the session
        drawn = {id(row.node) for row in rows}
        children.setdefault(session_id, []).extend(e for e in events if id(e) not in drawn)
        rows = tree_rows(root, kids, _start)
    return rows


def _start(event: Line) -> float | None:
    return as_number(event.start_time)


def _type_class(event_type: object) -> str:
    return event_type if isinstance(event_type, str) and event_type in TYPES else "other"


def waterfall_html(rows: list[Row[Line]], session_id: str, selected: str | None) -> str:
    """Return ``div#waterfall``: one ``div.event-row`` per row, each a link to its panel."""
    starts = [_start(row.node) for row in rows]
    ends = [
        end_ms(start, as_number(row.node.end_time), as_number(row.node.duration))
        for row, start in zip(rows, starts, strict=True)
    ]
    scale = Scale.of(starts, ends)
    base = f"/ui/sessions/{seg(session_id)}?event="
    out = [f'<div id="waterfall" role="list" data-session-id="{esc(session_id)}">']
    append = out.append
    for row, start, end in zip(rows, starts, ends, strict=True):
        event = row.node
        event_id = event.event_id
        event_type = event.event_type
        cells = bar_cells(start, end, scale, BAR_CELLS)
        if cells is None:
            bar = '<span class="bar none"></span>'
        else:
            left, right = cells
            running = " running" if end is None else ""
            bar = f'<span class="bar l{left} w{right - left}{running}"></span>'
        took = "running" if end is None else fmt_ms(end - start) if start is not None else ""
        classes = f"event-row type-{_type_class(event_type)}"
        if event.error:
            classes += " error"
        if event_id == selected:
            classes += " selected"
        quoted = esc(event_id)
        append(
            f'<div class="{classes}" role="listitem" data-event-id="{quoted}"'
            f' data-event-type="{esc(event_type or "")}" data-depth="{row.depth}">'
            f'<a class="event-link d{min(row.depth, MAX_DEPTH_CLASS)}"'
            f' href="{base}{esc(seg(event_id))}">'
            f'<span class="kind">{esc(event_type or "?")}</span> '
            f'<span class="name">{esc(event.event_name or "(unnamed)")}</span></a>'
            f'<span class="track">{bar}</span><span class="took">{took}</span></div>'
        )
    append("</div>")
    return "".join(out)
