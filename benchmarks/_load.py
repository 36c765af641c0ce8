"""The load generator of the service case: ``python -m benchmarks._load PORT PID CONNECTIONS WARMUP DURATION``.

A process of its own, so its CPU is not the service's: `CONNECTIONS` keep-alive connections
(raw asyncio protocols, one ``POST /chat`` in flight each, request bytes built once, a minimal
response parser), a warm-up, then a window of `DURATION` seconds in which the answered requests
and the service's CPU seconds (process `PID`, read from ``/proc``) are counted. Far cheaper per
request than the aiohttp service it loads, so the service is the limit. Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import sys
import time
from typing import Any

from .servers import proc_cpu_seconds

_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


def request_bytes(port: int, question: str) -> bytes:
    body = json.dumps({"question": question}).encode()
    head = (
        f"POST /chat HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class _Conn(asyncio.Protocol):
    """One keep-alive connection with one request in flight; counts the answered requests."""

    def __init__(self, request: bytes, tally: dict[str, int]) -> None:
        self.request = request
        self.tally = tally
        self.buffer = b""
        self.need = -1
        self.transport: asyncio.Transport | None = None
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.need < 0:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                length = _LENGTH.search(self.buffer, 0, end)
                self.ok = self.buffer.startswith(b"HTTP/1.1 200")
                self.need = end + 4 + (int(length.group(1)) if length else 0)
            if len(self.buffer) < self.need:
                return
            self.buffer, self.need = self.buffer[self.need :], -1
            self.tally["ok" if self.ok else "errors"] += 1
            assert self.transport is not None
            self.transport.write(self.request)

    def connection_lost(self, _exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)


async def load(
    port: int, connections: int, warmup: float, duration: float, pid: int
) -> dict[str, Any]:
    """Keep `connections` requests in flight; count those answered in a `duration` s window."""
    loop = asyncio.get_running_loop()
    tally = {"ok": 0, "errors": 0}
    conns = []
    for i in range(connections):
        request = request_bytes(port, f"question {i} about document {i % 5}")
        _, conn = await loop.create_connection(
            functools.partial(_Conn, request, tally), "127.0.0.1", port
        )
        conns.append(conn)
    await asyncio.sleep(warmup)
    ok0, err0, cpu0, t0 = tally["ok"], tally["errors"], proc_cpu_seconds(pid), time.perf_counter()
    await asyncio.sleep(duration)
    ok1, err1, cpu1, t1 = tally["ok"], tally["errors"], proc_cpu_seconds(pid), time.perf_counter()
    for conn in conns:
        assert conn.transport is not None
        conn.transport.close()
    await asyncio.gather(*(c.lost for c in conns))
    return {
        "requests": ok1 - ok0,
        "errors": err1 - err0,
        "seconds": t1 - t0,
        "service_cpu_s": cpu1 - cpu0,
        "all_requests": tally["ok"] + tally["errors"],
    }


if __name__ == "__main__":
    port, pid, connections = map(int, sys.argv[1:4])
    warmup, duration = map(float, sys.argv[4:6])
    print(json.dumps(asyncio.run(load(port, connections, warmup, duration, pid))), flush=True)
