"""A pytest plugin that runs the local HoneyHive-compatible server for your tests.

Install it with ``pip install 'honeyhive-async[testing]'`` (pytest and pytest-asyncio), enable
it in a test module or your top-level ``conftest.py``::

    pytest_plugins = ["honeyhive_async.testing"]

and ask for the fixture::

    async def test_traces(honeyhive_server):
        async with AsyncHoneyHive(honeyhive_server.api_key, base_url=honeyhive_server.url) as client:
            ...
        assert honeyhive_server.store.count() == 3

An ``async def`` test that takes ``honeyhive_server`` runs on asyncio without any pytest-asyncio
configuration (the plugin marks it ``asyncio``); other async tests follow your own settings.

Only this module imports pytest; the package does not import it.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator

try:
    import pytest
    import pytest_asyncio
except ImportError as exc:  # name the extra rather than leave a bare "No module named ..."
    raise ImportError(
        f"honeyhive_async.testing needs pytest and pytest-asyncio ({exc.name} is missing): "
        "pip install 'honeyhive-async[testing]'",
        name=exc.name,
    ) from exc

from .server import LocalServer

__all__ = ["honeyhive_server"]

_FIXTURE = "honeyhive_server"


@pytest_asyncio.fixture
async def honeyhive_server() -> AsyncIterator[LocalServer]:
    """Yield a started `LocalServer` on 127.0.0.1 with an in-memory store; close it afterwards."""
    async with LocalServer() as server:
        yield server


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Mark ``async def`` tests that take `honeyhive_server` as asyncio tests.

    In pytest-asyncio's default strict mode an unmarked coroutine test is not run at all, so
    the documented example would fail in a project without ``asyncio_mode = auto``. The mark
    goes on the function before pytest builds the test item (that is when pytest-asyncio
    looks for it); returning None lets pytest collect the function as usual. A test already
    marked, or in a module or class marked ``asyncio`` (say with a ``loop_scope``), keeps
    its own mark.
    """
    del name  # part of the hook's signature; marking a helper that is not a test is harmless
    if not inspect.iscoroutinefunction(obj):
        return
    try:
        takes_server = _FIXTURE in inspect.signature(obj).parameters
    except (TypeError, ValueError):  # no signature to read: leave the function alone
        return
    if not takes_server or collector.get_closest_marker("asyncio") is not None:
        return
    marks = getattr(obj, "pytestmark", [])
    marks = marks if isinstance(marks, list) else [marks]
    if not any(getattr(mark, "name", None) == "asyncio" for mark in marks):
        pytest.mark.asyncio(obj)
