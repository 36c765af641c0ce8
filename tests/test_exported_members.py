"""The public surface, pinned: every public module's `__all__`, sorted and complete.

Complete means every public name a module defines at its top level (a def, a class, an
assignment) is listed, and so is every name a package's `__init__` imports from inside the
package. Not counted: names with a leading underscore, TypeVars and ParamSpecs (typing helpers),
loggers, and pytest hook implementations (pytest finds those; nobody imports them). Sorted
means ruff's order (RUF022): CONSTANTS, then Classes, then the rest.

The lists are pinned, so that adding or removing a public name is a decision made here, not an
accident: change `PUBLIC` in the same commit.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import logging
import pkgutil
import re
from pathlib import Path
from types import ModuleType
from typing import Any, ParamSpec, TypeVar

import pytest

import honeyhive_async

PUBLIC: dict[str, list[str]] = {
    "honeyhive_async": [
        "NOT_GIVEN",
        "APIConnectionError",
        "APIError",
        "APIResponseDecodeError",
        "APIResponseTooLargeError",
        "APIStatusError",
        "APITimeoutError",
        "AsyncHoneyHive",
        "AuthenticationError",
        "BadRequestError",
        "ClientClosedError",
        "ConflictError",
        "CreateEventRequest",
        "DateRange",
        "EvaluationResult",
        "Event",
        "EventFilter",
        "EventType",
        "EventsPage",
        "ExportFilter",
        "ExportReport",
        "HoneyHiveError",
        "InternalServerError",
        "MetricCompilationError",
        "MetricExecutionError",
        "MetricLLMResponseParseError",
        "MetricTemplateRenderError",
        "MissingAPIKeyError",
        "NotFoundError",
        "NotGiven",
        "PartialBatchError",
        "PermissionDeniedError",
        "RateLimitError",
        "SessionTree",
        "Tracer",
        "UnprocessableEntityError",
        "__version__",
        "current_span",
        "enrich_session",
        "enrich_span",
        "errors",
        "evaluate",
        "evaluate_sync",
        "models",
        "trace",
        "trace_span",
    ],
    "honeyhive_async.cli": [
        "build_parser",
        "main",
    ],
    "honeyhive_async.dataset_transfer": [
        "DatasetTransferResult",
        "export_dataset",
        "import_dataset",
    ],
    "honeyhive_async.demo": [
        "answer_question",
        "count_tokens",
        "fake_model",
        "lookup_weather",
        "search_docs",
        "summarize",
    ],
    "honeyhive_async.errors": [
        "ERROR_BODY_LIMIT",
        "APIConnectionError",
        "APIError",
        "APIResponseDecodeError",
        "APIResponseTooLargeError",
        "APIStatusError",
        "APITimeoutError",
        "AuthenticationError",
        "BadRequestError",
        "ClientClosedError",
        "ConflictError",
        "HoneyHiveError",
        "InternalServerError",
        "MetricCompilationError",
        "MetricExecutionError",
        "MetricLLMResponseParseError",
        "MetricTemplateRenderError",
        "MissingAPIKeyError",
        "NotFoundError",
        "PartialBatchError",
        "PermissionDeniedError",
        "RateLimitError",
        "UnprocessableEntityError",
        "decode_error_body",
        "error_for_status",
    ],
    "honeyhive_async.experiments": [
        "Datapoint",
        "DatapointResult",
        "EvaluationResult",
        "Evaluator",
        "EvaluatorStats",
        "evaluate",
        "evaluate_sync",
        "external_datapoint_id",
        "external_dataset_id",
    ],
    "honeyhive_async.integrations": [
        "wrap_anthropic",
        "wrap_openai",
    ],
    "honeyhive_async.integrations.otel": [
        "HoneyHiveSpanProcessor",
    ],
    "honeyhive_async.models": [
        "AGGREGATE_FUNCTIONS",
        "CHART_AGGREGATIONS",
        "CHART_BUCKETS",
        "COMPARE_EVENTS_MAX_LIMIT",
        "DEFAULT_PAGE_LIMIT",
        "EVENT_TYPES",
        "EXPORT_MAX_LIMIT",
        "RUNS_MAX_LIMIT",
        "SEARCH_MAX_LIMIT",
        "SPAN_TYPES",
        "AddDatapointsResponse",
        "AddDatapointsToDatasetRequest",
        "AggregateFunction",
        "BatchCreateDatapointsRequest",
        "BatchCreateDatapointsResponse",
        "BatchDateRange",
        "Chart",
        "ChartAggregation",
        "ChartBucket",
        "ChartBucketing",
        "ChartResponse",
        "ChartsResponse",
        "ChildMetric",
        "ComparableEvent",
        "CompareEventsPage",
        "Configuration",
        "ConfigurationEnv",
        "ConfigurationsResponse",
        "CreateChartRequest",
        "CreateConfigurationRequest",
        "CreateConfigurationResponse",
        "CreateDatapointRequest",
        "CreateDatapointResponse",
        "CreateDatapointResult",
        "CreateDatasetRequest",
        "CreateDatasetResponse",
        "CreateEventBatchRequest",
        "CreateEventBatchResponse",
        "CreateEventRequest",
        "CreateEventResponse",
        "CreateMetricRequest",
        "CreateMetricResponse",
        "CreateMetricVersionRequest",
        "CreateProjectRequest",
        "CreateQueueRequest",
        "CreateRunRequest",
        "CreateRunResponse",
        "Datapoint",
        "DatapointMapping",
        "DatapointResult",
        "Dataset",
        "DateRange",
        "DeleteChartResponse",
        "DeleteConfigurationResponse",
        "DeleteDatapointResponse",
        "DeleteDatasetResponse",
        "DeleteEventResponse",
        "DeleteMetricResponse",
        "DeleteQueueResponse",
        "DeleteResult",
        "DeleteRunResponse",
        "DeleteSessionResponse",
        "Event",
        "EventComparisonDetail",
        "EventDetail",
        "EventFilter",
        "EventMetricData",
        "EventMetricMetadata",
        "EventType",
        "EventsChart",
        "EventsPage",
        "EventsSchema",
        "ExperimentRun",
        "ExportDateRange",
        "ExportEventsRequest",
        "ExportFilter",
        "FilterOperator",
        "FilterType",
        "GetDatapointResponse",
        "GetDatapointsResponse",
        "GetDatasetsResponse",
        "GetEventResponse",
        "GetRunResponse",
        "InsertResult",
        "JSONObject",
        "LegacyRunMetricRequest",
        "LegacyUpdateDatasetRequest",
        "LegacyUpdateMetricRequest",
        "Metric",
        "MetricCategory",
        "MetricComparison",
        "MetricDatapoints",
        "MetricDetail",
        "MetricFilters",
        "MetricReturnType",
        "MetricThreshold",
        "MetricType",
        "MetricVersion",
        "MetricVersionContent",
        "MetricVersionResponse",
        "MetricVersionsResponse",
        "MetricsAggregation",
        "MetricsResponse",
        "Model",
        "Pagination",
        "PassingRange",
        "Project",
        "ProjectType",
        "QueryFilter",
        "Queue",
        "QueueFilters",
        "QueueResponse",
        "QueuesResponse",
        "RemoveDatapointResponse",
        "RequestModel",
        "RunComparison",
        "RunMetricDefinition",
        "RunMetricRequest",
        "RunMetricResponse",
        "RunMetrics",
        "RunStatus",
        "RunSummary",
        "RunsPage",
        "RunsSortBy",
        "SchemaField",
        "SchemaMapping",
        "SearchEventsRequest",
        "SessionEventBatchRequest",
        "SessionProperties",
        "SessionTracesResponse",
        "SessionTree",
        "SpanType",
        "StartSessionRequest",
        "UpdateChartRequest",
        "UpdateConfigurationRequest",
        "UpdateConfigurationResponse",
        "UpdateDatapointRequest",
        "UpdateDatapointResponse",
        "UpdateDatapointResult",
        "UpdateDatasetRequest",
        "UpdateDatasetResponse",
        "UpdateEventRequest",
        "UpdateMetricRequest",
        "UpdateMetricResponse",
        "UpdateProjectRequest",
        "UpdateQueueRequest",
        "UpdateRunRequest",
        "UpdateRunResponse",
        "check_event_type",
        "check_limit",
        "parse_timestamp_ms",
    ],
    "honeyhive_async.models.charts": [
        "Chart",
        "ChartBucketing",
        "ChartResponse",
        "ChartsResponse",
        "CreateChartRequest",
        "DeleteChartResponse",
        "QueryFilter",
        "UpdateChartRequest",
    ],
    "honeyhive_async.models.configurations": [
        "Configuration",
        "ConfigurationEnv",
        "ConfigurationsResponse",
        "CreateConfigurationRequest",
        "CreateConfigurationResponse",
        "DeleteConfigurationResponse",
        "UpdateConfigurationRequest",
        "UpdateConfigurationResponse",
    ],
    "honeyhive_async.models.datapoints": [
        "BatchCreateDatapointsRequest",
        "BatchCreateDatapointsResponse",
        "BatchDateRange",
        "CreateDatapointRequest",
        "CreateDatapointResponse",
        "CreateDatapointResult",
        "Datapoint",
        "DatapointMapping",
        "DeleteDatapointResponse",
        "GetDatapointResponse",
        "GetDatapointsResponse",
        "UpdateDatapointRequest",
        "UpdateDatapointResponse",
        "UpdateDatapointResult",
    ],
    "honeyhive_async.models.datasets": [
        "AddDatapointsResponse",
        "AddDatapointsToDatasetRequest",
        "CreateDatasetRequest",
        "CreateDatasetResponse",
        "Dataset",
        "DeleteDatasetResponse",
        "DeleteResult",
        "GetDatasetsResponse",
        "InsertResult",
        "LegacyUpdateDatasetRequest",
        "RemoveDatapointResponse",
        "UpdateDatasetRequest",
        "UpdateDatasetResponse",
    ],
    "honeyhive_async.models.event_views": [
        "CHART_AGGREGATIONS",
        "CHART_BUCKETS",
        "ChartAggregation",
        "ChartBucket",
        "DeleteEventResponse",
        "EventsChart",
    ],
    "honeyhive_async.models.events": [
        "CreateEventBatchRequest",
        "CreateEventBatchResponse",
        "CreateEventRequest",
        "CreateEventResponse",
        "DateRange",
        "Event",
        "EventFilter",
        "EventType",
        "EventsPage",
        "ExportDateRange",
        "ExportEventsRequest",
        "ExportFilter",
        "FilterOperator",
        "FilterType",
        "FilterValue",
        "GetEventResponse",
        "SearchEventsRequest",
        "SessionProperties",
        "UpdateEventRequest",
    ],
    "honeyhive_async.models.metrics": [
        "ChildMetric",
        "CreateMetricRequest",
        "CreateMetricResponse",
        "CreateMetricVersionRequest",
        "DeleteMetricResponse",
        "LegacyRunMetricRequest",
        "LegacyUpdateMetricRequest",
        "Metric",
        "MetricCategory",
        "MetricFilters",
        "MetricReturnType",
        "MetricThreshold",
        "MetricType",
        "MetricVersion",
        "MetricVersionContent",
        "MetricVersionResponse",
        "MetricVersionsResponse",
        "MetricsResponse",
        "RunMetricDefinition",
        "RunMetricRequest",
        "RunMetricResponse",
        "UpdateMetricRequest",
        "UpdateMetricResponse",
    ],
    "honeyhive_async.models.projects": [
        "CreateProjectRequest",
        "Project",
        "ProjectType",
        "UpdateProjectRequest",
    ],
    "honeyhive_async.models.queues": [
        "CreateQueueRequest",
        "DeleteQueueResponse",
        "Queue",
        "QueueFilters",
        "QueueResponse",
        "QueuesResponse",
        "UpdateQueueRequest",
    ],
    "honeyhive_async.models.run_results": [
        "AGGREGATE_FUNCTIONS",
        "COMPARE_EVENTS_MAX_LIMIT",
        "AggregateFunction",
        "ComparableEvent",
        "CompareEventsPage",
        "DatapointResult",
        "EventComparisonDetail",
        "EventDetail",
        "EventMetricData",
        "EventMetricMetadata",
        "EventsSchema",
        "MetricComparison",
        "MetricDatapoints",
        "MetricDetail",
        "MetricsAggregation",
        "RunComparison",
        "RunMetrics",
        "RunSummary",
        "SchemaField",
        "SchemaMapping",
    ],
    "honeyhive_async.models.runs": [
        "RUNS_MAX_LIMIT",
        "CreateRunRequest",
        "CreateRunResponse",
        "DeleteRunResponse",
        "ExperimentRun",
        "GetRunResponse",
        "Pagination",
        "PassingRange",
        "RunStatus",
        "RunsPage",
        "RunsSortBy",
        "UpdateRunRequest",
        "UpdateRunResponse",
    ],
    "honeyhive_async.models.sessions": [
        "DeleteSessionResponse",
        "SessionEventBatchRequest",
        "SessionTracesResponse",
        "SessionTree",
        "StartSessionRequest",
    ],
    "honeyhive_async.render": [
        "render_waterfall",
    ],
    "honeyhive_async.resources": [
        "AsyncCharts",
        "AsyncConfigurations",
        "AsyncDatapoints",
        "AsyncDatasets",
        "AsyncEvents",
        "AsyncMetrics",
        "AsyncProjects",
        "AsyncQueues",
        "AsyncRuns",
        "AsyncSessions",
    ],
    "honeyhive_async.resources.charts": [
        "AsyncCharts",
    ],
    "honeyhive_async.resources.configurations": [
        "AsyncConfigurations",
    ],
    "honeyhive_async.resources.datapoints": [
        "IDS_PER_REQUEST",
        "AsyncDatapoints",
    ],
    "honeyhive_async.resources.datasets": [
        "AsyncDatasets",
    ],
    "honeyhive_async.resources.event_views": [
        "AsyncEventViews",
        "EventsDateRange",
    ],
    "honeyhive_async.resources.events": [
        "AsyncEvents",
        "DateRangeArg",
    ],
    "honeyhive_async.resources.metrics": [
        "AsyncMetrics",
    ],
    "honeyhive_async.resources.projects": [
        "AsyncProjects",
    ],
    "honeyhive_async.resources.queues": [
        "AsyncQueues",
    ],
    "honeyhive_async.resources.runs": [
        "AsyncRuns",
        "RunsDateRange",
    ],
    "honeyhive_async.resources.sessions": [
        "AsyncSessions",
    ],
    "honeyhive_async.server": [
        "FAULTS_KEY",
        "LOCAL_API_KEY",
        "REQUESTS_KEY",
        "STORE_KEY",
        "EventStore",
        "Fault",
        "FaultSwitch",
        "LocalServer",
        "RecordedRequest",
        "create_app",
    ],
    "honeyhive_async.server.aggregates": [
        "AGGREGATE_FUNCTIONS",
        "aggregate",
        "difference",
        "metric_number",
        "percentage_change",
        "percentile",
    ],
    "honeyhive_async.server.app": [
        "FAULTS_KEY",
        "MAX_BODY_BYTES",
        "REQUESTS_KEY",
        "REQUEST_LOG_SIZE",
        "STORE_KEY",
        "RecordedRequest",
        "create_app",
    ],
    "honeyhive_async.server.faults": [
        "ADMIN_PATH",
        "BATCH_PATH",
        "Fault",
        "FaultRequest",
        "FaultSwitch",
        "fault_middleware",
        "status_code_name",
    ],
    "honeyhive_async.server.filters": [
        "MISSING",
        "Filter",
        "FilterError",
        "as_number",
        "coerce",
        "filter_kind",
        "matches",
        "project_fields",
        "resolve",
        "validate_filter",
    ],
    "honeyhive_async.server.legacy_bodies": [
        "MODEL_INPUT_ALIASES",
        "BodyError",
        "LegacyBatch",
        "LegacyEvent",
        "LegacyModelEvent",
        "LegacySession",
        "LegacyUpdate",
        "event_request",
        "integer_times",
        "model_event_request",
        "session_request",
        "unwrap",
        "update_request",
    ],
    "honeyhive_async.server.otlp": [
        "Decoded",
        "OtlpError",
        "ProtobufUnavailable",
        "SpanData",
        "SpanEventData",
        "decode_json",
        "decode_protobuf",
        "encode_json_response",
        "encode_protobuf_response",
        "encode_status",
        "event_id_of",
        "map_span",
        "trace_session_id",
    ],
    "honeyhive_async.server.routes": [
        "ROUTE_TABLES",
        "admin",
        "charts",
        "configurations",
        "datapoints",
        "datasets",
        "event_views",
        "events",
        "legacy",
        "metrics",
        "otlp",
        "projects",
        "queues",
        "runs",
        "sessions",
    ],
    "honeyhive_async.server.routes.otlp": [
        "ROUTES",
        "export_traces",
    ],
    "honeyhive_async.server.routes.admin": [
        "ROUTES",
        "arm_fault",
        "clear_faults",
        "fault_state",
    ],
    "honeyhive_async.server.routes.charts": [
        "ROUTES",
        "create_chart",
        "delete_chart",
        "get_chart",
        "list_charts",
        "update_chart",
    ],
    "honeyhive_async.server.routes.configurations": [
        "ROUTES",
        "create_configuration",
        "delete_configuration",
        "list_configurations",
        "update_configuration",
    ],
    "honeyhive_async.server.routes.datapoints": [
        "MAX_DEPTH",
        "ROUTES",
        "check_depth",
        "create_datapoint",
        "create_datapoints_batch",
        "delete_datapoint",
        "get_datapoint",
        "list_datapoints",
        "update_datapoint",
    ],
    "honeyhive_async.server.routes.datasets": [
        "ROUTES",
        "add_datapoints",
        "create_dataset",
        "delete_dataset",
        "delete_dataset_legacy",
        "list_datasets",
        "remove_datapoint",
        "update_dataset",
        "update_dataset_legacy",
    ],
    "honeyhive_async.server.routes.event_views": [
        "ROUTES",
        "events_chart",
        "events_schema",
        "list_events",
    ],
    "honeyhive_async.server.routes.events": [
        "ROUTES",
        "create_batch",
        "create_event",
        "delete_event",
        "export_events",
        "get_event",
        "search_events",
        "timestamp",
        "update_event",
    ],
    "honeyhive_async.server.routes.legacy": [
        "ROUTES",
        "add_session_traces",
        "create_event_batch_legacy",
        "create_event_legacy",
        "create_model_event_batch",
        "create_model_event_legacy",
        "export_events_old",
        "start_session_legacy",
        "update_event_legacy",
    ],
    "honeyhive_async.server.routes.metrics": [
        "ROUTES",
        "create_metric",
        "create_version",
        "delete_metric",
        "delete_metric_legacy",
        "deploy_version",
        "list_metrics",
        "list_versions",
        "run_metric",
        "run_metric_legacy",
        "update_metric",
        "update_metric_legacy",
    ],
    "honeyhive_async.server.routes.projects": [
        "ROUTES",
        "create_project",
        "delete_project",
        "list_projects",
        "update_project",
    ],
    "honeyhive_async.server.routes.queues": [
        "ROUTES",
        "create_queue",
        "delete_queue",
        "get_queue",
        "list_queues",
        "update_queue",
    ],
    "honeyhive_async.server.routes.runs": [
        "ROUTES",
        "compare_events",
        "compare_events_legacy",
        "compare_runs",
        "create_run",
        "delete_run",
        "get_run",
        "list_runs",
        "run_metrics",
        "run_schema",
        "run_summary",
        "runs_schema",
        "update_run",
    ],
    "honeyhive_async.server.routes.sessions": [
        "ROUTES",
        "add_session_events",
        "delete_session",
        "get_session_event",
        "get_session_tree",
        "start_session",
        "with_org",
    ],
    "honeyhive_async.server.store": [
        "LOCAL_ORG_ID",
        "LOCAL_PROJECT_ID",
        "LOCAL_WORKSPACE_ID",
        "BatchResult",
        "Charts",
        "Configurations",
        "Database",
        "Datapoints",
        "Datasets",
        "Doc",
        "EventDict",
        "EventQuery",
        "EventStore",
        "EventTable",
        "Events",
        "FilterError",
        "Metrics",
        "Projects",
        "Queues",
        "Runs",
        "Sessions",
        "SpanEvent",
        "Spans",
        "Store",
        "project_fields",
    ],
    "honeyhive_async.server.store.charts": [
        "Charts",
    ],
    "honeyhive_async.server.store.configurations": [
        "Configurations",
    ],
    "honeyhive_async.server.store.datapoints": [
        "DatapointDict",
        "Datapoints",
        "iso_now",
        "map_row",
        "new_object_id",
    ],
    "honeyhive_async.server.store.datasets": [
        "DatasetDict",
        "Datasets",
    ],
    "honeyhive_async.server.store.event_views": [
        "SCHEMA_SECTIONS",
        "chart_of",
        "schema_of",
    ],
    "honeyhive_async.server.store.events": [
        "BatchResult",
        "EventQuery",
        "Events",
    ],
    "honeyhive_async.server.store.metrics": [
        "MetricDict",
        "Metrics",
    ],
    "honeyhive_async.server.store.projects": [
        "Projects",
    ],
    "honeyhive_async.server.store.queues": [
        "Queues",
        "public",
    ],
    "honeyhive_async.server.store.run_results": [
        "EventSelection",
        "RunResults",
        "datapoint_of",
    ],
    "honeyhive_async.server.store.runs": [
        "RunDict",
        "RunQuery",
        "Runs",
        "iso_ms",
    ],
    "honeyhive_async.server.store.sessions": [
        "MAX_TREE_DEPTH",
        "Sessions",
    ],
    "honeyhive_async.server.store.spans": [
        "SpanEvent",
        "Spans",
    ],
    "honeyhive_async.testing": [
        "honeyhive_server",
    ],
    "honeyhive_async.tracing": [
        "DEFAULT_REDACT_KEYS",
        "REDACTED",
        "REDACTION_FAILED",
        "ContextExecutor",
        "ExportReport",
        "Session",
        "SessionScope",
        "Span",
        "SpanRecord",
        "Tracer",
        "current_span",
        "enrich_session",
        "enrich_span",
        "get_default_tracer",
        "set_default_tracer",
        "trace",
        "trace_span",
    ],
    "honeyhive_async.transfer": [
        "IMPORT_BATCH_SIZE",
        "PARTIAL_RESENDS",
        "TransferError",
        "TransferResult",
        "export_events",
        "import_events",
        "parse_filter",
    ],
}

# Public names deliberately left out of a module's `__all__` (none today). Pinned too, so that
# no unlisted name slips in.
UNLISTED: dict[str, set[str]] = {}


def _public_modules() -> list[str]:
    names = ["honeyhive_async"]
    for info in pkgutil.walk_packages(honeyhive_async.__path__, "honeyhive_async."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def _bound_at_top(tree: ast.Module, *, package: bool) -> set[str]:
    """Names a module binds at run time at its top level (not under `if TYPE_CHECKING:`)."""
    names: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            elif isinstance(node, ast.ImportFrom) and node.level and package:
                names.update(alias.asname or alias.name for alias in node.names)
            elif isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(tree.body)
    return names


def _is_api(name: str, value: Any) -> bool:
    if name.startswith("_"):
        return False
    if isinstance(value, (TypeVar, ParamSpec, logging.Logger)):
        return False
    return not (name.startswith("pytest_") and callable(value))


def _public_names(module: ModuleType) -> set[str]:
    """The public names `module` defines or, as a package, re-exports."""
    path = Path(inspect.getfile(module))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bound = _bound_at_top(tree, package=path.name == "__init__.py")
    return {name for name in bound if _is_api(name, getattr(module, name, None))}


def _ruff_order(name: str) -> tuple[int, list[Any]]:
    if len(name) > 1 and name.isupper():
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    natural = [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
    return kind, natural


def test_every_public_module_is_pinned() -> None:
    assert _public_modules() == sorted(PUBLIC)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_all_is_pinned_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(getattr(module, "__all__", []))

    assert exported == PUBLIC[name]
    assert exported == sorted(exported, key=_ruff_order)
    assert len(set(exported)) == len(exported)
    assert [n for n in exported if not hasattr(module, n)] == []
    assert _public_names(module) - set(exported) == UNLISTED.get(name, set())
