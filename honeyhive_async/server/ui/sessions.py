"""The sessions pages: the filtered list, a session's waterfall, an event's panel and fields."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ...models import parse_timestamp_ms
from .._http import STORE_KEY
from ..filters import as_number
from ._auth import require_session
from ._html import esc, fmt_ms, fmt_time, page, page_response, pretty_json, qs, seg
from ._panel import EMPTY_PANEL, FIELDS, event_panel
from ._queries import SessionFilters, session_lines, session_page, session_stats
from ._tree import session_rows, waterfall_html
from .errors import not_found

__all__ = ["PAGE_SIZE", "event_field", "event_fragment", "parse_filters", "session", "sessions"]

PAGE_SIZE = 50
_MAX_PAGE = 1_000_000


def _time_bound(raw: str) -> float | None:
    try:
        return parse_timestamp_ms(raw.strip()) if raw.strip() else None
    except (TypeError, ValueError, OverflowError):
        return None


def parse_filters(query: Any) -> tuple[SessionFilters, dict[str, str], list[str]]:
    """Return the list's filters from the URL query, the values to echo, and the problems."""
    raw = {name: str(query.get(name, ""))[:500] for name in _FILTER_NAMES}
    problems: list[str] = []
    key, _, value = raw["user_property"].partition("=")
    if raw["user_property"] and not key.strip():
        problems.append("user property must be key=value")
    error = {"yes": True, "no": False}.get(raw["error"])
    if raw["error"] and error is None:
        problems.append("error must be yes or no")
    since, until = _time_bound(raw["since"]), _time_bound(raw["until"])
    for name, bound in (("since", since), ("until", until)):
        if raw[name].strip() and bound is None:
            problems.append(f"{name} must be an ISO date or time (2026-01-31 or 2026-01-31T12:00)")
    filters = SessionFilters(
        name=raw["name"].strip(),
        source=raw["source"].strip(),
        user_key=key.strip(),
        user_value=value.strip(),
        error=error,
        since_ms=since,
        until_ms=until,
    )
    return filters, raw, problems


_FILTER_NAMES = ("name", "source", "user_property", "error", "since", "until")


def _page_number(query: Any) -> int:
    try:
        number = int(str(query.get("page", "1")))
    except ValueError:
        return 1
    return min(max(number, 1), _MAX_PAGE)


def _filter_form(raw: dict[str, str]) -> str:
    def field(name: str, label: str, hint: str) -> str:
        return (
            f'<label>{label} <input name="{name}" value="{esc(raw[name])}"'
            f' placeholder="{esc(hint)}"></label>'
        )

    options = "".join(
        f'<option value="{value}"{" selected" if raw["error"] == value else ""}>{text}</option>'
        for value, text in (("", "any"), ("yes", "with errors"), ("no", "without errors"))
    )
    return (
        '<form id="filters" method="get" action="/ui">'
        f"{field('name', 'Name', 'part of the name')}"
        f"{field('source', 'Source', 'production')}"
        f"{field('user_property', 'User property', 'user=alice')}"
        f'<label>Errors <select name="error">{options}</select></label>'
        f"{field('since', 'Since', '2026-01-31')}"
        f"{field('until', 'Until', '2026-02-01T12:00')}"
        '<button type="submit">Filter</button> <a href="/ui" class="reset">clear</a></form>'
    )


def _session_row(event: dict[str, Any], stats: Any) -> str:
    session_id = str(event["event_id"])
    start = as_number(event.get("start_time"))
    took = as_number(event.get("duration"))
    if took is None and stats is not None and stats.last_ms is not None and start is not None:
        took = as_number(stats.last_ms)
        took = None if took is None else max(took - start, 0.0)
    count = stats.events if stats else 0
    errors = stats.errors if stats else 0
    error_cell = (
        f'<td class="errors has-errors">{errors}</td>' if errors else '<td class="errors">0</td>'
    )
    return (
        f'<tr class="session-row" data-session-id="{esc(session_id)}">'
        f'<td><a class="session-link" href="/ui/sessions/{esc(seg(session_id))}">'
        f"{esc(event.get('event_name') or '(unnamed)')}</a></td>"
        f"<td>{esc(event.get('source') or '')}</td>"
        f"<td>{esc(fmt_time(start))}</td><td>{esc(fmt_ms(took))}</td>"
        f"<td>{count}</td>{error_cell}</tr>"
    )


async def sessions(request: web.Request) -> web.Response:
    """``GET /ui``: sessions newest first, filtered by the URL's query, one page."""
    csrf = require_session(request)
    store = request.app[STORE_KEY]
    filters, raw, problems = parse_filters(request.query)
    number = _page_number(request.query)
    body = ["<h1>Sessions</h1>", _filter_form(raw)]
    if problems:
        body.append('<ul id="filter-errors" class="error">')
        body.extend(f"<li>{esc(problem)}</li>" for problem in problems)
        body.append("</ul>")
        found: list[dict[str, Any]] = []
        more = False
    else:
        found, more = session_page(store, filters, PAGE_SIZE, (number - 1) * PAGE_SIZE)
    stats = session_stats(store, [str(event["event_id"]) for event in found])
    if found:
        body.append(
            '<table id="sessions"><thead><tr><th>Name</th><th>Source</th><th>Start (UTC)</th>'
            "<th>Duration</th><th>Events</th><th>Errors</th></tr></thead><tbody>"
        )
        body.extend(_session_row(event, stats.get(str(event["event_id"]))) for event in found)
        body.append("</tbody></table>")
    else:
        body.append('<p id="empty">No sessions match.</p>')
    links = []
    if number > 1:
        link = esc("/ui" + qs({**raw, "page": str(number - 1)}))
        links.append(f'<a id="prev-page" href="{link}">← newer</a>')
    if more:
        link = esc("/ui" + qs({**raw, "page": str(number + 1)}))
        links.append(f'<a id="next-page" href="{link}">older →</a>')
    body.append(f'<p class="paging">Page {number} {" ".join(links)}</p>')
    return page_response(page("Sessions", body, logout_csrf=csrf))


def _session_id(request: web.Request) -> str:
    return request.match_info["session_id"]


async def session(request: web.Request) -> web.Response:
    """``GET /ui/sessions/{session_id}``: the waterfall; ``?event=ID`` opens that event."""
    csrf = require_session(request)
    store = request.app[STORE_KEY]
    session_id = _session_id(request)
    root = store.get_session(session_id)
    if root is None:
        return not_found(f"No session {session_id!r}.", csrf)
    rows = session_rows(session_lines(store, session_id), session_id)
    selected = request.query.get("event")
    chosen = store.get_event(selected) if selected else None
    if chosen is not None and chosen.get("session_id") != session_id:
        chosen = None
    start = as_number(root.get("start_time"))
    errors = sum(1 for row in rows if row.node.error)
    marked = f' · <span class="has-errors">{errors} with errors</span>' if errors else ""
    summary = (
        f'<p class="summary">{len(rows) - 1} events · started {esc(fmt_time(start))} UTC'
        f" · source {esc(root.get('source') or '?')}{marked}</p>"
    )
    body = [
        f'<h1 id="session-name">{esc(root.get("event_name") or "(unnamed)")}</h1>',
        summary,
        '<div class="split">',
        waterfall_html(rows, session_id, selected),
        event_panel(chosen) if chosen is not None else EMPTY_PANEL,
        "</div>",
    ]
    title = f"Session {root.get('event_name') or session_id}"
    return page_response(page(title, body, logout_csrf=csrf))


async def event_fragment(request: web.Request) -> web.Response:
    """``GET /ui/sessions/{session_id}/events/{event_id}``: the panel alone, for ``ui.js``."""
    require_session(request)
    event = request.app[STORE_KEY].get_event(request.match_info["event_id"])
    if event is None or event.get("session_id") != _session_id(request):
        return page_response('<p class="error">No such event in this session.</p>', 404)
    return page_response(event_panel(event))


async def event_field(request: web.Request) -> web.Response:
    """``GET /ui/events/{event_id}/field/{name}``: one field's whole JSON, as plain text."""
    csrf = require_session(request)
    name = request.match_info["name"]
    event = request.app[STORE_KEY].get_event(request.match_info["event_id"])
    if event is None or name not in FIELDS:
        return not_found("No such event field.", csrf)
    return web.Response(text=pretty_json(event.get(name)), content_type="text/plain")
