"""HTML building blocks of the web view: escaping, pretty JSON cut to size, the page layout.

Every piece of user data reaches a page through `esc` (text and attribute values alike: it
escapes quotes too), and pages are joined strings rather than templates: a 10,000-row
waterfall must render in well under a second.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlencode

import msgspec
from aiohttp import web

__all__ = [
    "CSP",
    "CUT_BYTES",
    "SECURITY_HEADERS",
    "esc",
    "field_url",
    "fmt_ms",
    "fmt_time",
    "json_block",
    "page",
    "page_response",
    "pretty_json",
    "qs",
    "seg",
]

CUT_BYTES = 10_000
"""A JSON value longer than this is cut in the page, with a link to the whole value."""

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: under it a browser sends `Origin: null` on the page's own form posts,
    # which the CSRF origin check must refuse; same-origin still tells other sites nothing.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}

_pretty = msgspec.json.Encoder(order="sorted")
_MARKUP = re.compile(r"[&<>\"']")
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_.~-]+")


def esc(value: object) -> str:
    """Return `value` as text safe in an element's content and in a quoted attribute."""
    text = value if isinstance(value, str) else str(value)
    # Most ids and names hold nothing to escape: one regex scan instead of five replaces.
    return html.escape(text, quote=True) if _MARKUP.search(text) else text


def seg(value: str) -> str:
    """Return `value` quoted as one URL path segment (a slash or ``?`` in an id stays data)."""
    if value in (".", ".."):  # a browser would resolve it as a path step
        return value.replace(".", "%2E")
    return value if _PLAIN_SEGMENT.fullmatch(value) else quote(value, safe="")


def qs(params: dict[str, str]) -> str:
    """Return ``?a=1&b=2`` for the non-empty `params`, or an empty string."""
    kept = {key: value for key, value in params.items() if value}
    return "?" + urlencode(kept) if kept else ""


def pretty_json(value: Any) -> str:
    """Return `value` as indented JSON (keys sorted); a value JSON cannot hold as its repr."""
    try:
        return msgspec.json.format(_pretty.encode(value), indent=2).decode()
    except (TypeError, ValueError, OverflowError, RecursionError):
        return repr(value)


def field_url(event_id: str, name: str) -> str:
    """The URL of an event field's whole value, as plain text."""
    return f"/ui/events/{seg(event_id)}/field/{seg(name)}"


def json_block(value: Any, name: str, event_id: str | None, limit: int = CUT_BYTES) -> str:
    """Return a ``pre.json`` of `value`, cut at `limit` characters with a "show all" link."""
    text = pretty_json(value)
    cut = ""
    if len(text) > limit:
        whole = f"{len(text):,}"
        text = text[:limit]
        if event_id is not None:
            cut = (
                f'<p class="cut">Cut: {whole} characters in all. '
                f'<a class="show-all" href="{esc(field_url(event_id, name))}">show all</a></p>'
            )
        else:
            cut = f'<p class="cut">Cut: {whole} characters in all.</p>'
    return f'<pre class="json" data-field="{esc(name)}">{esc(text)}</pre>{cut}'


def fmt_ms(ms: float | None) -> str:
    """A duration for people: ``850 ms``, ``12.3 s``, ``4.0 min``; empty when unknown."""
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return f"{ms / 60_000:.1f} min"


def fmt_time(ms: float | None) -> str:
    """A UTC time ``2026-01-02 03:04:05`` from epoch milliseconds; empty when unknown."""
    if ms is None:
        return ""
    try:
        moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return ""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def page(title: str, body: Iterable[str], *, logout_csrf: str | None = None) -> str:
    """Return a whole page: the nav, `body` in ``main#content``, the one stylesheet and script.

    Args:
        title: The page's title (escaped here).
        body: The content, already HTML.
        logout_csrf: The signed-in user's CSRF token: the nav gets a log-out button.
    """
    logout = (
        ""
        if logout_csrf is None
        else '<form method="post" action="/ui/logout" id="logout">'
        f'<input type="hidden" name="csrf" value="{esc(logout_csrf)}">'
        '<button type="submit">Log out</button></form>'
    )
    menu = (
        '<nav id="nav"><a href="/ui" class="brand">HoneyHive local</a>'
        f'<a href="/ui">Sessions</a><a href="/ui/runs">Runs</a>{logout}</nav>'
    )
    return "".join(
        (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{esc(title)} · HoneyHive local</title>",
            '<link rel="stylesheet" href="/ui/static/ui.css">',
            # An empty icon: otherwise the browser asks the API for /favicon.ico (a 401).
            '<link rel="icon" href="data:,">',
            '<script src="/ui/static/ui.js" defer></script></head><body>',
            menu,
            '<main id="content">',
            *body,
            "</main></body></html>",
        )
    )


def page_response(text: str, status: int = 200) -> web.Response:
    """Return an HTML page (the security headers are added by the UI's middleware)."""
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
