"""Which client method calls which operation of HoneyHive's OpenAPI specs, by ``operationId``.

Keys are the operationIds of the merged specs (data plane v1.2.1, then the preview v1.1.0's
operations the data plane lacks); values are a method's dotted name under the client
(``"events.create"`` is ``client.events.create``). tests/test_spec_coverage.py resolves every
value against the real attributes, and `tools.api_coverage` reads this table to write
docs/API-COVERAGE.md: add a line here with every new method.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CLIENT_METHODS"]

CLIENT_METHODS: Mapping[str, str] = {
    # sessions
    "createSession": "session.start",
    "getSession": "session.get_tree",
    "deleteSession": "session.delete",
    "createSessionEventBatch": "session.add_events",
    # events
    "createEvent": "events.create",
    "getEvent": "events.get",
    "updateEvent": "events.update",
    "createEventBatch": "events.create_batch",
    "searchEvents": "events.search",
    "exportEventsLegacy": "events.export",
    "getEventsSchemaLegacy": "events.schema",
    "getEvents": "events.list",
    "getEventsChart": "events.chart",
    "deleteEvent": "events.delete",
    # datapoints
    "getDatapoints": "datapoints.list",
    "createDatapoint": "datapoints.create",
    "batchCreateDatapoints": "datapoints.create_batch",
    "getDatapoint": "datapoints.get",
    "updateDatapoint": "datapoints.update",
    "deleteDatapoint": "datapoints.delete",
    # datasets
    "getDatasets": "datasets.list",
    "createDataset": "datasets.create",
    "updateDataset": "datasets.update",
    "deleteDataset": "datasets.delete",
    "addDatapoints": "datasets.add_datapoints",
    "removeDatapoint": "datasets.remove_datapoint",
    # runs (experiments)
    "createRun": "runs.create",
    "getRuns": "runs.list",
    "getRun": "runs.get",
    "updateRun": "runs.update",
    "deleteRun": "runs.delete",
    "getRunsSchema": "runs.schema",
    "getRunSchema": "runs.schema",
    "getExperimentRunMetrics": "runs.metrics",
    "getExperimentSummary": "runs.summary",
    "getExperimentComparison": "runs.compare",
    "getExperimentCompareEvents": "runs.compare_events",
    # metrics
    "getMetrics": "metrics.list",
    "createMetric": "metrics.create",
    "updateMetric": "metrics.update",
    "deleteMetric": "metrics.delete",
    "runMetric": "metrics.run",
    "getMetricVersions": "metrics.list_versions",
    "createMetricVersion": "metrics.create_version",
    "deployMetricVersion": "metrics.deploy_version",
    # configurations
    "getConfigurations": "configurations.list",
    "createConfiguration": "configurations.create",
    "updateConfiguration": "configurations.update",
    "deleteConfiguration": "configurations.delete",
    # projects (preview spec)
    "getProjects": "projects.list",
    "createProject": "projects.create",
    "updateProject": "projects.update",
    "deleteProject": "projects.delete",
    # charts
    "getCharts": "charts.list",
    "createChart": "charts.create",
    "getChart": "charts.get",
    "updateChart": "charts.update",
    "deleteChart": "charts.delete",
    # annotation queues
    "getQueues": "queues.list",
    "createQueue": "queues.create",
    "getQueue": "queues.get",
    "updateQueue": "queues.update",
    "deleteQueue": "queues.delete",
}
"""operationId -> the client method (dotted, under the client) that calls it."""
