"""`LocalServer`, `create_app` and the file-backed store."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from honeyhive_async.server import LOCAL_API_KEY, LocalServer, create_app
from honeyhive_async.server.app import STORE_KEY

from .helpers import call, create_event


async def test_fixture_server_is_running_on_loopback(honeyhive_server: LocalServer) -> None:
    assert honeyhive_server.url.startswith("http://127.0.0.1:")
    assert not honeyhive_server.url.endswith("/")
    assert honeyhive_server.api_key == LOCAL_API_KEY == "local-dev-key"


async def test_url_needs_a_running_server() -> None:
    server = LocalServer()
    with pytest.raises(RuntimeError, match="start"):
        _ = server.url
    await server.close()  # closing an unstarted server releases the store
    await server.close()
    with pytest.raises(RuntimeError):
        await server.start()


async def test_custom_api_key() -> None:
    async with LocalServer(api_key="other") as server:
        headers = {"Authorization": "Bearer other"}
        async with aiohttp.ClientSession(base_url=server.url, headers=headers) as session:
            await call(session, "GET", "/_faults")


def test_create_app_requires_a_key() -> None:
    with pytest.raises(ValueError, match="api_key"):
        create_app(api_key="")


async def test_create_app_runs_under_a_plain_runner() -> None:
    app = create_app(api_key="k")
    assert isinstance(app, web.Application)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        headers = {"Authorization": "Bearer k"}
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", headers=headers) as session:
            await create_event(session)
        assert app[STORE_KEY].count() == 1
    finally:
        await runner.cleanup()


async def test_file_database_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "events.sqlite3")
    async with LocalServer(db=db) as server:
        headers = {"Authorization": f"Bearer {server.api_key}"}
        async with aiohttp.ClientSession(base_url=server.url, headers=headers) as session:
            event_id = await create_event(session, metadata={"kept": True})
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    async with LocalServer(db=db) as server:
        event = server.store.get_event(event_id)
        assert event is not None
        assert event["metadata"] == {"kept": True}
