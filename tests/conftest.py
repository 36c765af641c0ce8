"""Shared fixtures: a mocked API (aioresponses) and the local HoneyHive-compatible server."""

from __future__ import annotations

import inspect
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aioresponses.core
import pytest
from aiohttp import ClientResponse

from honeyhive_async import AsyncHoneyHive

pytest_plugins = ["honeyhive_async.testing"]

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"
MOCK_URL = "https://api.test"
MOCK_KEY = "hh_test_key_not_secret"


def _needs_stream_writer_shim() -> bool:
    """aioresponses 0.7.9 builds ClientResponse without the `stream_writer` aiohttp 3.14 needs.

    Once aioresponses passes it itself (aioresponses PR #288), the shim turns itself off.
    """
    params = inspect.signature(ClientResponse.__init__).parameters
    if "stream_writer" not in params:
        return False
    source = inspect.getsource(aioresponses.core.RequestMatch._build_response)
    return "stream_writer" not in source


class _CompatClientResponse(ClientResponse):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # aiohttp only reads `output_size` from the writer of a finished request.
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(*args, **kwargs)


@pytest.fixture
def mock_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[aioresponses.aioresponses]:
    """aioresponses, working on the newest aiohttp; real sockets stay unused."""
    if _needs_stream_writer_shim():
        monkeypatch.setattr(aioresponses.core, "ClientResponse", _CompatClientResponse)
    with aioresponses.aioresponses() as mocked:
        yield mocked


@pytest.fixture
async def mock_client(mock_api: aioresponses.aioresponses) -> AsyncIterator[AsyncHoneyHive]:
    async with AsyncHoneyHive(api_key=MOCK_KEY, base_url=MOCK_URL, max_retries=0) as client:
        yield client


@pytest.fixture
def documented_session_bytes() -> bytes:
    return (FIXTURES / "documented_session.json").read_bytes()


@pytest.fixture
def default_recursion_limit() -> Iterator[None]:
    """Decoding depth follows the recursion limit; some tools (mypy, in test_typing) raise it."""
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(saved)
