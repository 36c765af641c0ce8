"""The local server's datapoint routes: shapes, validation, links, and no 5xx for any input."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.server.helpers import call, create_event

DATAPOINT_KEYS = {
    "id",
    "inputs",
    "history",
    "ground_truth",
    "metadata",
    "linked_event",
    "created_at",
    "updated_at",
    "linked_datasets",
}


async def create(client: aiohttp.ClientSession, **fields: Any) -> str:
    body = await call(client, "POST", "/v1/datapoints", fields)
    assert body["inserted"] is True
    (datapoint_id,) = body["result"]["insertedIds"]
    assert isinstance(datapoint_id, str)
    return datapoint_id


async def test_get_answers_the_spec_shape(client: aiohttp.ClientSession) -> None:
    dp = await create(client, inputs={"q": 1})

    body = await call(client, "GET", f"/v1/datapoints/{dp}")

    (datapoint,) = body["datapoint"]
    assert set(datapoint) == DATAPOINT_KEYS
    assert datapoint["id"] == dp
    assert len(dp) == 24
    assert (datapoint["inputs"], datapoint["history"], datapoint["ground_truth"]) == (
        {"q": 1},
        [],
        None,
    )
    assert datapoint["created_at"].endswith("Z")


async def test_list_filters_by_bracket_ids_bare_ids_and_dataset_name(
    client: aiohttp.ClientSession,
) -> None:
    a, b, c = [await create(client, inputs={"i": i}) for i in range(3)]
    dataset = await call(client, "POST", "/v1/datasets", {"name": "set", "datapoints": [c, a]})
    assert dataset["inserted"] is True

    async def ids(query: str) -> list[str]:
        body = await call(client, "GET", f"/v1/datapoints{query}")
        return [dp["id"] for dp in body["datapoints"]]

    assert await ids("") == [a, b, c]
    assert await ids(f"?datapoint_ids[]={b}&datapoint_ids[]={a}") == [b, a]
    assert await ids(f"?datapoint_ids={c}") == [c]
    assert await ids("?dataset_name=set") == [c, a]
    assert await ids(f"?dataset_name=set&datapoint_ids[]={a}&datapoint_ids[]={b}") == [a]
    assert await ids("?dataset_name=none") == []


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("?datapoint_id=x", "datapoint_id"),
        ("?datapoint_ids[]=", "datapoint_ids"),
        ("?dataset_name=" + "x" * 201, "dataset_name"),
        ("?dataset_name=a&dataset_name=b", "dataset_name"),
    ],
)
async def test_list_rejects_bad_queries(
    client: aiohttp.ClientSession, query: str, needle: str
) -> None:
    body = await call(client, "GET", f"/v1/datapoints{query}", status=400)
    assert needle in body["message"]


async def test_update_replaces_given_fields_and_links(client: aiohttp.ClientSession) -> None:
    dp = await create(client, inputs={"q": 1}, metadata={"m": 1})
    one = (await call(client, "POST", "/v1/datasets", {"name": "one"}))["result"]["insertedId"]
    two = (await call(client, "POST", "/v1/datasets", {"name": "two"}))["result"]["insertedId"]

    body = {"metadata": {"m": 2}, "linked_datasets": [two, one], "ground_truth": None}
    result = await call(client, "PUT", f"/v1/datapoints/{dp}", body)

    assert result == {"updated": True, "result": {"modifiedCount": 1}}
    (datapoint,) = (await call(client, "GET", f"/v1/datapoints/{dp}"))["datapoint"]
    assert (datapoint["inputs"], datapoint["metadata"]) == ({"q": 1}, {"m": 2})
    assert datapoint["linked_datasets"] == [two, one]
    datasets = (await call(client, "GET", "/v1/datasets"))["datasets"]
    assert [d["datapoints"] for d in datasets] == [[dp], [dp]]


async def test_delete_unlinks_the_datapoint_from_its_datasets(
    client: aiohttp.ClientSession,
) -> None:
    keep, gone = await create(client), await create(client)
    await call(client, "POST", "/v1/datasets", {"name": "s", "datapoints": [gone, keep]})

    assert await call(client, "DELETE", f"/v1/datapoints/{gone}") == {"deleted": True}

    (dataset,) = (await call(client, "GET", "/v1/datasets"))["datasets"]
    assert dataset["datapoints"] == [keep]
    await call(client, "DELETE", f"/v1/datapoints/{gone}", status=404)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_unknown_ids_are_404(client: aiohttp.ClientSession, method: str) -> None:
    body = await call(client, method, "/v1/datapoints/nope", {}, status=404)
    assert body["errorCode"] == "NOT_FOUND"


async def test_batch_maps_selected_events(client: aiohttp.ClientSession) -> None:
    e1 = await create_event(
        client, event_name="a", inputs={"q": "1", "chat": [{"role": "user"}]}, outputs={"a": 1}
    )
    e2 = await create_event(client, event_name="b", inputs={"q": "2"}, outputs={"a": 2})
    dataset = (await call(client, "POST", "/v1/datasets", {}))["result"]["insertedId"]
    mapping = {"inputs": ["inputs.q"], "ground_truth": ["outputs.a"], "history": ["inputs.chat"]}

    body = {"events": [e1, e2], "mapping": mapping, "dataset_id": dataset}
    result = await call(client, "POST", "/v1/datapoints/batch", body)

    assert result["inserted"] is True
    first, second = result["insertedIds"]
    (dp,) = (await call(client, "GET", f"/v1/datapoints/{first}"))["datapoint"]
    assert (dp["inputs"], dp["ground_truth"], dp["history"]) == (
        {"q": "1"},
        {"a": 1},
        [{"role": "user"}],
    )
    assert (dp["linked_event"], dp["linked_datasets"]) == (e1, [dataset])
    (stored,) = (await call(client, "GET", "/v1/datasets"))["datasets"]
    assert stored["datapoints"] == [first, second]


async def test_batch_by_filters_date_range_and_check_state(client: aiohttp.ClientSession) -> None:
    old = await create_event(client, event_name="keep", start_time=1_000)
    new = await create_event(client, event_name="keep", start_time=2_000_000_000_000)
    dropped = await create_event(client, event_name="keep", start_time=1_500)
    await create_event(client, event_name="other", start_time=1_200)

    body = {
        "filters": [{"field": "event_name", "operator": "is", "value": "keep", "type": "string"}],
        "dateRange": {"$gte": "1970-01-01T00:00:00Z", "$lte": "2020-01-01T00:00:00Z"},
        "checkState": {dropped: False},
    }
    result = await call(client, "POST", "/v1/datapoints/batch", body)

    linked = [
        (await call(client, "GET", f"/v1/datapoints/{dp}"))["datapoint"][0]["linked_event"]
        for dp in result["insertedIds"]
    ]
    assert linked == [old]
    assert new not in linked
    only_checked = {"selectAll": False, "checkState": {new: True}, "filters": []}
    result = await call(client, "POST", "/v1/datapoints/batch", only_checked)
    assert len(result["insertedIds"]) == 1


@pytest.mark.parametrize(
    ("method", "path", "body", "needle"),
    [
        ("POST", "/v1/datapoints", {"inputs": {}, "project": "p"}, "project"),
        ("POST", "/v1/datapoints", {"inputs": []}, "$.inputs"),
        ("POST", "/v1/datapoints", {"history": [1]}, "$.history"),
        ("POST", "/v1/datapoints", {"linked_datasets": ["nope"]}, "linked_datasets"),
        ("POST", "/v1/datapoints", {"linked_datasets": [" "]}, "linked_datasets"),
        ("PUT", "/v1/datapoints/x", {"bogus": 1}, "bogus"),
        ("POST", "/v1/datapoints/batch", {}, "events"),
        ("POST", "/v1/datapoints/batch", {"events": ["nope"]}, "events"),
        ("POST", "/v1/datapoints/batch", {"selectAll": True, "dataset_id": "x"}, "dataset_id"),
        ("POST", "/v1/datapoints/batch", {"filters": [{"field": "a"}]}, "filters"),
        ("POST", "/v1/datapoints/batch", {"dateRange": {"$gte": "soon"}}, "$gte"),
        ("POST", "/v1/datapoints/batch", {"dateRange": {"$lte": "nan"}}, "$lte"),
        ("POST", "/v1/datapoints/batch", {"mapping": {"x": []}, "events": []}, "x"),
    ],
)
async def test_bad_bodies_get_400_naming_the_field(
    client: aiohttp.ClientSession, method: str, path: str, body: object, needle: str
) -> None:
    result = await call(client, method, path, body, status=400)
    assert result["errorCode"] == "VALIDATION_ERROR"
    assert needle in result["message"]


async def test_a_history_mapping_onto_a_non_object_is_400(client: aiohttp.ClientSession) -> None:
    event = await create_event(client, inputs={"chat": "just text"})
    body = {"events": [event], "mapping": {"history": ["inputs.chat"]}}
    result = await call(client, "POST", "/v1/datapoints/batch", body, status=400)
    assert "inputs.chat" in result["message"]


HOSTILE: list[bytes] = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b'{"inputs": {"n": 123456789012345678901234567890}}',
    b'{"inputs": ' + b'{"a": ' * 2000 + b"1" + b"}" * 2001,
    b'{"metadata": {"n": 1e999}}',
    b'{"linked_datasets": "abc"}',
    b'{"events": [1], "checkState": {"a": "yes"}}',
]


@pytest.mark.parametrize("raw", HOSTILE)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/datapoints"),
        ("PUT", "/v1/datapoints/any"),
        ("POST", "/v1/datapoints/batch"),
        ("GET", "/v1/datapoints/any"),
        ("DELETE", "/v1/datapoints/any"),
    ],
)
async def test_no_input_gets_a_5xx(
    client: aiohttp.ClientSession, method: str, path: str, raw: bytes
) -> None:
    async with client.request(method, path, data=raw) as resp:
        assert resp.status < 500, await resp.text()
        assert resp.content_type == "application/json"


async def test_a_huge_integer_round_trips(client: aiohttp.ClientSession) -> None:
    async with client.post(
        "/v1/datapoints", data=b'{"inputs": {"n": 123456789012345678901234567890}}'
    ) as resp:
        body = await resp.json()
    if resp.status == 200:
        (dp,) = body["result"]["insertedIds"]
        got = await call(client, "GET", f"/v1/datapoints/{dp}")
        assert got["datapoint"][0]["inputs"] == {"n": 123456789012345678901234567890}
    else:
        assert resp.status == 400


@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_a_value_nested_too_deep_to_answer_with_is_400(
    client: aiohttp.ClientSession, method: str
) -> None:
    dp = await create(client)
    path = "/v1/datapoints" if method == "POST" else f"/v1/datapoints/{dp}"
    deep = b'{"metadata": ' + b'{"a": ' * 900 + b"1" + b"}" * 901
    async with client.request(method, path, data=deep) as resp:
        assert resp.status == 400
        assert "metadata" in (await resp.json())["message"]
    (datapoint,) = (await call(client, "GET", f"/v1/datapoints/{dp}"))["datapoint"]
    assert datapoint["metadata"] is None
