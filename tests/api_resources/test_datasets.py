"""`client.datasets`: request shapes (aioresponses) and round trips through the local server."""

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
from honeyhive_async.models import DatapointMapping, Dataset
from honeyhive_async.server import LocalServer
from tests.api_resources.helpers import mock_sent
from tests.conftest import MOCK_URL
from tests.integration.conftest import ClientFactory, sent

DATASET = {
    "id": "663876ec4611c47f4970f0c3",
    "name": "qa",
    "description": None,
    "datapoints": ["65c13dbbd65fb876b7886cdb"],
    "created_at": "2024-04-01 22:38:19",
    "updated_at": "2024-04-02T00:00:00.000Z",
}


class TestDatasetsRequestShape:
    """What goes on the wire and how replies decode, against aioresponses (no sockets)."""

    async def test_list_decodes_the_spec_shape_and_sends_the_filters(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.get(
            f"{MOCK_URL}/v1/datasets?dataset_id=d1&name=qa", payload={"datasets": [DATASET]}
        )
        mock_api.get(f"{MOCK_URL}/v1/datasets", payload={"datasets": []})

        (found,) = await mock_client.datasets.list(dataset_id="d1", name="qa")

        assert isinstance(found, Dataset)
        assert (found.id, found.name, found.description) == (DATASET["id"], "qa", None)
        assert found.datapoints == DATASET["datapoints"]
        assert found.created_at_ms == 1_712_011_099_000.0
        assert found.updated_at_ms == 1_712_016_000_000.0
        assert await mock_client.datasets.list() == []

    async def test_create_sends_only_given_fields_and_reads_the_new_id(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        reply = {"inserted": True, "result": {"insertedId": "n1"}}
        mock_api.post(f"{MOCK_URL}/v1/datasets", payload=reply)
        mock_api.post(f"{MOCK_URL}/v1/datasets", payload=reply)

        created = await mock_client.datasets.create(name="qa")
        await mock_client.datasets.create(name="qa", description="d", datapoints=("a", "b"))

        assert (created.inserted, created.dataset_id) == (True, "n1")
        assert mock_sent(mock_api, "POST", "/v1/datasets") == {"name": "qa"}
        assert mock_sent(mock_api, "POST", "/v1/datasets", 1) == {
            "name": "qa",
            "description": "d",
            "datapoints": ["a", "b"],
        }

    async def test_update_delete_and_remove_paths(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.put(f"{MOCK_URL}/v1/datasets/d%2F1", payload={"result": DATASET})
        mock_api.delete(f"{MOCK_URL}/v1/datasets/d%2F1", payload={"result": {"id": "d/1"}})
        mock_api.delete(
            f"{MOCK_URL}/v1/datasets/d%2F1/datapoints/p1",
            payload={"dereferenced": True, "message": "removed"},
        )

        updated = await mock_client.datasets.update("d/1", description="new", datapoints=[])
        deleted = await mock_client.datasets.delete("d/1")
        removed = await mock_client.datasets.remove_datapoint("d/1", "p1")

        assert updated.result.name == "qa"
        assert mock_sent(mock_api, "PUT", "/v1/datasets/d%2F1") == {
            "description": "new",
            "datapoints": [],
        }
        assert deleted.result.id == "d/1"
        assert (removed.dereferenced, removed.message) == (True, "removed")

    async def test_add_datapoints_body(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.post(
            f"{MOCK_URL}/v1/datasets/d1/datapoints",
            payload={"inserted": True, "datapoint_ids": ["p1", "p2"]},
        )

        added = await mock_client.datasets.add_datapoints(
            "d1",
            data=[{"q": 1, "a": 2}, {"q": 3, "a": 4}],
            mapping={"inputs": ["q"], "ground_truth": ("a",)},
        )

        assert (added.inserted, added.datapoint_ids) == (True, ["p1", "p2"])
        assert mock_sent(mock_api, "POST", "/v1/datasets/d1/datapoints") == {
            "data": [{"q": 1, "a": 2}, {"q": 3, "a": 4}],
            "mapping": {"inputs": ["q"], "ground_truth": ["a"]},
        }

    @pytest.mark.parametrize(
        ("call", "error", "match"),
        [
            (lambda c: c.datasets.update("", name="x"), ValueError, "dataset_id"),
            (lambda c: c.datasets.delete(" "), ValueError, "dataset_id"),
            (lambda c: c.datasets.remove_datapoint("d", ""), ValueError, "datapoint_id"),
            (lambda c: c.datasets.remove_datapoint("", "p"), ValueError, "dataset_id"),
            (
                lambda c: c.datasets.add_datapoints("", data=[{}], mapping={}),
                ValueError,
                "dataset_id",
            ),
            (
                lambda c: c.datasets.add_datapoints("d", data=[], mapping={}),
                ValueError,
                "at least one row",
            ),
            (lambda c: c.datasets.create(name="x", datapoints=[""]), ValueError, "datapoints"),
            (lambda c: c.datasets.create(name="x", datapoints="ab"), TypeError, "not a str"),
            (
                lambda c: c.datasets.add_datapoints("d", data=[{}], mapping={"input": ["q"]}),
                ValueError,
                "mapping",
            ),
        ],
        ids=[
            "update",
            "delete",
            "remove-datapoint-id",
            "remove-dataset-id",
            "add-id",
            "add-no-rows",
            "create-blank-datapoint",
            "create-str",
            "add-bad-mapping",
        ],
    )
    async def test_bad_arguments_fail_before_any_io(
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

    @pytest.mark.parametrize(
        ("status", "error"),
        [(400, BadRequestError), (404, NotFoundError), (422, UnprocessableEntityError)],
    )
    async def test_error_statuses_raise_typed_errors(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive, status: int, error: type
    ) -> None:
        mock_api.delete(
            f"{MOCK_URL}/v1/datasets/d1", status=status, payload={"message": "no", "errorCode": "E"}
        )
        with pytest.raises(error) as caught:
            await mock_client.datasets.delete("d1")
        assert caught.value.error_code == "E"  # type: ignore[attr-defined]


class TestDatasetsRoundTrip:
    """Every method end to end against the local server: what is stored and returned."""

    async def test_create_list_update_delete(self, client: AsyncHoneyHive) -> None:
        dp = (await client.datapoints.create(inputs={"q": 1})).datapoint_id
        created = await client.datasets.create(name="qa", description="first", datapoints=[dp])
        ds = created.dataset_id

        (listed,) = await client.datasets.list(dataset_id=ds)
        assert (listed.id, listed.name, listed.description, listed.datapoints) == (
            ds,
            "qa",
            "first",
            [dp],
        )
        assert listed.created_at_ms is not None
        assert [d.id for d in await client.datasets.list(name="qa")] == [ds]
        assert await client.datasets.list(name="other") == []
        assert (await client.datapoints.get(dp)).linked_datasets == [ds]

        updated = await client.datasets.update(ds, name="renamed", datapoints=[])
        assert (updated.result.name, updated.result.description) == ("renamed", "first")
        assert updated.result.datapoints == []
        assert (await client.datapoints.get(dp)).linked_datasets == []

        assert (await client.datasets.delete(ds)).result.id == ds
        assert await client.datasets.list(dataset_id=ds) == []
        with pytest.raises(NotFoundError):
            await client.datasets.delete(ds)

    async def test_add_datapoints_maps_rows_and_links_both_ways(
        self, client: AsyncHoneyHive
    ) -> None:
        ds = (await client.datasets.create(name="rows")).dataset_id

        added = await client.datasets.add_datapoints(
            ds,
            data=[
                {"question": "2+2", "answer": "4", "chat": [{"role": "user"}], "extra": 1},
                {"question": "3+3", "answer": "6"},
            ],
            mapping=DatapointMapping(
                inputs=["question"], ground_truth=["answer"], history=["chat"]
            ),
        )

        assert added.inserted is True
        first, second = await client.datapoints.list(datapoint_ids=added.datapoint_ids)
        assert (first.inputs, first.ground_truth, first.history) == (
            {"question": "2+2"},
            {"answer": "4"},
            [{"role": "user"}],
        )
        assert (second.inputs, second.history) == ({"question": "3+3"}, [])
        assert first.linked_datasets == second.linked_datasets == [ds]
        (dataset,) = await client.datasets.list(dataset_id=ds)
        assert dataset.datapoints == added.datapoint_ids
        by_name = await client.datapoints.list(dataset_name="rows")
        assert [dp.id for dp in by_name] == added.datapoint_ids

    async def test_remove_and_delete_keep_both_sides_consistent(
        self, client: AsyncHoneyHive
    ) -> None:
        a = (await client.datapoints.create()).datapoint_id
        b = (await client.datapoints.create()).datapoint_id
        ds = (await client.datasets.create(name="s", datapoints=[a, b])).dataset_id

        removed = await client.datasets.remove_datapoint(ds, a)
        assert removed.dereferenced is True
        assert (await client.datasets.list(dataset_id=ds))[0].datapoints == [b]
        assert (await client.datapoints.get(a)).linked_datasets == []
        again = await client.datasets.remove_datapoint(ds, a)
        assert again.dereferenced is False

        await client.datapoints.delete(b)
        assert (await client.datasets.list(dataset_id=ds))[0].datapoints == []

        await client.datapoints.update(a, linked_datasets=[ds])
        assert (await client.datasets.list(dataset_id=ds))[0].datapoints == [a]
        await client.datasets.delete(ds)
        assert (await client.datapoints.get(a)).linked_datasets == []

    async def test_not_found_and_bad_requests(self, client: AsyncHoneyHive) -> None:
        with pytest.raises(NotFoundError) as caught:
            await client.datasets.update("nope", name="x")
        assert caught.value.error_code == "NOT_FOUND"
        with pytest.raises(NotFoundError):
            await client.datasets.remove_datapoint("nope", "p")
        with pytest.raises(NotFoundError):
            await client.datasets.add_datapoints("nope", data=[{"q": 1}], mapping={"inputs": ["q"]})
        with pytest.raises(BadRequestError, match="datapoints"):
            await client.datasets.create(name="x", datapoints=["no-such-datapoint"])
        with pytest.raises(BadRequestError, match="name"):
            await client.datasets.create(name="x" * 201)

    async def test_create_is_not_repeated_when_its_reply_is_lost(
        self, server: LocalServer, make_client: ClientFactory
    ) -> None:
        client = make_client(max_retries=3)
        server.faults.fail_next(1, lose_reply=True, path="/v1/datasets")

        with pytest.raises(APIConnectionError):
            await client.datasets.create(name="once")

        assert len(sent(server, "POST", "/v1/datasets")) == 1
        assert [d.name for d in await client.datasets.list()] == ["once"]
