"""Authentication headers, the 401 error, and that the key never leaks into errors or logs."""

from __future__ import annotations

import logging
import re
import secrets

import pytest

from honeyhive_async import (
    APIStatusError,
    AsyncHoneyHive,
    AuthenticationError,
    InternalServerError,
    __version__,
)
from honeyhive_async.server import LocalServer
from tests.integration.conftest import FAST_RETRY, ClientFactory, sent


def _secret() -> str:
    return "hh_" + secrets.token_hex(16)


def _leaks(secret: str, *texts: object) -> list[str]:
    return [str(text) for text in texts if secret in str(text)]


async def test_every_request_carries_the_bearer_key_and_the_user_agent(
    server: LocalServer, client: AsyncHoneyHive
) -> None:
    session = await client.session.start(session_name="auth")
    await client.session.get(session.event_id)
    await client.events.search(limit=1)

    assert len(server.requests) == 3
    for request in server.requests:
        assert request.headers["Authorization"] == f"Bearer {server.api_key}"
        assert request.headers["User-Agent"].startswith(f"honeyhive-async/{__version__} ")
        assert request.headers["Accept"] == "application/json"


async def test_a_wrong_key_raises_authentication_error_without_retrying(
    server: LocalServer, make_client: ClientFactory, session_id: str
) -> None:
    wrong = _secret()
    client = make_client(api_key=wrong, max_retries=3)

    with pytest.raises(AuthenticationError) as caught:
        await client.session.get(session_id)

    exc = caught.value
    assert exc.status == 401
    assert exc.error_code == "UNAUTHORIZED"
    assert exc.request_id is not None
    assert re.fullmatch(r"[0-9a-f]{32}", exc.request_id)
    assert exc.request_id in str(exc)
    assert exc.method == "GET"
    assert exc.path == f"/session/{session_id}"
    assert len(sent(server, "GET", f"/session/{session_id}")) == 1
    # The server did see the wrong key: it is the client's job not to repeat it anywhere.
    assert server.requests[-1].headers["Authorization"] == f"Bearer {wrong}"
    assert not _leaks(wrong, str(exc), repr(exc), exc.args, exc.body, repr(client))


async def test_the_key_never_reaches_errors_reprs_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = _secret()
    caplog.set_level(logging.DEBUG)
    async with LocalServer(api_key=key) as server:
        server.faults.fail_next(2, 503, retry_after=FAST_RETRY)
        async with AsyncHoneyHive(key, base_url=server.url, max_retries=1) as client:
            with pytest.raises(InternalServerError) as retried:
                await client.session.get("some-session")
            async with AsyncHoneyHive(
                key + "-wrong", base_url=server.url, max_retries=1
            ) as wrong_client:
                with pytest.raises(AuthenticationError) as unauthorized:
                    await wrong_client.events.get("some-event")
                reprs = [repr(client), repr(wrong_client), repr(client.with_options(timeout=1))]
                reprs += [repr(client._transport), repr(wrong_client._transport)]
        assert len(server.requests) == 3

    # The retry was logged, so the capture did see the client's records.
    assert any("retrying after" in record.getMessage() for record in caplog.records)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = [formatter.format(record) for record in caplog.records]
    logged += [repr(record.args) for record in caplog.records]
    errors: list[APIStatusError] = [retried.value, unauthorized.value]
    texts: list[object] = [*logged, *reprs, caplog.text]
    for exc in errors:
        texts += [str(exc), repr(exc), exc.args, exc.body, exc.__cause__, exc.__context__]
    assert not _leaks(key, *texts)
