"""The local server on a thread of its own: the official SDKs run in subprocesses, and the test
waits on them with a blocking call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from honeyhive_async.server import LocalServer
from tests.tracing.conftest import ThreadedServer


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    with ThreadedServer() as server:
        yield server
