"""The web view at ``/ui``: server-rendered pages over the server's `Store`, behind a key form.

`install` adds the routes and the state; `ui_middleware` answers every ``/ui`` request itself
(HTML errors, the security headers) and keeps the API's bearer check, request log and faults
out of the way: the UI signs in with a cookie that opens no API route.
"""

from __future__ import annotations

import logging
from importlib import resources

from aiohttp import web
from aiohttp.typedefs import Handler

from . import _auth, _html, datasets, errors, runs, sessions

__all__ = [
    "ROUTES",
    "datasets",
    "errors",
    "install",
    "is_ui_path",
    "runs",
    "sessions",
    "sign_in_link",
    "ui_middleware",
]

logger = logging.getLogger(__name__)

_STATIC_TYPES = {"ui.css": "text/css", "ui.js": "text/javascript"}
_STATIC = {
    name: (resources.files(__package__) / "static" / name).read_bytes() for name in _STATIC_TYPES
}


def is_ui_path(path: str) -> bool:
    """Whether `path` belongs to the web view."""
    return path == "/ui" or path.startswith("/ui/")


async def _static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in _STATIC:
        raise web.HTTPNotFound()
    return web.Response(body=_STATIC[name], content_type=_STATIC_TYPES[name], charset="utf-8")


async def _slash(_request: web.Request) -> web.Response:
    raise web.HTTPPermanentRedirect("/ui")


async def _unknown(_request: web.Request) -> web.Response:
    raise web.HTTPNotFound()


ROUTES = [
    web.get("/ui", sessions.sessions),
    web.get("/ui/", _slash),
    web.get("/ui/login", _auth.login_page),
    web.get("/ui/login/once", _auth.login_once),
    web.post("/ui/login", _auth.login),
    web.post("/ui/logout", _auth.logout),
    web.get("/ui/static/{name}", _static),
    web.get("/ui/sessions/{session_id}", sessions.session),
    web.get("/ui/sessions/{session_id}/events/{event_id}", sessions.event_fragment),
    web.get("/ui/events/{event_id}/field/{name}", sessions.event_field),
    web.get("/ui/runs", runs.runs),
    web.get("/ui/runs/{run_id}", runs.run),
    web.get("/ui/runs/{run_id}/compare", runs.compare_redirect),
    web.get("/ui/runs/{new_run_id}/compare/{old_run_id}", runs.compare),
    web.get("/ui/datasets/{dataset_id}", datasets.dataset),
    web.get("/ui/{tail:.*}", _unknown),
]


def _secure(response: web.StreamResponse) -> web.StreamResponse:
    for name, value in _html.SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@web.middleware
async def ui_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer a ``/ui`` request with its own handler (not the API's middlewares), HTML errors."""
    if not is_ui_path(request.path):
        return await handler(request)
    try:
        # The route's own handler: the API's auth, request log and faults stay for the API.
        return _secure(await request.match_info.handler(request))
    except web.HTTPException as exc:
        if exc.status < 400:
            _secure(exc)
            raise
        return _secure(errors.error_page(exc.status, exc.reason))
    except Exception:
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return _secure(errors.error_page(500, "The page could not be rendered."))


def sign_in_link(app: web.Application, next_url: str = "/ui") -> str:
    """Return a path that signs a browser in once, within a minute, then shows `next_url`.

    For a command that starts the server and opens the browser itself (``demo --open``): the
    link holds a single-use token, never the key.
    """
    token = app[_auth.AUTH_KEY].mint_once()
    return "/ui/login/once" + _html.qs({"token": token, "next": _auth.safe_next(next_url)})


def install(app: web.Application, api_key: str) -> None:
    """Add the web view's routes to `app`, signing in with `api_key`."""
    app[_auth.AUTH_KEY] = _auth.UiAuth(api_key)
    app.router.add_routes(ROUTES)
