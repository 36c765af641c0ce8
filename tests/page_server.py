"""A search route on its own thread that marks each page's request once it has fully arrived.

Tests of fetching ahead block the event loop (as a long split or a synchronous reader does)
and wait on `arrived[n]`: a request that really left arrives while the loop is blocked; one
still queued behind the blocked loop cannot, and the wait ends on its timeout.
"""

from __future__ import annotations

import http.server
import threading
from types import TracebackType
from typing import Any

import msgspec

__all__ = ["PageServer"]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept alive, as aiohttp's pool expects
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        page = msgspec.json.decode(body)["page"]
        self.server.arrived[page].set()
        reply = self.server.pages[page - 1]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, pages: list[bytes]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages = pages
        self.arrived = {page: threading.Event() for page in range(1, len(pages) + 1)}


class PageServer:
    """Answers ``POST /v1/events/search`` page n (the body's ``page``) with ``pages[n - 1]``."""

    def __init__(self, pages: list[bytes]) -> None:
        self._server = _Server(pages)
        self.arrived = self._server.arrived
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> PageServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
