"""Signing in to the web view: the key form, the session cookie, CSRF checks, signing out.

The form posts the server's API key once; the browser then holds ``hh_ui``, a random token
the server keeps (never the key), HttpOnly and SameSite=Strict on ``/ui`` only, so it opens
the UI's pages and no API route. A post must carry the CSRF token of the form (an HMAC, under
a per-server secret, of a nonce cookie or of the session token) and, when the browser names
one, come from the server's own origin: a page elsewhere cannot sign in or out for the user.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp import web

from ._html import esc, page, page_response, qs

__all__ = [
    "AUTH_KEY",
    "SESSION_COOKIE",
    "UiAuth",
    "login",
    "login_once",
    "login_page",
    "logout",
    "require_session",
    "safe_next",
]

SESSION_COOKIE = "hh_ui"
_NONCE_COOKIE = "hh_csrf"
_COOKIE_PATH = "/ui"
_MAX_SESSIONS = 1000
"""Signed-in browsers kept; past this the oldest is signed out (a local tool, few users)."""
ONCE_TTL_S = 60.0
"""How long a one-time sign-in link (`UiAuth.mint_once`) stays valid."""


@dataclass
class UiAuth:
    """The key the form checks, the server's CSRF secret, and the signed-in session tokens."""

    api_key: str
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    sessions: dict[str, None] = field(default_factory=dict)
    """Insertion-ordered, so the oldest goes first when there are too many."""
    once: dict[str, float] = field(default_factory=dict)
    """One-time sign-in tokens and when each expires (`clock` time)."""
    clock: Callable[[], float] = time.monotonic

    def csrf(self, binding: str) -> str:
        """The CSRF token for a form bound to `binding` (a nonce or a session token)."""
        return hmac.new(self.secret, binding.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, binding: str | None, token: str) -> bool:
        """Whether `token` is the CSRF token for `binding`."""
        return binding is not None and hmac.compare_digest(self.csrf(binding), token)

    def key_ok(self, candidate: str) -> bool:
        """Whether `candidate` is the server's API key (compared in constant time)."""
        return hmac.compare_digest(candidate.encode(), self.api_key.encode())

    def mint_once(self) -> str:
        """Return a sign-in token good for one use within `ONCE_TTL_S` (not the key)."""
        now = self.clock()
        for stale in [token for token, expiry in self.once.items() if expiry <= now]:
            del self.once[stale]
        token = secrets.token_urlsafe(32)
        self.once[token] = now + ONCE_TTL_S
        return token

    def redeem_once(self, token: str) -> bool:
        """Use up a one-time token; whether it was valid (known, unused, not expired)."""
        expiry = self.once.pop(token, None)
        return expiry is not None and self.clock() < expiry

    def open_session(self) -> str:
        """Return a new session token, now valid."""
        token = secrets.token_urlsafe(32)
        self.sessions[token] = None
        while len(self.sessions) > _MAX_SESSIONS:
            del self.sessions[next(iter(self.sessions))]
        return token


AUTH_KEY = web.AppKey("ui_auth", UiAuth)


def _auth(request: web.Request) -> UiAuth:
    return request.app[AUTH_KEY]


def require_session(request: web.Request) -> str:
    """Return the signed-in browser's CSRF token (for its forms), or redirect to the login form.

    The redirect names the page asked for (a path of this server, never the key).
    """
    token = request.cookies.get(SESSION_COOKIE)
    if token is not None and token in _auth(request).sessions:
        return _auth(request).csrf(token)
    raise web.HTTPSeeOther("/ui/login" + qs({"next": safe_next(request.path_qs)}))


def safe_next(value: str | None) -> str:
    """Return `value` when it is a path of the web view, else ``/ui``: no open redirect."""
    if not value or any(ch in value for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in value):
        return "/ui"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("//"):
        return "/ui"
    if parts.path != "/ui" and not parts.path.startswith("/ui/"):
        return "/ui"
    if parts.path.startswith(("/ui/login", "/ui/logout")):
        return "/ui"
    return value


def _own_origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def same_origin(request: web.Request) -> bool:
    """Whether the post comes from this server's pages (a missing Origin and Referer pass)."""
    own = _own_origin(request)
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == own
    referer = request.headers.get("Referer")
    if referer is not None:
        return referer == own or referer.startswith(own + "/")
    return True


def _set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        path=_COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=request.secure or None,
    )


def _login_form(request: web.Request, nonce: str, next_url: str, error: str | None) -> str:
    message = "" if error is None else f'<p id="login-error" class="error">{esc(error)}</p>'
    form = (
        '<h1>Sign in</h1><p class="hint">Enter the API key the server was started with '
        "(<code>honeyhive-async serve --api-key</code>, or <code>HH_API_KEY</code>).</p>"
        f"{message}"
        '<form id="login" method="post" action="/ui/login">'
        f'<input type="hidden" name="csrf" value="{esc(_auth(request).csrf(nonce))}">'
        f'<input type="hidden" name="next" value="{esc(next_url)}">'
        '<label>API key <input type="password" name="api_key" autocomplete="current-password"'
        " autofocus required></label>"
        '<button type="submit">Sign in</button></form>'
    )
    return page("Sign in", [form])


def _form_page(request: web.Request, next_url: str, error: str | None, status: int) -> web.Response:
    nonce = request.cookies.get(_NONCE_COOKIE)
    if not nonce or len(nonce) > 100:
        nonce = secrets.token_urlsafe(16)
    response = page_response(_login_form(request, nonce, next_url, error), status)
    _set_cookie(request, response, _NONCE_COOKIE, nonce)
    return response


async def login_page(request: web.Request) -> web.Response:
    """``GET /ui/login``: the key form (a nonce cookie binds its CSRF token)."""
    return _form_page(request, safe_next(request.query.get("next")), None, 200)


async def login(request: web.Request) -> web.Response:
    """``POST /ui/login``: check origin, CSRF token and key; set the session cookie."""
    form = await request.post()
    next_url = safe_next(str(form.get("next") or ""))
    csrf = str(form.get("csrf") or "")
    if not same_origin(request) or not _auth(request).csrf_ok(
        request.cookies.get(_NONCE_COOKIE), csrf
    ):
        return _form_page(request, next_url, "The form expired or came from another site.", 403)
    if not _auth(request).key_ok(str(form.get("api_key") or "")):
        return _form_page(request, next_url, "That is not this server's API key.", 401)
    response = web.HTTPSeeOther(next_url)
    _set_cookie(request, response, SESSION_COOKIE, _auth(request).open_session())
    response.del_cookie(_NONCE_COOKIE, path=_COOKIE_PATH)
    raise response


async def login_once(request: web.Request) -> web.Response:
    """``GET /ui/login/once?token=&next=``: a one-time link (`demo --open`) signs the browser in.

    A used, expired or unknown token gets the ordinary form. The token is random and single
    use, so a page elsewhere cannot sign the user in with it.
    """
    next_url = safe_next(request.query.get("next"))
    token = request.query.get("token", "")
    if not _auth(request).redeem_once(token):
        return _form_page(request, next_url, "That sign-in link was used or has expired.", 200)
    response = web.HTTPSeeOther(next_url)
    _set_cookie(request, response, SESSION_COOKIE, _auth(request).open_session())
    raise response


async def logout(request: web.Request) -> web.Response:
    """``POST /ui/logout``: forget the session (CSRF-checked) and show the form."""
    token = request.cookies.get(SESSION_COOKIE)
    form = await request.post()
    csrf = str(form.get("csrf") or "")
    auth = _auth(request)
    if token is None or not same_origin(request) or not auth.csrf_ok(token, csrf):
        raise web.HTTPForbidden(text="Sign-out refused: the form came from another site.")
    auth.sessions.pop(token, None)
    response = web.HTTPSeeOther("/ui/login")
    response.del_cookie(SESSION_COOKIE, path=_COOKIE_PATH)
    raise response
