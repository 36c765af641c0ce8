"""Query encoding (`_qs.encode_query`): one table of values, and what aiohttp sends of it."""

from __future__ import annotations

import datetime as dt
import uuid
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

import msgspec
import pytest
from aioresponses import aioresponses

from honeyhive_async import AsyncHoneyHive
from honeyhive_async._qs import encode_query
from honeyhive_async._resource import AsyncAPIResource
from honeyhive_async.models import ExportDateRange
from tests.conftest import MOCK_URL


class _Range(msgspec.Struct):
    gte: int
    lte: int


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({}, "", id="empty"),
        pytest.param({"name": None}, "", id="none-dropped"),
        pytest.param({"name": "my set", "id": None}, "name=my%20set", id="space-as-%20"),
        pytest.param({"enabled": True}, "enabled=true", id="true"),
        pytest.param({"enabled": False}, "enabled=false", id="false"),
        pytest.param({"page": 2, "limit": 100}, "page=2&limit=100", id="ints-in-order"),
        pytest.param({"x": 0.5}, "x=0.5", id="float"),
        pytest.param(
            {"datapoint_ids": ["a", "b"]},
            "datapoint_ids[]=a&datapoint_ids[]=b",
            id="list-brackets",
        ),
        pytest.param({"run_ids": ("r1",)}, "run_ids[]=r1", id="one-item-keeps-brackets"),
        pytest.param({"run_ids": []}, "", id="empty-list-sends-nothing"),
        pytest.param({"ids": ["a", None, "b"]}, "ids[]=a&ids[]=b", id="none-items-dropped"),
        pytest.param({"flags": [True, 1]}, "flags[]=true&flags[]=1", id="scalar-items"),
        pytest.param(
            {"name": "a&b=c+d#e/f?%ü"},
            "name=a%26b%3Dc%2Bd%23e%2Ff%3F%25%C3%BC",
            id="reserved-chars-encoded",
        ),
        pytest.param({"ids": ["x/y", "ü"]}, "ids[]=x%2Fy&ids[]=%C3%BC", id="list-items-encoded"),
        pytest.param({"a b": 1}, "a%20b=1", id="key-encoded"),
        pytest.param(
            {"dateRange": {"$gte": 1, "$lte": "2024-01-01"}},
            "dateRange=%7B%22%24gte%22%3A1%2C%22%24lte%22%3A%222024-01-01%22%7D",
            id="mapping-json",
        ),
        pytest.param(
            {"filters": [{"field": "x", "value": 1}]},
            "filters=%5B%7B%22field%22%3A%22x%22%2C%22value%22%3A1%7D%5D",
            id="list-of-objects-json",
        ),
        pytest.param(
            {"filter": _Range(gte=1, lte=2)},
            "filter=%7B%22gte%22%3A1%2C%22lte%22%3A2%7D",
            id="struct-json",
        ),
        pytest.param(
            {"dateRange": MappingProxyType({"$gte": 1})},
            "dateRange=%7B%22%24gte%22%3A1%7D",
            id="any-mapping-json",
        ),
        pytest.param(
            {"filters": [MappingProxyType({"field": "x"})]},
            "filters=%5B%7B%22field%22%3A%22x%22%7D%5D",
            id="list-of-any-mappings-json",
        ),
        pytest.param(
            {"filters": '[{"field":"x"}]'},
            "filters=%5B%7B%22field%22%3A%22x%22%7D%5D",
            id="json-string-passes-as-text",
        ),
    ],
)
def test_encode_query(params: dict[str, Any], expected: str) -> None:
    assert encode_query(params) == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"when": dt.datetime(2024, 1, 1)}, "'when'.*datetime"),
        ({"ids": {"a", "b"}}, "'ids'.*set"),
        ({"filters": [{"at": object()}]}, "'filters'.*JSON-encode"),
        # Refused in a list as when alone: never a JSON array under the bare key for a list.
        ({"ids": [dt.datetime(2024, 1, 1)]}, "'ids'.*datetime in a list"),
        ({"run_ids": ["r1", uuid.UUID(int=1)]}, "'run_ids'.*UUID in a list"),
        ({"ids": [["a", "b"]]}, "'ids'.*list in a list"),
    ],
)
def test_values_without_an_encoding_are_refused_by_name(
    params: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        encode_query(params)


class _Datapoints(AsyncAPIResource):
    """A stand-in for a list route with query parameters (`GET /v1/datapoints`)."""

    async def list(self, ids: list[str], dataset_name: str | None = None) -> dict[str, Any]:
        params = {"datapoint_ids": ids, "dataset_name": dataset_name}
        return await self._get("/v1/datapoints", cast_to=dict[str, Any], params=params)


async def test_a_resource_passes_params_through_client_and_transport(
    mock_api: aioresponses, mock_client: AsyncHoneyHive
) -> None:
    mock_api.get(
        f"{MOCK_URL}/v1/datapoints?datapoint_ids[]=a&datapoint_ids[]=b%20c&dataset_name=d",
        payload={"datapoints": []},
    )
    result = await _Datapoints(mock_client).list(["a", "b c"], dataset_name="d")
    assert result == {"datapoints": []}
    # aioresponses re-parses the URL, so it shows the parameters, not the bytes sent (the
    # loopback test in tests/integration/test_query_params.py reads those).
    ((method, url),) = mock_api.requests
    assert method == "GET"
    assert url.path == "/v1/datapoints"
    assert url.query.getall("datapoint_ids[]") == ["a", "b c"]
    assert url.query.getall("dataset_name") == ["d"]
    assert len(url.query) == 3


async def test_a_date_range_struct_goes_as_json(
    mock_api: aioresponses, mock_client: AsyncHoneyHive
) -> None:
    date_range = ExportDateRange(gte="2024-01-01T00:00:00Z", lte="2024-01-02T00:00:00Z")
    expected = '{"$gte":"2024-01-01T00:00:00Z","$lte":"2024-01-02T00:00:00Z"}'
    mock_api.get(f"{MOCK_URL}/v1/events/schema?dateRange={quote(expected)}", payload={})
    await AsyncAPIResource(mock_client)._get(
        "/v1/events/schema", cast_to=dict[str, Any], params={"dateRange": date_range}
    )
    ((_, url),) = mock_api.requests
    assert url.query.getall("dateRange") == [expected]
