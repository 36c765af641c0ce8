from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import aiohttp
import pytest

from honeyhive_async import (
    APIConnectionError,
    AsyncHoneyHive,
    AuthenticationError,
    ClientClosedError,
    HoneyHiveError,
    MissingAPIKeyError,
)
from honeyhive_async.server import LOCAL_API_KEY, LocalServer
from honeyhive_async.tracing import Tracer
from tests.integration.conftest import closed_port

SECRET = "hh_supersecretkey_0123456789"
T = TypeVar("T")
OTHER_LOOP = "bound to the event loop it first ran in"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HH_API_KEY", "HONEYHIVE_API_KEY", "HH_API_URL"):
        monkeypatch.delenv(name, raising=False)


async def test_key_and_url_fall_back_to_the_environment(
    monkeypatch: pytest.MonkeyPatch, honeyhive_server: LocalServer
) -> None:
    server = honeyhive_server

    async def key_sent(client: AsyncHoneyHive) -> str:
        async with client:
            with contextlib.suppress(AuthenticationError):  # the server knows one key only
                await client.events.search(limit=1)
        return server.requests[-1].headers["Authorization"]

    monkeypatch.setenv("HONEYHIVE_API_KEY", "second")
    monkeypatch.setenv("HH_API_URL", server.url + "/")
    client = AsyncHoneyHive()
    assert client.base_url == server.url
    assert await key_sent(client) == "Bearer second"
    monkeypatch.setenv("HH_API_KEY", "first")
    assert await key_sent(AsyncHoneyHive()) == "Bearer first"
    assert await key_sent(AsyncHoneyHive("explicit")) == "Bearer explicit"
    assert len(server.requests) == 3


async def test_a_tracer_built_before_the_key_is_set_exports_with_the_key_set_later(
    monkeypatch: pytest.MonkeyPatch, honeyhive_server: LocalServer
) -> None:
    # A module-level tracer is often built before the app loads its environment (a .env
    # file read in main()); its exporter builds its client at the first export.
    monkeypatch.setenv("HH_API_URL", honeyhive_server.url)
    tracer = Tracer(flush_interval=0.05, flush_at_exit=False, set_default=False)
    monkeypatch.setenv("HH_API_KEY", honeyhive_server.api_key)
    with tracer.session("key set late"):
        pass

    report = await tracer.aclose(timeout=5)

    assert report.dropped == {}
    assert report.sent >= 1
    assert honeyhive_server.requests[-1].headers["Authorization"] == (
        f"Bearer {honeyhive_server.api_key}"
    )


def test_default_base_url_is_the_spec_server() -> None:
    assert AsyncHoneyHive("k").base_url == "https://api.honeyhive.ai"


def test_repr_never_shows_the_key() -> None:
    client = AsyncHoneyHive(SECRET)
    assert SECRET not in repr(client)
    assert SECRET not in repr(client._transport)
    assert SECRET not in repr(client.with_options(timeout=3))


def test_missing_key_is_reported_at_the_first_request_naming_both_variables() -> None:
    client = AsyncHoneyHive(base_url="http://127.0.0.1:9")  # built fine without a key

    async def call() -> None:
        try:
            await client.session.get("s1")
        finally:
            await client.aclose()

    with pytest.raises(MissingAPIKeyError, match=r"HH_API_KEY.*HONEYHIVE_API_KEY"):
        asyncio.run(call())


def test_client_can_be_built_outside_a_running_loop_and_used_inside_one() -> None:
    port = closed_port()
    client = AsyncHoneyHive(LOCAL_API_KEY, base_url=f"http://127.0.0.1:{port}")

    async def use() -> list[str]:
        async with LocalServer(port=port) as server, client:
            first = await client.session.start(session_name="built before the loop")
            again = await client.session.get(first.event_id)
            return [first.event_id, again.event_id, str(server.store.count(first.event_id))]

    ids = asyncio.run(use())
    assert ids[0] == ids[1]
    assert ids[2] == "1"
    assert client.is_closed


def test_a_second_loop_on_the_same_thread_is_refused_before_any_io() -> None:
    # A closed port: binding needs no server, and the refusal must come before any I/O.
    client = AsyncHoneyHive(LOCAL_API_KEY, base_url=f"http://127.0.0.1:{closed_port()}")
    client = client.with_options(max_retries=0)
    first = asyncio.new_event_loop()
    try:
        for _ in range(2):  # the second call takes the path of a bound client
            with pytest.raises(APIConnectionError):
                first.run_until_complete(client.session.get("s1"))
        with pytest.raises(HoneyHiveError, match=OTHER_LOOP):
            asyncio.run(client.session.get("s1"))
        with pytest.raises(APIConnectionError):  # its own loop may still use it
            first.run_until_complete(client.session.get("s1"))
    finally:
        first.run_until_complete(client.aclose())
        first.close()


def test_a_second_loop_is_refused_while_the_clients_loop_runs_on_another_thread() -> None:
    client = AsyncHoneyHive(LOCAL_API_KEY, base_url=f"http://127.0.0.1:{closed_port()}")
    client = client.with_options(max_retries=0)
    owner = asyncio.new_event_loop()
    thread = threading.Thread(target=owner.run_forever, daemon=True)
    thread.start()

    def in_owner(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, owner).result()

    try:
        for _ in range(2):
            with pytest.raises(APIConnectionError):
                in_owner(client.session.get("s1"))
        with pytest.raises(HoneyHiveError, match=OTHER_LOOP):
            asyncio.run(client.session.get("s1"))
        with pytest.raises(APIConnectionError):
            in_owner(client.session.get("s1"))
    finally:
        in_owner(client.aclose())
        owner.call_soon_threadsafe(owner.stop)
        thread.join()
        owner.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_url": "api.honeyhive.ai"}, "base_url"),
        ({"max_retries": -1}, "max_retries"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_bad_settings_are_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AsyncHoneyHive("k", **kwargs)  # type: ignore[arg-type]


async def test_with_options_shares_the_pool_and_binds_its_own_resources() -> None:
    client = AsyncHoneyHive("k", base_url="http://127.0.0.1:9", timeout=30, max_retries=2)
    view = client.with_options(timeout=aiohttp.ClientTimeout(total=5, connect=1), max_retries=0)
    # That the view's groups use the view's settings, and the pool is one, is shown on the
    # wire: tests/integration/test_with_options.py and test_pool.py.
    try:
        assert type(view) is AsyncHoneyHive
        assert view.base_url == client.base_url
        assert view.timeout.total == 5
        assert view.timeout.connect == 1
        assert view.max_retries == 0
        assert client.timeout.total == 30
        assert client.max_retries == 2
        assert view.session is not client.session
        assert view.events is not client.events
        assert view.with_options(max_retries=1).timeout.total == 5
    finally:
        await client.aclose()
    assert view.is_closed


async def test_use_after_close_is_refused() -> None:
    client = AsyncHoneyHive("k", base_url="http://127.0.0.1:9")
    await client.aclose()
    with pytest.raises(ClientClosedError):
        await client.session.get("s1")
    with pytest.raises(ClientClosedError):
        await client.with_options(max_retries=0).events.get("e1")


async def test_user_agent_names_the_package_and_version() -> None:
    from honeyhive_async import __version__
    from honeyhive_async._transport import user_agent

    assert user_agent().startswith(f"honeyhive-async/{__version__} ")


def test_max_response_bytes_is_an_option_of_the_client_its_views_and_its_copies() -> None:
    client = AsyncHoneyHive("k", base_url="http://127.0.0.1:9", max_response_bytes=1024)
    assert client.max_response_bytes == 1024
    assert client.with_options(max_response_bytes=10).max_response_bytes == 10
    assert client.with_options(timeout=3).max_response_bytes == 1024
    assert client._copy_with_own_pool().max_response_bytes == 1024
    assert AsyncHoneyHive("k").max_response_bytes == 256 * 1024 * 1024


@pytest.mark.parametrize("value", [0, -1, True])
def test_max_response_bytes_must_be_a_positive_int(value: int) -> None:
    with pytest.raises(ValueError, match="max_response_bytes"):
        AsyncHoneyHive("k", max_response_bytes=value)
    with pytest.raises(ValueError, match="max_response_bytes"):
        AsyncHoneyHive("k").with_options(max_response_bytes=value)
