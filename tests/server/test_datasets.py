"""The local server's dataset routes: shapes, legacy forms, links, and no 5xx for any input."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.server.helpers import call


async def create(client: aiohttp.ClientSession, **fields: Any) -> str:
    body = await call(client, "POST", "/v1/datasets", fields)
    assert body["inserted"] is True
    dataset_id: str = body["result"]["insertedId"]
    return dataset_id


async def datapoint(client: aiohttp.ClientSession) -> str:
    body = await call(client, "POST", "/v1/datapoints", {})
    datapoint_id: str = body["result"]["insertedIds"][0]
    return datapoint_id


async def listed(client: aiohttp.ClientSession, query: str = "") -> list[dict[str, Any]]:
    datasets: list[dict[str, Any]] = (await call(client, "GET", f"/v1/datasets{query}"))["datasets"]
    return datasets


async def test_a_dataset_has_the_spec_shape_and_no_nulls(client: aiohttp.ClientSession) -> None:
    ds = await create(client)

    (dataset,) = await listed(client)

    assert set(dataset) == {"id", "name", "datapoints", "created_at", "updated_at"}
    assert (dataset["id"], dataset["name"], dataset["datapoints"]) == (ds, "Untitled Dataset", [])
    assert len(ds) == 24


async def test_list_filters_by_id_and_name(client: aiohttp.ClientSession) -> None:
    a = await create(client, name="a")
    b = await create(client, name="b", description="second")

    assert [d["id"] for d in await listed(client)] == [a, b]
    assert [d["id"] for d in await listed(client, f"?dataset_id={b}")] == [b]
    assert [d["description"] for d in await listed(client, "?name=b")] == ["second"]
    assert await listed(client, f"?dataset_id={a}&name=b") == []


async def test_update_by_id_and_the_legacy_body_form(client: aiohttp.ClientSession) -> None:
    ds = await create(client, name="old")
    dp = await datapoint(client)

    result = await call(client, "PUT", f"/v1/datasets/{ds}", {"name": "new", "datapoints": [dp]})
    assert (result["result"]["name"], result["result"]["datapoints"]) == ("new", [dp])

    legacy = {"dataset_id": ds, "description": "via body"}
    result = await call(client, "PUT", "/v1/datasets", legacy)
    assert result["result"]["description"] == "via body"
    assert result["result"]["datapoints"] == [dp]


async def test_delete_by_id_and_the_legacy_query_form(client: aiohttp.ClientSession) -> None:
    a, b = await create(client), await create(client)
    dp = await datapoint(client)
    await call(client, "PUT", f"/v1/datasets/{a}", {"datapoints": [dp]})

    assert await call(client, "DELETE", f"/v1/datasets/{a}") == {"result": {"id": a}}
    assert await call(client, "DELETE", f"/v1/datasets?dataset_id={b}") == {"result": {"id": b}}

    assert await listed(client) == []
    (stored,) = (await call(client, "GET", f"/v1/datapoints/{dp}"))["datapoint"]
    assert stored["linked_datasets"] == []
    await call(client, "DELETE", f"/v1/datasets/{a}", status=404)
    await call(client, "DELETE", "/v1/datasets", status=400)


@pytest.mark.parametrize("legacy", [False, True])
async def test_remove_datapoint_and_its_legacy_path(
    client: aiohttp.ClientSession, legacy: bool
) -> None:
    dp = await datapoint(client)
    ds = await create(client, datapoints=[dp])
    path = f"/v1/datasets/{ds}/{dp}" if legacy else f"/v1/datasets/{ds}/datapoints/{dp}"

    removed = await call(client, "DELETE", path)
    again = await call(client, "DELETE", path)

    assert removed["dereferenced"] is True
    assert again["dereferenced"] is False
    assert isinstance(again["message"], str)
    assert (await listed(client))[0]["datapoints"] == []
    (stored,) = (await call(client, "GET", f"/v1/datapoints/{dp}"))["datapoint"]
    assert stored["linked_datasets"] == []
    await call(client, "DELETE", f"/v1/datasets/nope/datapoints/{dp}", status=404)


async def test_add_datapoints_maps_each_row(client: aiohttp.ClientSession) -> None:
    ds = await create(client)
    body = {
        "data": [{"q": 1, "a": 2, "h": {"role": "user"}, "n": {"deep": 3}}, {"q": 4}],
        "mapping": {"inputs": ["q", "n.deep"], "ground_truth": ["a"], "history": ["h"]},
    }

    result = await call(client, "POST", f"/v1/datasets/{ds}/datapoints", body)

    assert result["inserted"] is True
    first, second = result["datapoint_ids"]
    (dp,) = (await call(client, "GET", f"/v1/datapoints/{first}"))["datapoint"]
    assert (dp["inputs"], dp["ground_truth"], dp["history"]) == (
        {"q": 1, "deep": 3},
        {"a": 2},
        [{"role": "user"}],
    )
    (other,) = (await call(client, "GET", f"/v1/datapoints/{second}"))["datapoint"]
    assert (other["inputs"], other["ground_truth"]) == ({"q": 4}, {})
    assert (await listed(client))[0]["datapoints"] == [first, second]


@pytest.mark.parametrize(
    ("method", "path", "body", "needle"),
    [
        ("POST", "/v1/datasets", {"name": "x", "project": "p"}, "project"),
        ("POST", "/v1/datasets", {"name": "x" * 201}, "name"),
        ("POST", "/v1/datasets", {"datapoints": ["nope"]}, "datapoints"),
        ("POST", "/v1/datasets", {"datapoints": [""]}, "datapoints"),
        ("PUT", "/v1/datasets/x", {"dataset_id": "x"}, "dataset_id"),
        ("PUT", "/v1/datasets", {"name": "x"}, "dataset_id"),
        ("PUT", "/v1/datasets", {"dataset_id": " "}, "dataset_id"),
        ("POST", "/v1/datasets/x/datapoints", {"data": []}, "mapping"),
        ("POST", "/v1/datasets/x/datapoints", {"data": [], "mapping": {}}, "data"),
        ("POST", "/v1/datasets/x/datapoints", {"data": [1], "mapping": {}}, "$.data"),
    ],
)
async def test_bad_bodies_get_400_naming_the_field(
    client: aiohttp.ClientSession, method: str, path: str, body: object, needle: str
) -> None:
    result = await call(client, method, path, body, status=400)
    assert result["errorCode"] == "VALIDATION_ERROR"
    assert needle in result["message"]


async def test_a_history_row_that_is_not_objects_is_400(client: aiohttp.ClientSession) -> None:
    ds = await create(client)
    body = {"data": [{"h": [1, 2]}], "mapping": {"history": ["h"]}}
    result = await call(client, "POST", f"/v1/datasets/{ds}/datapoints", body, status=400)
    assert "'h'" in result["message"]
    assert (await listed(client))[0]["datapoints"] == []


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_unknown_datasets_are_404(client: aiohttp.ClientSession, method: str) -> None:
    body = await call(client, method, "/v1/datasets/nope", {}, status=404)
    assert body["errorCode"] == "NOT_FOUND"


HOSTILE: list[bytes] = [
    b"",
    b"null",
    b"[]",
    b'{"name": 1}',
    b'{"datapoints": "abc"}',
    b'{"data": [{"n": 123456789012345678901234567890}], "mapping": {"inputs": ["n"]}}',
    b'{"data": [' + b'{"a": ' * 900 + b"1" + b"}" * 900 + b'], "mapping": {}}',
    b'{"data": [' + b"[" * 5000 + b"]" * 5000 + b'], "mapping": {}}',
    b'{"dataset_id": 7}',
]


@pytest.mark.parametrize("raw", HOSTILE)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/datasets"),
        ("PUT", "/v1/datasets"),
        ("PUT", "/v1/datasets/any"),
        ("POST", "/v1/datasets/any/datapoints"),
        ("DELETE", "/v1/datasets/any/any"),
        ("GET", "/v1/datasets?dataset_id=%00&name=%FF"),
    ],
)
async def test_no_input_gets_a_5xx(
    client: aiohttp.ClientSession, method: str, path: str, raw: bytes
) -> None:
    async with client.request(method, path, data=raw) as resp:
        assert resp.status < 500, await resp.text()
        assert resp.content_type == "application/json"


async def test_a_deep_row_is_400_before_anything_is_stored(client: aiohttp.ClientSession) -> None:
    ds = await create(client)
    raw = b'{"data": [' + b'{"a": ' * 900 + b"1" + b"}" * 900 + b'], "mapping": {"inputs": ["a"]}}'
    async with client.post(f"/v1/datasets/{ds}/datapoints", data=raw) as resp:
        assert resp.status == 400
        assert "data" in (await resp.json())["message"]
    assert (await listed(client))[0]["datapoints"] == []
