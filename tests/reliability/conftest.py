"""Fixtures for the reliability tests of issue 14: the local server on a thread of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from honeyhive_async.server import LocalServer
from tests.integration.conftest import scripted
from tests.tracing.conftest import ThreadedServer

__all__ = ["scripted", "threaded_server"]


@pytest.fixture
def threaded_server() -> Iterator[LocalServer]:
    """The local server on its own thread and loop, for tests that run no event loop."""
    with ThreadedServer() as server:
        yield server
