"""`events.create_batch` is unsafe to repeat: what it retries, and how a partial batch is completed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from honeyhive_async import (
    APIConnectionError,
    AsyncHoneyHive,
    CreateEventRequest,
    EventFilter,
    InternalServerError,
    PartialBatchError,
)
from honeyhive_async.server import LocalServer
from tests.integration.conftest import FAST_RETRY, sent

BATCH = "/v1/events/batch"


def _events(session_id: str, n: int) -> list[dict[str, Any]]:
    return [
        {
            "event_type": "tool",
            "event_name": f"step-{i}",
            "inputs": {"i": i},
            "session_id": session_id,
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_5xx_on_the_batch_is_not_retried(
    server: LocalServer, client: AsyncHoneyHive, status: int
) -> None:
    server.faults.fail_next(3, status, retry_after=FAST_RETRY, path=BATCH)
    sid = str(uuid.uuid4())

    with pytest.raises(InternalServerError) as caught:
        await client.events.create_batch(_events(sid, 2))

    # Only a 500 means "partially created"; other 5xx stay plain server errors.
    assert type(caught.value) is InternalServerError
    assert caught.value.status == status
    assert len(sent(server, "POST", BATCH)) == 1
    assert server.store.count() == 0


async def test_a_plain_500_on_the_batch_becomes_a_partial_batch_error_with_nothing_created(
    server: LocalServer, client: AsyncHoneyHive
) -> None:
    server.faults.fail_next(3, 500, retry_after=FAST_RETRY, path=BATCH)
    events = _events(str(uuid.uuid4()), 3)

    with pytest.raises(PartialBatchError) as caught:
        await client.events.create_batch(events)

    assert caught.value.status == 500
    assert caught.value.created_ids == []
    assert [e.event_name for e in caught.value.uncreated] == ["step-0", "step-1", "step-2"]
    assert len(sent(server, "POST", BATCH)) == 1


@pytest.mark.parametrize("status", [408, 429])
async def test_statuses_proving_nothing_was_done_let_the_batch_retry(
    server: LocalServer, client: AsyncHoneyHive, status: int
) -> None:
    server.faults.fail_next(1, status, retry_after=FAST_RETRY, path=BATCH)
    sid = str(uuid.uuid4())

    result = await client.events.create_batch(_events(sid, 3))

    assert result.success is True
    assert len(result.event_ids) == 3
    attempts = sent(server, "POST", BATCH)
    assert len(attempts) == 2
    # The retry re-sends the very same events (same client-made ids): nothing is duplicated.
    assert attempts[0].body == attempts[1].body
    assert server.store.count(sid) == 3


async def test_a_partial_batch_reports_what_was_stored_and_the_rest_completes_it(
    server: LocalServer, client: AsyncHoneyHive
) -> None:
    sid = str(uuid.uuid4())
    server.faults.partial_batch(created=2)

    with pytest.raises(PartialBatchError) as caught:
        await client.events.create_batch(_events(sid, 5))

    exc = caught.value
    sent_ids = [event["event_id"] for event in sent(server, "POST", BATCH)[0].json()["events"]]
    assert len(sent_ids) == 5
    assert len(set(sent_ids)) == 5
    assert exc.created_ids == sent_ids[:2]
    assert all(isinstance(event, CreateEventRequest) for event in exc.uncreated)
    assert [event.event_id for event in exc.uncreated] == sent_ids[2:]
    assert [event.event_name for event in exc.uncreated] == ["step-2", "step-3", "step-4"]
    assert exc.body is not None
    assert exc.error_code == "PARTIAL"
    assert server.store.count(sid) == 2
    assert len(sent(server, "POST", BATCH)) == 1

    result = await client.events.create_batch(exc.uncreated)

    assert result.event_ids == sent_ids[2:]
    page = await client.events.search(
        filters=[EventFilter(field="session_id", operator="is", value=sid)]
    )
    stored = [event.event_id for event in page.events]
    assert page.count == 5
    assert sorted(stored) == sorted(sent_ids)
    assert server.store.count(sid) == 5


async def test_resending_the_whole_batch_after_a_partial_failure_does_not_duplicate(
    server: LocalServer, client: AsyncHoneyHive
) -> None:
    sid = str(uuid.uuid4())
    events = [CreateEventRequest(**e, event_id=str(uuid.uuid4())) for e in _events(sid, 4)]
    server.faults.partial_batch(created=1)

    with pytest.raises(PartialBatchError):
        await client.events.create_batch(events)
    await client.events.create_batch(events)

    assert server.store.count(sid) == 4


async def test_a_dropped_batch_connection_is_not_retried(
    server: LocalServer, client: AsyncHoneyHive
) -> None:
    server.faults.drop_next(3, path=BATCH)

    with pytest.raises(APIConnectionError) as caught:
        await client.events.create_batch(_events(str(uuid.uuid4()), 2))

    # The request went out: the server may have acted, so the client must not repeat it.
    assert caught.value.request_sent is True
    assert len(sent(server, "POST", BATCH)) == 1
    assert server.store.count() == 0
