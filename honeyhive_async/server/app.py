"""The local HoneyHive-compatible `aiohttp.web` application: middleware and route assembly.

The handlers live with their group's route table in `.routes`; they decode request bodies with
the strict request Structs of `honeyhive_async.models` (unknown fields are rejected, as
HoneyHive's v1 routes do), call the `Store`, and encode the result. Every error body is
``{"message": str, "errorCode": str}`` and every response carries an ``x-request-id`` header.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler

from ._http import FAULTS_KEY, STORE_KEY, ServerError, error_response
from .faults import FaultSwitch, fault_middleware, is_admin_path, status_code_name
from .routes import ROUTE_TABLES
from .store import Store
from .ui import install as install_ui
from .ui import ui_middleware

__all__ = [
    "FAULTS_KEY",
    "MAX_BODY_BYTES",
    "REQUESTS_KEY",
    "REQUEST_LOG_SIZE",
    "STORE_KEY",
    "RecordedRequest",
    "create_app",
]

logger = logging.getLogger(__name__)

REQUEST_LOG_SIZE = 1000
MAX_BODY_BYTES = 5 * 1024 * 1024
"""HoneyHive documents a 5 MB request limit; larger bodies get a 413."""


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: str
    """The raw query string, without ``?``."""
    headers: Mapping[str, str]
    """Case-insensitive, as received."""
    body: bytes
    peer: tuple[str, int] | None = None
    """The client's address ``(host, port)``: one per connection, so it tells connections apart."""
    open_connections: int = 0
    """How many client connections (this one included) were open as the request arrived."""

    def json(self) -> Any:
        """Return the body decoded as JSON."""
        return msgspec.json.decode(self.body)


REQUESTS_KEY: web.AppKey[deque[RecordedRequest]] = web.AppKey("requests")
_API_KEY = web.AppKey("api_key", str)
_CONNECTIONS_KEY: web.AppKey[set[asyncio.BaseTransport]] = web.AppKey("connections")


# -- middleware ----------------------------------------------------------------------------


@web.middleware
async def _envelope(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every response a request id and every error the JSON error shape."""
    try:
        response = await handler(request)
    except ServerError as exc:
        response = error_response(exc.status, exc.message, exc.code)
    except web.RequestPayloadError as exc:
        # A body aiohttp cannot read: a Content-Encoding it cannot decode (broken gzip).
        response = error_response(400, f"Request body cannot be read: {exc}", "INVALID_BODY")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        # Router 404/405 and the body-size 413 come from aiohttp as text; keep only `Allow`.
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        message = f"{exc.reason}: {request.method} {request.path}"
        response = error_response(exc.status, message, status_code_name(exc.status), allow)
    except RecursionError:
        # Only user data nests this deep (JSON a route could decode but not encode to store or
        # answer): the client's input, so a 400. Stores encode before they write, so nothing
        # was stored.
        response = error_response(400, "A value in the request nests too deeply", "INVALID_JSON")
    except Exception:
        logger.exception("unhandled error in %s %s", request.method, request.path)
        response = error_response(500, "Internal server error", "INTERNAL_SERVER_ERROR")
    response.headers["x-request-id"] = uuid.uuid4().hex
    return response


@web.middleware
async def _record(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Keep the request (body included) in the app's bounded request log."""
    if is_admin_path(request.path):
        return await handler(request)
    peer, open_connections = _connection(request)
    body = b""
    try:
        body = await request.read()
    finally:
        # Logged even when the body is refused (413), so tests can see what was attempted.
        request.app[REQUESTS_KEY].append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=request.query_string,
                headers=request.headers.copy(),
                body=body,
                peer=peer,
                open_connections=open_connections,
            )
        )
    return await handler(request)


def _connection(request: web.Request) -> tuple[tuple[str, int] | None, int]:
    """Return the request's peer address and how many connections are open now."""
    # A connection is known from its first logged request on; it counts until it closes.
    live = request.app[_CONNECTIONS_KEY]
    transport = request.transport
    if transport is not None:
        live.add(transport)
    live.difference_update([known for known in live if known.is_closing()])
    name = None if transport is None else transport.get_extra_info("peername")
    # TCP gives (host, port), or (host, port, flowinfo, scope_id) over IPv6; a Unix socket a path.
    peer = (str(name[0]), int(name[1])) if isinstance(name, tuple) and len(name) >= 2 else None
    return peer, len(live)


@web.middleware
async def _authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Require ``Authorization: Bearer <api_key>`` on every route."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = request.app[_API_KEY].encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
        raise ServerError(
            401,
            "Missing or invalid API key: send 'Authorization: Bearer <api_key>'",
            "UNAUTHORIZED",
        )
    return await handler(request)


# -- assembly ------------------------------------------------------------------------------


def create_app(*, api_key: str, db: str = ":memory:") -> web.Application:
    """Build the local HoneyHive-compatible app.

    Args:
        api_key: The bearer token every request must carry.
        db: An SQLite file path, or ``":memory:"`` for a store that lives as long as the app.

    Returns:
        The application; its store, fault switch and request log are under `STORE_KEY`,
        `FAULTS_KEY` and `REQUESTS_KEY`.
    """
    if not api_key:
        raise ValueError("api_key must be a non-empty string")
    faults = FaultSwitch()
    app = web.Application(
        middlewares=[_envelope, ui_middleware, _record, _authenticate, fault_middleware(faults)],
        client_max_size=MAX_BODY_BYTES,
    )
    app[_API_KEY] = api_key
    app[STORE_KEY] = Store(db)
    app[FAULTS_KEY] = faults
    app[REQUESTS_KEY] = deque(maxlen=REQUEST_LOG_SIZE)
    app[_CONNECTIONS_KEY] = set()
    for table in ROUTE_TABLES:
        app.router.add_routes(table)
    install_ui(app, api_key)

    async def release_faults(app: web.Application) -> None:
        app[FAULTS_KEY].stop()

    async def close_store(app: web.Application) -> None:
        app[STORE_KEY].close()

    app.on_shutdown.append(release_faults)
    app.on_cleanup.append(close_store)
    return app
