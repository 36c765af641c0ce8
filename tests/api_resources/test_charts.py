"""`client.charts`: request shapes (aioresponses) and round trips through the local server."""

from __future__ import annotations

from typing import Any

import pytest
from aioresponses import aioresponses

from honeyhive_async import AsyncHoneyHive, BadRequestError, NotFoundError
from honeyhive_async.models import Chart, QueryFilter
from honeyhive_async.server import LocalServer
from tests.api_resources.helpers import mock_sent
from tests.conftest import MOCK_URL
from tests.integration.conftest import sent

CHART: dict[str, Any] = {
    "id": "c1",
    "name": "Cost",
    "description": None,
    "metric": "cost",
    "func": "sum",
    "groupBy": None,
    "bucketing": "day",
    "dateRange": {"relative": "7d"},
    "query": [{"field": "event_type", "value": "model", "type": "string", "operator": "is"}],
    "owner_id": None,
    "is_active": True,
    "created_at": "2024-04-01T22:38:19.000Z",
    "updated_at": None,
}


class TestChartsRequestShape:
    """What goes on the wire and how replies decode, against aioresponses (no sockets)."""

    async def test_list_and_get_return_the_charts(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.get(f"{MOCK_URL}/v1/charts", payload={"success": True, "data": [CHART]})
        mock_api.get(f"{MOCK_URL}/v1/charts/c%2F1", payload={"success": True, "data": CHART})
        (listed,) = await mock_client.charts.list()
        assert isinstance(listed, Chart)
        assert (listed.id, listed.metric, listed.dateRange, listed.query) == (
            "c1",
            "cost",
            {"relative": "7d"},
            CHART["query"],
        )
        assert listed.created_at_ms == 1_712_011_099_000.0
        assert await mock_client.charts.get("c/1") == listed

    async def test_create_update_delete_bodies(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.post(f"{MOCK_URL}/v1/charts", payload={"success": True, "data": CHART})
        mock_api.put(f"{MOCK_URL}/v1/charts/c1", payload={"success": True, "data": CHART})
        mock_api.delete(f"{MOCK_URL}/v1/charts/c1", payload={"success": True, "message": "deleted"})
        created = await mock_client.charts.create(
            name="Cost",
            metric="cost",
            func="sum",
            date_range={"relative": "7d"},
            query=[QueryFilter(field="event_type", value="model", type="string", operator="is")],
        )
        assert created.data.id == "c1"
        assert mock_sent(mock_api, "POST", "/v1/charts") == {
            "name": "Cost",
            "metric": "cost",
            "func": "sum",
            "dateRange": {"relative": "7d"},
            "query": CHART["query"],
        }
        await mock_client.charts.update("c1", group_by="event_name", bucketing="hour")
        assert mock_sent(mock_api, "PUT", "/v1/charts/c1") == {
            "groupBy": "event_name",
            "bucketing": "hour",
        }
        deleted = await mock_client.charts.delete("c1")
        assert (deleted.success, deleted.message) == (True, "deleted")

    async def test_bad_arguments_fail_before_any_io(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        with pytest.raises(ValueError, match="chart_id must be a non-empty string"):
            await mock_client.charts.get("")
        with pytest.raises(ValueError, match="chart_id must be a non-empty string"):
            await mock_client.charts.delete(" ")
        with pytest.raises(ValueError, match=r"query\[0\]"):
            await mock_client.charts.create(name="n", metric="m", query=[{"field": "f"}])
        assert mock_api.requests == {}


class TestChartsRoundTrip:
    """Every method end to end against the local server: what is stored and returned."""

    async def test_create_get_list_update_delete(
        self, server: LocalServer, client: AsyncHoneyHive
    ) -> None:
        assert await client.charts.list() == []
        created = (await client.charts.create(name="Cost", metric="cost", func="sum")).data
        assert (created.name, created.metric, created.bucketing, created.is_active) == (
            "Cost",
            "cost",
            "day",
            True,
        )
        assert created.created_at_ms is not None
        assert await client.charts.get(created.id) == created
        other = (await client.charts.create(name="Latency", metric="duration")).data
        assert [c.id for c in await client.charts.list()] == [created.id, other.id]

        window = {"$gte": "2024-01-01T00:00:00Z", "$lte": 1_712_011_099_000}
        updated = await client.charts.update(created.id, date_range=window, group_by="event_name")
        assert (updated.data.dateRange, updated.data.groupBy, updated.data.func) == (
            window,
            "event_name",
            "sum",
        )
        assert sent(server, "PUT", f"/v1/charts/{created.id}")[0].json() == {
            "groupBy": "event_name",
            "dateRange": window,
        }
        assert (await client.charts.get(created.id)).updated_at_ms is not None

        assert (await client.charts.delete(created.id)).success is True
        with pytest.raises(NotFoundError):
            await client.charts.get(created.id)
        assert [c.id for c in await client.charts.list()] == [other.id]

    async def test_unknown_ids_are_not_found(self, client: AsyncHoneyHive) -> None:
        with pytest.raises(NotFoundError):
            await client.charts.update("nope", name="x")
        with pytest.raises(NotFoundError) as info:
            await client.charts.delete("nope")
        assert info.value.error_code == "NOT_FOUND"

    async def test_a_date_range_must_be_one_of_the_two_shapes(self, client: AsyncHoneyHive) -> None:
        with pytest.raises(BadRequestError, match="dateRange"):
            await client.charts.create(name="n", metric="m", date_range={"relative": 7})
        with pytest.raises(BadRequestError, match="dateRange"):
            await client.charts.create(name="n", metric="m", date_range={"$gte": "2024-01-01"})
        assert await client.charts.list() == []
