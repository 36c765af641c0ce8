"""What the event views compute from stored events: the schema and the chart buckets.

Pure functions over event dicts; the routes select the events (filters, dates, run).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from ..aggregates import aggregate, metric_number, percentile
from ..filters import MISSING, resolve
from ._db import EventDict

__all__ = [
    "SCHEMA_SECTIONS",
    "chart_of",
    "schema_of",
]

SCHEMA_SECTIONS = ("inputs", "outputs", "metadata", "metrics", "feedback", "config")
"""The free-form sections whose keys a schema lists as fields (``inputs.question``)."""

_MINUTE = 60_000.0
_BUCKET_MS = {
    **dict.fromkeys(("minute", "minutes", "1m"), _MINUTE),
    **dict.fromkeys(("hour", "hours", "1h"), 60 * _MINUTE),
    **dict.fromkeys(("day", "days", "1d"), 24 * 60 * _MINUTE),
    **dict.fromkeys(("week", "weeks", "1w"), 7 * 24 * 60 * _MINUTE),
}
_MONTHS = ("month", "months", "1M")
_FRACTIONS = {"p50": 0.5, "median": 0.5, "p75": 0.75, "p90": 0.9, "p95": 0.95, "p99": 0.99}
_AVERAGES = ("avg", "average", "mean")


def schema_of(events: Iterable[EventDict], datasets: Iterable[str]) -> dict[str, Any]:
    """Return `GetEventsSchemaResponse`: the fields `events` carry, overall and by event name."""
    fields: dict[tuple[str, str], None] = {}
    mappings: dict[str, dict[tuple[str, str], None]] = {}
    for event in events:
        kind = str(event.get("event_type") or "")
        own = mappings.setdefault(str(event.get("event_name") or ""), {})
        for section in SCHEMA_SECTIONS:
            value = event.get(section)
            for key in value if isinstance(value, dict) else ():
                fields[(f"{section}.{key}", kind)] = None
                own[(f"{section}.{key}", kind)] = None
    return {
        "fields": [{"name": n, "event_type": t} for n, t in sorted(fields)],
        "datasets": sorted(set(datasets)),
        "mappings": {
            name: [{"field_name": f, "event_type": t} for f, t in sorted(entries)]
            for name, entries in sorted(mappings.items())
            if entries
        },
    }


def chart_of(
    events: Iterable[EventDict],
    *,
    metric: str,
    group_by: str | None,
    bucket: str,
    aggregation: str,
) -> dict[str, Any]:
    """Return `GetEventsChartResponse`: `metric` aggregated per time bucket (and group).

    Each item is ``{"time": bucket start (Unix ms), "value", "count"}`` plus ``"group"`` when
    `group_by` is given; oldest bucket first. An event without a numeric `metric` counts for
    ``count`` only; one without a `start_time` is left out.
    """
    cells: dict[tuple[float, str], list[float | None]] = {}
    total = 0
    for event in events:
        start = metric_number(event.get("start_time"))
        if start is None:
            continue
        total += 1
        group = "" if group_by is None else _group_value(resolve(event, group_by))
        value = resolve(event, metric)
        cells.setdefault((_bucket_start(start, bucket), group), []).append(
            None if value is MISSING else metric_number(value)
        )
    items = []
    for (time, group), raw in sorted(cells.items()):
        values = [v for v in raw if v is not None]
        item: dict[str, Any] = {"time": time, "count": len(raw)}
        combined = float(len(raw)) if aggregation == "count" else _combine(values, aggregation)
        if combined is not None:  # no numeric value in the bucket: the key is left out
            item["value"] = combined
        if group_by is not None:
            item["group"] = group
        items.append(item)
    return {"events": items, "totalEvents": total}


def _group_value(value: Any) -> str:
    return "" if value is MISSING or value is None else str(value)


def _bucket_start(start_ms: float, bucket: str) -> float:
    if bucket in _MONTHS:
        try:
            moment = dt.datetime.fromtimestamp(start_ms / 1000.0, tz=dt.timezone.utc)
        except (OverflowError, OSError, ValueError):  # outside the calendar: its own bucket
            return start_ms
        first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return first.timestamp() * 1000.0
    size = _BUCKET_MS[bucket]
    return (start_ms // size) * size


def _combine(values: list[float], aggregation: str) -> float | None:
    if aggregation in _AVERAGES:
        return aggregate(values, "average")
    if aggregation in _FRACTIONS:
        return percentile(sorted(values), _FRACTIONS[aggregation]) if values else None
    return aggregate(values, aggregation)  # sum, min, max
