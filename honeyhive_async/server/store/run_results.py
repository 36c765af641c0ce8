"""What the local server computes from a run's sessions: summary, comparison, metrics, schema.

A run's datapoints are its sessions: a session's datapoint is its `metadata.datapoint_id`
(the session id stands in when it has none). Metrics are the `metrics` of every event of those
sessions; a value counts when it is a number or a boolean (1 or 0). Two runs compare over the
datapoints both have. The shapes are the spec's; the arithmetic is in `server/aggregates.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ...models import EventFilter
from ..aggregates import aggregate, difference, metric_number, percentage_change
from ..filters import matches, validate_filter
from ._db import EventDict
from .event_views import schema_of
from .runs import RunDict, Runs, Scored, SessionHead

__all__ = ["EventSelection", "RunResults", "datapoint_of"]

_METRIC_TYPE = "CLIENT_SIDE"
"""Metrics stored on events are what the caller's own evaluators computed."""


@dataclass(frozen=True)
class EventSelection:
    """Which events of a run count: filters, a name, a type, a `start_time` range (ms)."""

    filters: Sequence[EventFilter] = ()
    event_name: str | None = None
    event_type: str | None = None
    start_from: float | None = None
    start_to: float | None = None

    @property
    def keeps_all(self) -> bool:
        """Whether every event is selected (no test to run per event)."""
        return not self.filters and self == EventSelection(filters=self.filters)

    def check(self) -> None:
        """Raise `FilterError` for a filter whose value does not convert to its type."""
        for item in self.filters:
            validate_filter(item)

    def keeps(self, event: EventDict) -> bool:
        """Return whether `event` is selected."""
        if self.event_name is not None and event.get("event_name") != self.event_name:
            return False
        if self.event_type is not None and event.get("event_type") != self.event_type:
            return False
        start = metric_number(event.get("start_time"))
        if self.start_from is not None and (start is None or start < self.start_from):
            return False
        if self.start_to is not None and (start is None or start > self.start_to):
            return False
        return all(matches(event, item) for item in self.filters)


def datapoint_of(session: EventDict) -> str | None:
    """Return the session's `metadata.datapoint_id`, or None."""
    return _datapoint_in(session.get("metadata"))


def _datapoint_in(metadata: Any) -> str | None:
    value = metadata.get("datapoint_id") if isinstance(metadata, dict) else None
    return value if isinstance(value, str) and value else None


def _metric_values(event: EventDict) -> Iterable[tuple[str, Any, float]]:
    return _numbers(event.get("metrics"))


def _numbers(metrics: Any) -> Iterable[tuple[str, Any, float]]:
    if not isinstance(metrics, dict):
        return
    for name, raw in metrics.items():
        number = metric_number(raw)
        if number is not None:
            yield name, raw, number


def _passes(raw: Any, number: float, passing: dict[str, Any] | None) -> bool:
    if passing:
        low, high = passing.get("min"), passing.get("max")
        return (low is None or number >= low) and (high is None or number <= high)
    return bool(raw) if isinstance(raw, bool) else True


def _kinds(events: Iterable[EventDict]) -> dict[tuple[str, str], None]:
    return {(str(e.get("event_name") or ""), str(e.get("event_type") or "")): None for e in events}


class RunResults:
    """Summaries, comparisons, metrics and schemas over the runs store."""

    def __init__(self, runs: Runs) -> None:
        """Read runs and their sessions through `runs`."""
        self._runs = runs

    def _events(self, session: EventDict, selection: EventSelection) -> list[EventDict]:
        events = self._runs.events(session["event_id"])
        if selection.keeps_all:  # the usual case: no test per event
            return events
        return [e for e in events if selection.keeps(e)]

    def _scored(
        self, heads: Sequence[SessionHead], selection: EventSelection
    ) -> dict[str, list[Scored]]:
        """The name, type and metrics of each session's selected events, by session id."""
        if selection.keeps_all:  # the usual case: one query, three fields decoded
            return self._runs.scored([head.event_id for head in heads])
        return {
            head.event_id: [
                Scored(e.get("event_name"), e.get("event_type"), e.get("metrics"))
                for e in self._runs.events(head.event_id)
                if selection.keeps(e)
            ]
            for head in heads
        }

    def summary(self, run: RunDict, function: str, selection: EventSelection) -> dict[str, Any]:
        """Return `GetExperimentRunResultResponse` for the run."""
        ranges: dict[str, Any] = self._runs.extra(run["run_id"]).get("passing_ranges") or {}
        # Each value's datapoint key, number and pass, by (metric, event name, event type):
        # whether a value passes is worked out once, for its datapoint and its detail alike.
        details: dict[tuple[str, str, str], list[tuple[str, float, bool]]] = {}
        datapoints: list[dict[str, Any]] = []
        passed: list[str] = []
        failed: list[str] = []
        seen_kinds: dict[tuple[str, str], None] = {}
        heads = self._runs.session_heads(run)
        scored = self._scored(heads, selection)
        for head in heads:
            datapoint = _datapoint_in(head.metadata)
            key = datapoint or head.event_id
            results = []
            session_passed = True
            for event in scored[head.event_id]:
                name, kind = str(event.event_name or ""), str(event.event_type or "")
                seen_kinds[name, kind] = None
                if not event.metrics:  # most events of a run: no generator made for them
                    continue
                for metric, raw, number in _numbers(event.metrics):
                    ok = _passes(raw, number, ranges.get(metric))
                    found = details.get((metric, name, kind))
                    if found is None:
                        found = details[metric, name, kind] = []
                    found.append((key, number, ok))
                    session_passed = session_passed and ok
                    # `name`, as the official SDK reads a datapoint's metrics (the spec leaves it open)
                    results.append(
                        {"name": metric, "event_name": name, "event_type": kind, "value": raw}
                        | {"passed": ok}
                    )
            (passed if session_passed else failed).append(key)
            datapoints.append(
                {"session_id": head.event_id, "passed": session_passed}
                | {"datapoint_id": datapoint, "metrics": results}
            )
        return {
            "status": run.get("status") or "pending",
            "success": True,
            "passed": passed,
            "failed": failed,
            "metrics": {
                "aggregation_function": function,
                "details": [
                    self._detail(metric, name, kind, function, found, ranges.get(metric))
                    for (metric, name, kind), found in sorted(details.items())
                ],
            },
            "datapoints": datapoints,
            "event_details": [{"event_name": n, "event_type": t} for n, t in seen_kinds],
            "run_object": run,
        }

    @staticmethod
    def _detail(
        metric: str,
        name: str,
        kind: str,
        function: str,
        found: list[tuple[str, float, bool]],
        passing: dict[str, Any] | None,
    ) -> dict[str, Any]:
        values = [number for _, number, _ in found]
        detail: dict[str, Any] = {
            "metric_name": metric,
            "metric_type": _METRIC_TYPE,
            "event_name": name,
            "event_type": kind,
            "values": values,
            "datapoints": {
                "passed": [key for key, _, ok in found if ok],
                "failed": [key for key, _, ok in found if not ok],
            },
        }
        result = aggregate(values, function)
        if result is not None:
            detail["aggregate"] = result
        if passing:
            detail["passing_range"] = passing
        return detail

    def _by_datapoint(self, run: RunDict) -> dict[str, EventDict]:
        found: dict[str, EventDict] = {}
        for session in self._runs.sessions(run):
            datapoint = datapoint_of(session)
            if datapoint is not None:
                found.setdefault(datapoint, session)
        return found

    def compare(
        self, new: RunDict, old: RunDict, function: str, selection: EventSelection
    ) -> dict[str, Any]:
        """Return `GetExperimentRunCompareResponse`: metrics over the common datapoints."""
        new_points, old_points = self._by_datapoint(new), self._by_datapoint(old)
        common = [point for point in new_points if point in old_points]
        values: tuple[dict[str, list[float]], dict[str, list[float]]] = ({}, {})
        for side, points in zip(values, (new_points, old_points), strict=True):
            for point in common:
                for event in self._events(points[point], selection):
                    for metric, _, number in _metric_values(event):
                        side.setdefault(metric, []).append(number)
        metrics = []
        for metric in sorted({*values[0], *values[1]}):
            row: dict[str, Any] = {"metric_name": metric, "metric_type": _METRIC_TYPE}
            new_value = (
                aggregate(values[0].get(metric, []), function) if metric in values[0] else None
            )
            old_value = (
                aggregate(values[1].get(metric, []), function) if metric in values[1] else None
            )
            if old_value is not None:
                row["old_aggregate"] = old_value
            if new_value is not None:
                row["new_aggregate"] = new_value
            if old_value is not None and new_value is not None:
                # Left out when past the float range: JSON would carry it as null.
                for key, value in (
                    ("difference", difference(old_value, new_value)),
                    ("percentage_change", percentage_change(old_value, new_value)),
                ):
                    if value is not None:
                        row[key] = value
            metrics.append(row)
        new_kinds = self._all_kinds(new, selection)
        old_kinds = self._all_kinds(old, selection)
        presence = {kind: "both" if kind in old_kinds else "new" for kind in new_kinds}
        presence |= {kind: "old" for kind in old_kinds if kind not in new_kinds}
        return {
            "metrics": metrics,
            "commonDatapoints": common,
            "event_details": [
                {"event_name": n, "event_type": t, "presence": p} for (n, t), p in presence.items()
            ],
            "old_run": old,
            "new_run": new,
        }

    def _all_kinds(self, run: RunDict, selection: EventSelection) -> dict[tuple[str, str], None]:
        kinds: dict[tuple[str, str], None] = {}
        for session in self._runs.sessions(run):
            kinds.update(_kinds(self._events(session, selection)))
        return kinds

    def compare_events(
        self, new: RunDict, old: RunDict, selection: EventSelection, limit: int, page: int
    ) -> dict[str, Any]:
        """Return `GetExperimentCompareEventsResponse`: one page of events paired by datapoint.

        In each common datapoint, an event of the new run is paired with the first event of
        the same name and type in the old run.
        """
        new_points, old_points = self._by_datapoint(new), self._by_datapoint(old)
        pairs = []
        for point, session in new_points.items():
            if point not in old_points:
                continue
            olds: dict[tuple[str, str], EventDict] = {}
            for event in self._events(old_points[point], selection):
                olds.setdefault(next(iter(_kinds([event]))), event)
            for event in self._events(session, selection):
                match = olds.get(next(iter(_kinds([event]))))
                if match is not None:
                    pairs.append({"datapoint_id": point, "event_1": event, "event_2": match})
        start = (page - 1) * limit
        return {"events": pairs[start : start + limit], "totalEvents": len(pairs)}

    def metrics(self, run: RunDict, selection: EventSelection) -> dict[str, Any]:
        """Return `GetExperimentRunMetricsResponse`: every selected event that has metrics."""
        rows = []
        for session in self._runs.sessions(run):
            datapoint = datapoint_of(session)
            for event in self._events(session, selection):
                values = {
                    name: raw if isinstance(raw, bool) else number
                    for name, raw, number in _metric_values(event)
                }
                if not values:
                    continue
                rows.append(
                    {
                        "event_name": str(event.get("event_name") or ""),
                        "event_type": str(event.get("event_type") or ""),
                        "session_id": session["event_id"],
                        "metadata": {} if datapoint is None else {"datapoint_id": datapoint},
                        "metrics": values,
                    }
                )
        return {"events": rows, "totalEvents": len(rows)}

    def schema(self, runs: Iterable[RunDict], selection: EventSelection) -> dict[str, Any]:
        """Return `GetEventsSchemaResponse`: the fields the selected events of `runs` carry."""
        listed = list(runs)
        events = [
            event
            for run in listed
            for session in self._runs.sessions(run)
            for event in self._events(session, selection)
        ]
        datasets = [r["dataset_id"] for r in listed if isinstance(r.get("dataset_id"), str)]
        return schema_of(events, datasets)
