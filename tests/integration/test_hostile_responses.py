"""Responses a proxy or a broken server may send: an echoed key, bodies too deep or too large."""

from __future__ import annotations

import gzip
import tracemalloc

import msgspec
import pytest

from honeyhive_async import (
    APIResponseDecodeError,
    APIResponseTooLargeError,
    APIStatusError,
    AsyncHoneyHive,
    BadRequestError,
    InternalServerError,
    PartialBatchError,
)
from honeyhive_async.errors import ERROR_BODY_LIMIT
from honeyhive_async.server import LocalServer
from tests.integration.conftest import ClientFactory, Scripted, ScriptedServer, sent

pytestmark = pytest.mark.usefixtures("default_recursion_limit")

MiB = 1024 * 1024


def _texts(exc: BaseException) -> list[str]:
    """Every text of an error a user or a log may see."""
    out = [str(exc), repr(exc), repr(exc.args)]
    for name in ("message", "body", "server_message", "request_id", "reason"):
        out.append(repr(getattr(exc, name, None)))
    return out


# -- the client's own key, echoed back -----------------------------------------------------


def _echo_bodies(key: str) -> list[bytes]:
    escaped = "".join(f"\\u{ord(c):04x}" for c in key)
    return [
        # A proxy echoing the request headers in its JSON error.
        msgspec.json.encode(
            {
                "message": f"rejected Authorization: Bearer {key}",
                "errorCode": "BAD",
                "echo": {"headers": {"Authorization": f"Bearer {key}"}},
            }
        ),
        # The same with the key hidden behind JSON escapes.
        b'{"message": "rejected Bearer ' + escaped.encode() + b'"}',
        # Plain text.
        f"<html>bad header: Authorization: Bearer {key}</html>".encode(),
    ]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["json", "json-escaped", "text"])
async def test_an_error_body_that_echoes_the_key_is_scrubbed(
    server: LocalServer, make_client: ClientFactory, session_id: str, index: int
) -> None:
    key = server.api_key
    server.faults.fail_next(1, 400, body=_echo_bodies(key)[index])
    client = make_client(max_retries=0)

    with pytest.raises(BadRequestError) as caught:
        await client.session.get(session_id)

    texts = _texts(caught.value)
    assert not [t for t in texts if key in t]
    assert "[REDACTED]" in str(caught.value.body)
    if index == 0:
        assert caught.value.server_message == "rejected Authorization: Bearer [REDACTED]"
        assert "Bearer [REDACTED]" in str(caught.value)


async def test_a_2xx_body_that_echoes_the_key_and_does_not_decode_is_scrubbed(
    server: LocalServer, make_client: ClientFactory, session_id: str
) -> None:
    key = server.api_key
    server.faults.fail_next(1, 200, body=f'{{"event_id": "Bearer {key}", "start'.encode())
    client = make_client(max_retries=0)

    with pytest.raises(APIResponseDecodeError) as caught:
        await client.session.get(session_id)

    assert not [t for t in _texts(caught.value) if key in t]
    assert b"Bearer [REDACTED]" in caught.value.body


async def test_a_request_id_header_that_echoes_the_key_is_scrubbed(
    scripted: ScriptedServer, make_scripted_client: ClientFactory
) -> None:
    scripted.then(Scripted(404, {"x-request-id": "Bearer scripted-key"}))
    client = make_scripted_client(max_retries=0)

    with pytest.raises(APIStatusError) as caught:
        await client.session.get("s1")

    assert caught.value.request_id == "Bearer [REDACTED]"
    assert not [t for t in _texts(caught.value) if "scripted-key" in t]


# -- bodies nested too deeply for the decoder ------------------------------------------------


def _deep_tree(levels: int) -> bytes:
    return b'{"event_id": "n", "children": [' * levels + b'{"event_id": "leaf"}' + b"]}" * levels


def _deep_field(levels: int) -> bytes:
    return b'{"event_id": "e", "inputs": {"x": ' + b"[" * levels + b"]" * levels + b"}}"


async def test_a_session_tree_too_deep_to_decode_is_a_decode_error(
    server: LocalServer, client: AsyncHoneyHive
) -> None:
    path = "/v1/sessions/s1"
    server.faults.fail_next(1, 200, body=_deep_tree(600), path=path)

    with pytest.raises(APIResponseDecodeError) as caught:
        await client.session.get_tree("s1")

    assert f"GET {path}" in str(caught.value)
    assert "nested too deeply" in caught.value.reason
    assert len(sent(server, "GET", path)) == 1


async def test_a_free_form_field_too_deep_to_decode_is_a_decode_error(
    server: LocalServer, client: AsyncHoneyHive
) -> None:
    server.faults.fail_next(1, 200, body=_deep_field(5000), path="/session/s1")

    with pytest.raises(APIResponseDecodeError, match="GET /session/s1"):
        await client.session.get("s1")


async def test_an_error_body_too_deep_to_decode_is_kept_as_text(
    server: LocalServer, make_client: ClientFactory
) -> None:
    server.faults.fail_next(1, 400, body=_deep_field(5000))
    client = make_client(max_retries=0)

    with pytest.raises(BadRequestError) as caught:
        await client.session.get("s1")

    assert isinstance(caught.value.body, str)
    assert caught.value.body.startswith('{"event_id": "e"')


# -- response size ---------------------------------------------------------------------------


def _event_body(size: int) -> bytes:
    """A valid session event padded with whitespace to exactly `size` bytes."""
    body = b'{"event_id": "s1"}'
    return body[:-1] + b" " * (size - len(body)) + b"}"


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
async def test_a_body_of_exactly_the_cap_is_accepted(
    scripted: ScriptedServer, make_scripted_client: ClientFactory, compressed: bool
) -> None:
    body = _event_body(MiB)
    headers = {"Content-Encoding": "gzip"} if compressed else {}
    scripted.then(Scripted(200, headers, gzip.compress(body) if compressed else body))
    client = make_scripted_client(max_response_bytes=MiB)

    assert (await client.session.get("s1")).event_id == "s1"


async def test_an_announced_body_over_the_cap_is_refused_unread(
    scripted: ScriptedServer, make_scripted_client: ClientFactory
) -> None:
    scripted.then(Scripted(200, body=_event_body(MiB + 1)))
    client = make_scripted_client(max_response_bytes=MiB, max_retries=2)

    with pytest.raises(APIResponseTooLargeError) as caught:
        await client.session.get("s1")

    exc = caught.value
    assert isinstance(exc, APIResponseDecodeError)
    assert (exc.method, exc.path, exc.status, exc.limit, exc.body_size) == (
        "GET",
        "/session/s1",
        200,
        MiB,
        MiB + 1,
    )
    assert f"max_response_bytes={MiB}" in str(exc)
    assert "GET /session/s1" in str(exc)
    # The same request would bring the same body: not retried.
    assert scripted.seen == [("GET", "/session/s1")]


async def test_a_gzip_bomb_is_stopped_at_the_cap_without_inflating_it(
    scripted: ScriptedServer, make_scripted_client: ClientFactory
) -> None:
    # ~64 KB on the wire, 64 MiB inflated; the cap is 1 MiB.
    bomb = gzip.compress(_event_body(64 * MiB), compresslevel=9)
    scripted.then(Scripted(200, {"Content-Encoding": "gzip"}, bomb))
    client = make_scripted_client(max_response_bytes=MiB)

    tracemalloc.start()
    try:
        with pytest.raises(APIResponseTooLargeError) as caught:
            await client.session.get("s1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert caught.value.limit == MiB
    assert caught.value.body_size is None
    assert len(caught.value.body) <= ERROR_BODY_LIMIT
    # The inflated body would be 64 MiB; reading stops a chunk past the cap.
    assert peak < 16 * MiB


async def test_with_options_sets_the_cap_for_the_view_only(
    scripted: ScriptedServer, make_scripted_client: ClientFactory
) -> None:
    body = _event_body(2 * MiB)
    scripted.then(Scripted(200, body=body), Scripted(200, body=body))
    client = make_scripted_client()
    small = client.with_options(max_response_bytes=MiB)

    with pytest.raises(APIResponseTooLargeError):
        await small.session.get("s1")
    assert (await client.session.get("s1")).event_id == "s1"
    assert (small.max_response_bytes, client.max_response_bytes) == (MiB, 256 * MiB)


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
async def test_a_large_error_body_is_kept_only_in_part(
    scripted: ScriptedServer, make_scripted_client: ClientFactory, compressed: bool
) -> None:
    size = 5 * MiB
    body = b'{"message": "' + b"x" * (size - 15) + b'"}'
    headers = {"Content-Encoding": "gzip"} if compressed else {}
    scripted.then(Scripted(500, headers, gzip.compress(body) if compressed else body))
    client = make_scripted_client(max_retries=0)

    with pytest.raises(InternalServerError) as caught:
        await client.session.get("s1")

    exc = caught.value
    assert isinstance(exc.body, str)
    assert len(exc.body) <= ERROR_BODY_LIMIT
    assert exc.body_truncated is True
    assert exc.body_size == (None if compressed else size)
    assert "truncated" in str(exc)
    assert len(str(exc)) < 1000


async def test_a_batch_answer_of_success_false_that_echoes_the_key_is_scrubbed(
    scripted: ScriptedServer, make_scripted_client: ClientFactory
) -> None:
    body = b'{"success": false, "event_ids": [], "errors": ["bad header: Bearer scripted-key"]}'
    scripted.then(Scripted(200, body=body))
    client = make_scripted_client(max_retries=0)

    with pytest.raises(PartialBatchError) as caught:
        await client.events.create_batch([{"event_type": "tool", "inputs": {}}])

    assert caught.value.body == {"errors": ["bad header: Bearer [REDACTED]"]}
    assert not [t for t in _texts(caught.value) if "scripted-key" in t]
