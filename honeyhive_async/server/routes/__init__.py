"""The route tables of the local server: one module per API group, each with its `ROUTES`.

`create_app` installs `ROUTE_TABLES` in order. Order matters only where paths overlap: aiohttp
tries routes in the order they were added, so a fixed path (``/v1/events/batch``) goes before
a parameter path that would also match it (``/v1/events/{event_id}``).
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from . import (
    admin,
    charts,
    configurations,
    datapoints,
    datasets,
    event_views,
    events,
    legacy,
    metrics,
    otlp,
    projects,
    queues,
    runs,
    sessions,
)

__all__ = [
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
]

ROUTE_TABLES: Sequence[Sequence[web.RouteDef]] = (
    sessions.ROUTES,
    event_views.ROUTES,  # before events: `{event_id}` would match its fixed paths
    events.ROUTES,
    legacy.ROUTES,  # the wrapped routes of the official SDKs (`/session/start`, `/events`, ...)
    datapoints.ROUTES,
    datasets.ROUTES,
    runs.ROUTES,
    metrics.ROUTES,
    configurations.ROUTES,
    projects.ROUTES,
    charts.ROUTES,
    queues.ROUTES,
    otlp.ROUTES,
    admin.ROUTES,
)
"""Every group's route table, in the order `create_app` installs them."""
