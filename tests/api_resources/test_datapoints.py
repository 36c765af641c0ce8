"""`client.datapoints`: request shapes (aioresponses) and round trips through the local server."""

from __future__ import annotations

import pytest
from aioresponses import aioresponses

from honeyhive_async import (
    APIConnectionError,
    AsyncHoneyHive,
    BadRequestError,
    NotFoundError,
    UnprocessableEntityError,
)
from honeyhive_async.models import Datapoint, DatapointMapping
from honeyhive_async.resources.datapoints import IDS_PER_REQUEST
from honeyhive_async.server import LocalServer
from tests.api_resources.helpers import mock_sent
from tests.conftest import MOCK_URL
from tests.integration.conftest import ClientFactory, sent

DATAPOINT = {
    "id": "65c13dbbd65fb876b7886cdb",
    "inputs": {"question": "What is 2+2?"},
    "history": [{"role": "user", "content": "hi"}],
    "ground_truth": {"answer": "4"},
    "metadata": None,
    "linked_event": None,
    "created_at": "2024-04-01 22:38:19",
    "updated_at": "2024-04-02T00:00:00.000Z",
    "linked_datasets": ["663876ec4611c47f4970f0c3"],
}


def _queries(mock_api: aioresponses, method: str, path: str) -> list[list[tuple[str, str]]]:
    """The decoded query pairs of the intercepted requests to `path`, in the order sent."""
    return [
        list(url.query.items())
        for (m, url), calls in mock_api.requests.items()
        for _ in calls
        if m == method and url.path == path
    ]


class TestDatapointsRequestShape:
    """What goes on the wire and how replies decode, against aioresponses (no sockets)."""

    async def test_list_decodes_the_spec_shape_and_sends_no_query(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.get(f"{MOCK_URL}/v1/datapoints", payload={"datapoints": [DATAPOINT]})

        found = await mock_client.datapoints.list()

        assert [type(dp) for dp in found] == [Datapoint]
        assert found[0].id == DATAPOINT["id"]
        assert found[0].history == [{"role": "user", "content": "hi"}]
        assert found[0].ground_truth == {"answer": "4"}
        assert found[0].metadata is None
        assert found[0].created_at_ms == 1_712_011_099_000.0
        assert found[0].updated_at_ms == 1_712_016_000_000.0
        assert found[0].linked_datasets == ["663876ec4611c47f4970f0c3"]
        assert mock_sent(mock_api, "GET", "/v1/datapoints") is None

    async def test_list_sends_bracket_ids_and_the_dataset_name(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        url = f"{MOCK_URL}/v1/datapoints?datapoint_ids[]=a&datapoint_ids[]=b&dataset_name=my%20set"
        mock_api.get(url, payload={"datapoints": []})

        assert (
            await mock_client.datapoints.list(datapoint_ids=["a", "b"], dataset_name="my set") == []
        )
        assert _queries(mock_api, "GET", "/v1/datapoints") == [
            [("datapoint_ids[]", "a"), ("datapoint_ids[]", "b"), ("dataset_name", "my set")]
        ]

    @pytest.mark.parametrize(
        ("count", "chunks"),
        [(1, [1]), (IDS_PER_REQUEST, [IDS_PER_REQUEST]), (IDS_PER_REQUEST * 2 + 1, [100, 100, 1])],
        ids=["one", "exactly-one-chunk", "partial-last-chunk"],
    )
    async def test_list_chunks_ids_and_concatenates_in_order(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive, count: int, chunks: list[int]
    ) -> None:
        ids = [f"dp{i:04d}" for i in range(count)]
        start = 0
        for size in chunks:
            chunk = ids[start : start + size]
            query = "&".join(f"datapoint_ids[]={i}" for i in chunk)
            body = {"datapoints": [{**DATAPOINT, "id": i} for i in chunk]}
            mock_api.get(f"{MOCK_URL}/v1/datapoints?{query}", payload=body)
            start += size

        found = await mock_client.datapoints.list(datapoint_ids=ids)

        assert [dp.id for dp in found] == ids
        sent_queries = _queries(mock_api, "GET", "/v1/datapoints")
        assert [len(q) for q in sent_queries] == chunks
        assert [value for q in sent_queries for _, value in q] == ids

    async def test_an_empty_id_list_sends_nothing(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        assert await mock_client.datapoints.list(datapoint_ids=[]) == []
        assert mock_api.requests == {}

    @pytest.mark.parametrize(
        ("call", "error", "match"),
        [
            (lambda c: c.datapoints.get(""), ValueError, "datapoint_id"),
            (lambda c: c.datapoints.update("  ", inputs={}), ValueError, "datapoint_id"),
            (lambda c: c.datapoints.delete(""), ValueError, "datapoint_id"),
            (lambda c: c.datapoints.list(datapoint_ids=["a", ""]), ValueError, "datapoint_ids"),
            (lambda c: c.datapoints.list(datapoint_ids="abc"), TypeError, "not a str"),
            (lambda c: c.datapoints.create(linked_datasets=[""]), ValueError, "linked_datasets"),
            (
                lambda c: c.datapoints.create_batch(events=["e"], mapping={"inputs": "q"}),
                ValueError,
                "mapping",
            ),
        ],
        ids=[
            "get",
            "update",
            "delete",
            "list-blank-id",
            "list-str",
            "create-blank-dataset",
            "batch-bad-mapping",
        ],
    )
    async def test_bad_ids_fail_before_any_io(
        self,
        mock_api: aioresponses,
        mock_client: AsyncHoneyHive,
        call: object,
        error: type,
        match: str,
    ) -> None:
        with pytest.raises(error, match=match):
            await call(mock_client)  # type: ignore[operator]
        assert mock_api.requests == {}

    async def test_get_unwraps_the_spec_array_and_a_bare_object(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.get(f"{MOCK_URL}/v1/datapoints/a", payload={"datapoint": [DATAPOINT]})
        mock_api.get(f"{MOCK_URL}/v1/datapoints/b", payload={"datapoint": DATAPOINT})
        mock_api.get(f"{MOCK_URL}/v1/datapoints/c", payload={"datapoint": []})

        assert (await mock_client.datapoints.get("a")).inputs == DATAPOINT["inputs"]
        assert (await mock_client.datapoints.get("b")).id == DATAPOINT["id"]
        with pytest.raises(NotFoundError, match="no datapoint"):
            await mock_client.datapoints.get("c")

    async def test_create_sends_only_given_fields_and_reads_the_new_id(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        reply = {"inserted": True, "result": {"insertedIds": ["n1"]}}
        mock_api.post(f"{MOCK_URL}/v1/datapoints", payload=reply)

        created = await mock_client.datapoints.create(
            inputs={"q": 1}, ground_truth={"a": 2}, linked_datasets=("d1",)
        )

        assert created.inserted is True
        assert created.datapoint_id == "n1"
        assert mock_sent(mock_api, "POST", "/v1/datapoints") == {
            "inputs": {"q": 1},
            "ground_truth": {"a": 2},
            "linked_datasets": ["d1"],
        }

    async def test_update_and_delete(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.put(
            f"{MOCK_URL}/v1/datapoints/a%2Fb",
            payload={"updated": True, "result": {"modifiedCount": 1}},
        )
        mock_api.delete(f"{MOCK_URL}/v1/datapoints/a%2Fb", payload={"deleted": True})

        updated = await mock_client.datapoints.update("a/b", metadata={"k": "v"}, history=[])
        deleted = await mock_client.datapoints.delete("a/b")

        assert (updated.updated, updated.result.modifiedCount) == (True, 1)
        assert deleted.deleted is True
        assert mock_sent(mock_api, "PUT", "/v1/datapoints/a%2Fb") == {
            "metadata": {"k": "v"},
            "history": [],
        }

    async def test_create_batch_body(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.post(
            f"{MOCK_URL}/v1/datapoints/batch", payload={"inserted": True, "insertedIds": ["x", "y"]}
        )

        result = await mock_client.datapoints.create_batch(
            mapping={"inputs": ["inputs.q"], "ground_truth": ("outputs.a",)},
            filters=[{"field": "event_type", "operator": "is", "value": "model", "type": "string"}],
            date_range=("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"),
            check_state={"e1": False},
            select_all=True,
            dataset_id="d1",
        )

        assert result.insertedIds == ["x", "y"]
        assert mock_sent(mock_api, "POST", "/v1/datapoints/batch") == {
            "mapping": {"inputs": ["inputs.q"], "ground_truth": ["outputs.a"]},
            "filters": [
                {"field": "event_type", "operator": "is", "value": "model", "type": "string"}
            ],
            "dateRange": {"$gte": "2024-01-01T00:00:00Z", "$lte": "2024-02-01T00:00:00Z"},
            "checkState": {"e1": False},
            "selectAll": True,
            "dataset_id": "d1",
        }

    @pytest.mark.parametrize(
        ("status", "error"),
        [(400, BadRequestError), (404, NotFoundError), (422, UnprocessableEntityError)],
    )
    async def test_error_statuses_raise_typed_errors(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive, status: int, error: type
    ) -> None:
        mock_api.put(
            f"{MOCK_URL}/v1/datapoints/a",
            status=status,
            payload={"message": "no", "errorCode": "E"},
        )
        with pytest.raises(error) as caught:
            await mock_client.datapoints.update("a", inputs={})
        assert caught.value.error_code == "E"  # type: ignore[attr-defined]


class TestDatapointsRoundTrip:
    """Every method end to end against the local server: what is stored and returned."""

    async def test_create_get_update_delete(self, client: AsyncHoneyHive) -> None:
        created = await client.datapoints.create(
            inputs={"q": "2+2"},
            history=[{"role": "user", "content": "hi"}],
            ground_truth={"a": "4"},
            metadata={"source": "tests"},
            linked_event="e1",
        )
        dp_id = created.datapoint_id

        got = await client.datapoints.get(dp_id)
        assert (got.id, got.inputs, got.ground_truth) == (dp_id, {"q": "2+2"}, {"a": "4"})
        assert got.history == [{"role": "user", "content": "hi"}]
        assert (got.metadata, got.linked_event, got.linked_datasets) == (
            {"source": "tests"},
            "e1",
            [],
        )
        assert got.created_at_ms is not None
        assert got.created_at == got.updated_at

        updated = await client.datapoints.update(dp_id, inputs={"q": "3+3"}, metadata={"v": 2})
        assert updated.updated is True
        again = await client.datapoints.get(dp_id)
        assert (again.inputs, again.metadata, again.ground_truth) == (
            {"q": "3+3"},
            {"v": 2},
            {"a": "4"},
        )

        assert (await client.datapoints.delete(dp_id)).deleted is True
        with pytest.raises(NotFoundError):
            await client.datapoints.get(dp_id)

    async def test_a_bare_create_gets_the_spec_defaults(self, client: AsyncHoneyHive) -> None:
        got = await client.datapoints.get((await client.datapoints.create()).datapoint_id)
        assert (got.inputs, got.history, got.ground_truth, got.metadata) == ({}, [], None, None)

    async def test_list_by_ids_keeps_the_order_asked_across_chunks(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        ids = [(await client.datapoints.create(inputs={"i": i})).datapoint_id for i in range(3)]
        wanted = [ids[2], ids[0], "unknown", ids[1]]

        found = await client.datapoints.list(datapoint_ids=wanted)

        assert [dp.id for dp in found] == [ids[2], ids[0], ids[1]]
        assert [dp.id for dp in await client.datapoints.list()] == ids
        (request,) = sent(server, "GET", "/v1/datapoints")[:1]
        assert (
            request.query.count("datapoint_ids%5B%5D=") + request.query.count("datapoint_ids[]=")
            == 4
        )

    async def test_list_of_more_ids_than_one_request_holds(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        created = await client.datapoints.create()
        ids = [f"missing-{i}" for i in range(IDS_PER_REQUEST)] + [created.datapoint_id]

        found = await client.datapoints.list(datapoint_ids=ids)

        assert [dp.id for dp in found] == [created.datapoint_id]
        assert len(sent(server, "GET", "/v1/datapoints")) == 2

    async def test_not_found_and_bad_bodies(self, client: AsyncHoneyHive) -> None:
        with pytest.raises(NotFoundError) as caught:
            await client.datapoints.update("nope", inputs={})
        assert caught.value.error_code == "NOT_FOUND"
        with pytest.raises(NotFoundError):
            await client.datapoints.delete("nope")
        with pytest.raises(BadRequestError, match="linked_datasets"):
            await client.datapoints.create(linked_datasets=["no-such-dataset"])

    async def test_create_batch_maps_events_into_datapoints(self, client: AsyncHoneyHive) -> None:
        first = await client.events.create(
            event_type="model", event_name="a", inputs={"q": "one"}, outputs={"a": "1"}
        )
        second = await client.events.create(
            event_type="model", event_name="b", inputs={"q": "two"}, outputs={"a": "2"}
        )

        result = await client.datapoints.create_batch(
            events=[first.event_id, second.event_id],
            mapping=DatapointMapping(inputs=["inputs.q"], ground_truth=["outputs.a"]),
            check_state={second.event_id: False},
        )

        assert result.inserted is True
        (dp,) = await client.datapoints.list(datapoint_ids=result.insertedIds)
        assert (dp.inputs, dp.ground_truth, dp.linked_event) == (
            {"q": "one"},
            {"a": "1"},
            first.event_id,
        )

    async def test_create_batch_selects_by_filter(self, client: AsyncHoneyHive) -> None:
        await client.events.create(event_type="tool", event_name="skip", inputs={"q": 0})
        model = await client.events.create(event_type="model", event_name="keep", inputs={"q": 1})

        result = await client.datapoints.create_batch(
            filters={"field": "event_name", "operator": "is", "value": "keep", "type": "string"},
            mapping={"inputs": ["inputs"]},
        )

        (dp,) = await client.datapoints.list(datapoint_ids=result.insertedIds)
        assert (dp.inputs, dp.linked_event) == ({"inputs": {"q": 1}}, model.event_id)

    async def test_create_is_not_repeated_when_its_reply_is_lost(
        self, server: LocalServer, make_client: ClientFactory
    ) -> None:
        client = make_client(max_retries=3)
        server.faults.fail_next(1, lose_reply=True, path="/v1/datapoints")

        with pytest.raises(APIConnectionError):
            await client.datapoints.create(inputs={"once": True})

        assert len(sent(server, "POST", "/v1/datapoints")) == 1
        assert [dp.inputs for dp in await client.datapoints.list()] == [{"once": True}]
