"""The web view's error pages: HTML, never the API's JSON, and never a 5xx for bad input."""

from __future__ import annotations

from aiohttp import web

from ._html import esc, page, page_response

__all__ = ["error_page", "not_found"]


def error_page(status: int, message: str, logout_csrf: str | None = None) -> web.Response:
    """Return a page saying what went wrong, with `status`."""
    body = [
        f'<h1 id="error-title">{status}</h1><p id="error-message">{esc(message)}</p>'
        '<p><a href="/ui">Back to the sessions</a></p>'
    ]
    return page_response(page(f"Error {status}", body, logout_csrf=logout_csrf), status)


def not_found(message: str, logout_csrf: str | None = None) -> web.Response:
    """Return the 404 page."""
    return error_page(404, message, logout_csrf)
