"""`client.events` schema, chart, list (legacy `GET /events`) and delete: wire shapes and round trips."""

from __future__ import annotations

import re
import uuid

import pytest
from aioresponses import aioresponses

from honeyhive_async import AsyncHoneyHive, BadRequestError
from honeyhive_async.models import DeleteEventResponse, ExportFilter
from tests.api_resources.helpers import at
from tests.conftest import MOCK_URL

EVENT_ID = "7f22137a-6911-4ed3-bc36-110f1dde6b66"
SCHEMA = {
    "fields": [{"name": "inputs.q", "event_type": "model"}],
    "datasets": ["ds1"],
    "mappings": {"answer": [{"field_name": "inputs.q", "event_type": "model"}]},
}


def sent_queries(mock_api: aioresponses, method: str, path: str) -> list[list[tuple[str, str]]]:
    """The decoded query parameters of each intercepted request to `path`, sorted by key."""
    return [
        sorted(url.query.items())
        for (verb, url), calls in mock_api.requests.items()
        if verb == method and url.path == path
        for _ in calls
    ]


def url_re(path: str) -> re.Pattern[str]:
    return re.compile(re.escape(MOCK_URL + path) + r"(\?.*)?$")


class TestEventViewsRequestShape:
    """What goes on the wire and how the spec's shapes decode, against aioresponses."""

    async def test_schema_sends_the_date_range_and_run(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.get(url_re("/v1/events/schema"), payload=SCHEMA)
        mock_api.get(url_re("/v1/events/schema"), payload=SCHEMA)

        plain = await mock_client.events.schema()
        scoped = await mock_client.events.schema(date_range=(1, 2), evaluation_id="run-1")

        assert plain == scoped
        assert plain.fields[0].name == "inputs.q"
        assert plain.mappings["answer"][0].event_type == "model"
        assert sent_queries(mock_api, "GET", "/v1/events/schema") == [
            [],
            [("dateRange", '{"$gte":1,"$lte":2}'), ("evaluation_id", "run-1")],
        ]

    async def test_delete_sends_the_id_and_decodes_the_spec_shape(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.delete(
            f"{MOCK_URL}/v1/events/{EVENT_ID}", payload={"success": True, "deleted": "1"}
        )

        deleted = await mock_client.events.delete(EVENT_ID)

        assert deleted == DeleteEventResponse(success=True, deleted="1")

    async def test_chart_sends_every_parameter_by_its_spec_name(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.get(
            url_re("/v1/events/chart"),
            payload={"events": [{"time": 0, "value": 2.5, "count": 2}], "totalEvents": 2},
        )

        chart = await mock_client.events.chart(
            date_range=("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"),
            filters=[{"field": "event_type", "operator": "is", "value": "model", "type": "string"}],
            metric="metrics.score",
            group_by="event_name",
            bucket="day",
            aggregation="p95",
            evaluation_id="run-1",
            only_experiments=True,
        )

        assert (chart.events, chart.totalEvents) == ([{"time": 0, "value": 2.5, "count": 2}], 2)
        assert sent_queries(mock_api, "GET", "/v1/events/chart") == [
            [
                ("aggregation", "p95"),
                ("bucket", "day"),
                (
                    "dateRange",
                    '{"$gte":"2024-01-01T00:00:00Z","$lte":"2024-01-02T00:00:00Z"}',
                ),
                ("evaluation_id", "run-1"),
                (
                    "filters",
                    '[{"field":"event_type","operator":"is","value":"model","type":"string"}]',
                ),
                ("groupBy", "event_name"),
                ("metric", "metrics.score"),
                ("only_experiments", "true"),
            ]
        ]

    async def test_list_sends_the_legacy_query_and_reads_total_events(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        mock_api.get(
            url_re("/events"),
            payload={"events": [{"event_id": EVENT_ID, "event_name": "a"}], "totalEvents": 3},
        )

        page = await mock_client.events.list(
            filters=[ExportFilter(field="event_name", operator="is", value="a", type="string")],
            projections=["event_name"],
            ignore_order=False,
            limit=1,
            page=2,
            evaluation_id="run-1",
        )

        assert [e.event_id for e in page.events] == [EVENT_ID]
        assert page.total == 3
        assert sent_queries(mock_api, "GET", "/events") == [
            [
                ("evaluation_id", "run-1"),
                ("filters", '[{"field":"event_name","operator":"is","value":"a","type":"string"}]'),
                ("ignore_order", "false"),
                ("limit", "1"),
                ("page", "2"),
                ("projections[]", "event_name"),
            ]
        ]

    async def test_bad_arguments_fail_before_any_io(
        self, mock_api: aioresponses, mock_client: AsyncHoneyHive
    ) -> None:
        events = mock_client.events
        calls = [
            (events.delete(""), "event_id must be a non-empty string"),
            (events.chart(bucket="fortnight"), "bucket must be one of"),  # type: ignore[arg-type]
            (events.chart(aggregation="mode"), "aggregation must be one of"),  # type: ignore[arg-type]
            (events.chart(filters=[{"field": "x"}]), r"filters\[0\]"),
            (events.list(limit=0), "limit must be between"),
            (events.list(page=0), "page must be between"),
        ]
        for call, message in calls:
            with pytest.raises(ValueError, match=message):
                await call
        assert mock_api.requests == {}


class TestEventViewsRoundTrip:
    """The views and delete end to end against the local server."""

    async def test_schema_lists_the_fields_of_the_selected_events(
        self, client: AsyncHoneyHive
    ) -> None:
        run = await client.runs.create(name="schema", dataset_id="ds-1")
        session = await client.session.start(metadata={"run_id": run.run_id}, start_time=at(0))
        await client.events.create(
            event_type="model",
            event_name="answer",
            inputs={"q": "hi"},
            session_id=session.event_id,
            metadata={"run_id": run.run_id},
            metrics={"ok": True},
            start_time=at(1),
        )
        await client.events.create(event_type="tool", inputs={"other": 1}, start_time=at(50))

        schema = await client.events.schema(evaluation_id=run.run_id)

        names = {(f.name, f.event_type) for f in schema.fields}
        assert names == {
            ("inputs.q", "model"),
            ("metadata.run_id", "model"),
            ("metadata.run_id", "session"),
            ("metrics.ok", "model"),
        }
        assert schema.datasets == ["ds-1"]
        assert {m.field_name for m in schema.mappings["answer"]} == {
            "inputs.q",
            "metadata.run_id",
            "metrics.ok",
        }
        dated = await client.events.schema(date_range=(at(49), at(51)))
        assert [(f.name, f.event_type) for f in dated.fields] == [("inputs.other", "tool")]

    async def test_delete_removes_the_event_and_an_unknown_id_is_a_400(
        self, client: AsyncHoneyHive
    ) -> None:
        created = await client.events.create(event_type="tool", inputs={})

        deleted = await client.events.delete(created.event_id)

        assert deleted == DeleteEventResponse(success=True, deleted="1")
        with pytest.raises(BadRequestError) as caught:
            await client.events.delete(created.event_id)
        assert caught.value.error_code == "NOT_FOUND"

    async def test_chart_aggregates_a_metric_per_bucket_and_group(
        self, client: AsyncHoneyHive
    ) -> None:
        tag = str(uuid.uuid4())
        hour, day = 3_600_000, 86_400_000
        base = (at(0) // day + 1) * day  # a day's (so also an hour's) first millisecond
        for offset, name, score in [(0, "a", 1), (1, "a", 3), (2, "b", 10), (hour, "a", 5)]:
            await client.events.create(
                event_type="model",
                event_name=name,
                inputs={},
                metadata={"tag": tag},
                metrics={"score": score},
                start_time=base + offset,
            )
        mine = [{"field": "metadata.tag", "operator": "is", "value": tag, "type": "string"}]

        chart = await client.events.chart(
            filters=mine, metric="metrics.score", group_by="event_name", aggregation="sum"
        )

        assert chart.totalEvents == 4
        assert chart.events == [
            {"time": base, "count": 2, "value": 4.0, "group": "a"},
            {"time": base, "count": 1, "value": 10.0, "group": "b"},
            {"time": base + hour, "count": 1, "value": 5.0, "group": "a"},
        ]
        by_day = await client.events.chart(
            filters=mine, metric="metrics.score", bucket="day", aggregation="max"
        )
        assert by_day.events == [{"time": base, "count": 4, "value": 10.0}]
        none = await client.events.chart(filters=mine, only_experiments=True)
        assert (none.events, none.totalEvents) == ([], 0)

    async def test_list_pages_and_projects(self, client: AsyncHoneyHive) -> None:
        tag = str(uuid.uuid4())
        mine = [ExportFilter(field="metadata.tag", operator="is", value=tag, type="string")]
        assert (await client.events.list(filters=mine)).total == 0
        for i in range(3):
            await client.events.create(
                event_type="tool",
                event_name=f"e{i}",
                inputs={},
                metadata={"tag": tag},
                start_time=at(i),
            )

        first = await client.events.list(filters=mine, limit=2, page=1)
        last = await client.events.list(filters=mine, limit=2, page=2)
        whole = await client.events.list(filters=mine, limit=3, projections=["event_name"])

        assert [e.event_name for e in first.events] == ["e2", "e1"]
        assert [e.event_name for e in last.events] == ["e0"]
        assert first.total == last.total == whole.total == 3
        assert [e.event_name for e in whole.events] == ["e2", "e1", "e0"]
        assert [e.inputs for e in whole.events] == [None, None, None]
