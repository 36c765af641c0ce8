"""The experiment pages: the runs list, a run with its evaluator summary, two runs compared.

Summaries and comparisons come from `RunResults`, the code behind ``GET /v1/runs/{id}/summary``
and ``GET /v1/runs/{new}/compare/{old}``, so the page and the API cannot disagree.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .._http import STORE_KEY
from ..aggregates import aggregate, difference, metric_number
from ..store.run_results import EventSelection, RunResults
from ..store.runs import RunDict, RunQuery
from ._auth import require_session
from ._html import esc, json_block, page, page_response, qs, seg
from .errors import not_found

__all__ = [
    "compare",
    "compare_form",
    "compare_redirect",
    "datapoint_scores",
    "run",
    "runs",
    "verdict",
]

_PAGE_SIZE = 50


def _run_link(item: RunDict) -> str:
    run_id = str(item.get("run_id"))
    return (
        f'<a class="run-link" href="/ui/runs/{esc(seg(run_id))}">'
        f"{esc(item.get('name') or run_id)}</a>"
    )


async def runs(request: web.Request) -> web.Response:
    """``GET /ui/runs``: experiment runs, newest first, paged."""
    csrf = require_session(request)
    try:
        number = min(max(int(request.query.get("page", "1")), 1), 1_000_000)
    except ValueError:
        number = 1
    found, total, _ = request.app[STORE_KEY].runs.page(RunQuery(page=number, limit=_PAGE_SIZE))
    body = ["<h1>Experiment runs</h1>"]
    if found:
        body.append(
            '<table id="runs"><thead><tr><th>Name</th><th>Status</th><th>Created</th>'
            "<th>Dataset</th></tr></thead><tbody>"
        )
        for item in found:
            dataset = item.get("dataset_id")
            dataset_cell = (
                f'<a href="/ui/datasets/{esc(seg(dataset))}">{esc(dataset)}</a>'
                if isinstance(dataset, str) and dataset
                else ""
            )
            body.append(
                f'<tr class="run-row" data-run-id="{esc(item.get("run_id"))}">'
                f"<td>{_run_link(item)}</td><td>{esc(item.get('status') or '')}</td>"
                f"<td>{esc(item.get('created_at') or '')}</td><td>{dataset_cell}</td></tr>"
            )
        body.append("</tbody></table>")
    else:
        body.append('<p id="empty">No experiment runs yet.</p>')
    links = []
    if number > 1:
        links.append(
            f'<a id="prev-page" href="/ui/runs{qs({"page": str(number - 1)})}">← newer</a>'
        )
    if number * _PAGE_SIZE < total:
        links.append(
            f'<a id="next-page" href="/ui/runs{qs({"page": str(number + 1)})}">older →</a>'
        )
    body.append(f'<p class="paging">Page {number} {" ".join(links)}</p>')
    return page_response(page("Runs", body, logout_csrf=csrf))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return esc(value) if value is not None else ""


def datapoint_scores(point: dict[str, Any]) -> dict[str, float]:
    """A summary datapoint's metrics: each metric's average over the datapoint's events."""
    values: dict[str, list[float]] = {}
    for result in point.get("metrics") or []:
        number = metric_number(result.get("value"))
        if number is not None:
            values.setdefault(str(result.get("name")), []).append(number)
    averaged = {name: aggregate(found, "average") for name, found in values.items()}
    return {name: value for name, value in averaged.items() if value is not None}


def _point_key(point: dict[str, Any]) -> str:
    return str(point.get("datapoint_id") or point.get("session_id"))


def _get_run(request: web.Request, name: str) -> RunDict | None:
    return request.app[STORE_KEY].runs.get(request.match_info[name])


async def run(request: web.Request) -> web.Response:
    """``GET /ui/runs/{run_id}``: the evaluator summary and the datapoints with their scores."""
    csrf = require_session(request)
    store = request.app[STORE_KEY]
    found = _get_run(request, "run_id")
    if found is None:
        return not_found(f"No run {request.match_info['run_id']!r}.", csrf)
    summary = RunResults(store.runs).summary(found, "average", EventSelection())
    run_id = str(found["run_id"])
    body = [
        f'<h1 id="run-name">{esc(found.get("name") or run_id)}</h1>',
        f'<p class="summary">status {esc(found.get("status") or "")} · '
        f"{len(summary['passed'])} passed · {len(summary['failed'])} failed</p>",
        "<h2>Evaluators</h2>",
        '<table id="run-summary"><thead><tr><th>Metric</th><th>Event</th><th>Average</th>'
        "<th>Values</th><th>Passed</th><th>Failed</th></tr></thead><tbody>",
    ]
    for detail in summary["metrics"]["details"]:
        body.append(
            f'<tr class="metric-row" data-metric="{esc(detail["metric_name"])}">'
            f"<td>{esc(detail['metric_name'])}</td><td>{esc(detail['event_name'])}</td>"
            f"<td>{_fmt(detail.get('aggregate'))}</td><td>{len(detail['values'])}</td>"
            f"<td>{len(detail['datapoints']['passed'])}</td>"
            f"<td>{len(detail['datapoints']['failed'])}</td></tr>"
        )
    body.append("</tbody></table>")
    body.append(_datapoints_table(store, summary["datapoints"]))
    body.append(compare_form(store.runs.page(RunQuery(limit=100))[0], run_id))
    return page_response(page(f"Run {found.get('name') or run_id}", body, logout_csrf=csrf))


def _datapoints_table(store: Any, points: list[dict[str, Any]]) -> str:
    parts = [
        '<h2>Datapoints</h2><table id="datapoints"><thead><tr><th>Datapoint</th>'
        "<th>Outputs</th><th>Scores</th><th>Passed</th></tr></thead><tbody>"
    ]
    for point in points:
        session_id = str(point.get("session_id"))
        session = store.get_session(session_id) or {}
        scores = "".join(
            f'<span class="score" data-metric="{esc(name)}">{esc(name)} {_fmt(value)}</span> '
            for name, value in datapoint_scores(point).items()
        )
        outputs = session.get("outputs")
        shown = "" if outputs is None else json_block(outputs, "outputs", session_id)
        parts.append(
            f'<tr class="datapoint-row" data-datapoint-id="{esc(_point_key(point))}">'
            f'<td><a href="/ui/sessions/{esc(seg(session_id))}">{esc(_point_key(point))}</a></td>'
            f"<td>{shown}</td><td>{scores}</td>"
            f"<td>{'yes' if point.get('passed') else 'no'}</td></tr>"
        )
    parts.append("</tbody></table>")
    return "".join(parts)


def compare_form(others: list[RunDict], run_id: str) -> str:
    """A form choosing the run to compare with, and a link per other run (works without JS)."""
    choices = [item for item in others if item.get("run_id") != run_id]
    if not choices:
        return '<p class="hint">No other run to compare with.</p>'
    options = "".join(
        f'<option value="{esc(item["run_id"])}">{esc(item.get("name") or item["run_id"])}</option>'
        for item in choices
    )
    links = "".join(
        f'<li><a class="compare-link" href="/ui/runs/{esc(seg(run_id))}/compare/'
        f'{esc(seg(str(item["run_id"])))}">{esc(item.get("name") or item["run_id"])}</a></li>'
        for item in choices
    )
    return (
        f'<h2>Compare</h2><form id="compare-form" method="get" action="/ui/runs/{esc(seg(run_id))}'
        f'/compare"><label>with the older run <select name="with">{options}</select></label>'
        f'<button type="submit">Compare</button></form><ul class="compare-links">{links}</ul>'
    )


def verdict(new: float | None, old: float | None) -> str:
    """``improved``, ``regressed`` or ``same`` for a metric's new value against its old.

    Higher is better, as in the compare route's `difference` (new minus old); a side without a
    value is ``same`` (nothing to compare).
    """
    if new is None or old is None:
        return "same"
    change = difference(old, new)
    if change is None or change == 0:
        return "same"
    return "improved" if change > 0 else "regressed"


_CELL_CHARS = 600
"""Inputs and outputs in the compare table are cut shorter than in a panel."""


def _session_of(store: Any, point: dict[str, Any] | None) -> dict[str, Any]:
    found = store.get_session(str(point.get("session_id"))) if point else None
    return found or {}


def _side_by_side(store: Any, new: dict[str, Any] | None, old: dict[str, Any] | None) -> str:
    """The datapoint's inputs and its old and new outputs, as table cells."""
    new_session, old_session = _session_of(store, new), _session_of(store, old)
    cells = (
        ("inputs", "inputs", new_session if new_session.get("inputs") else old_session),
        ("old-output", "outputs", old_session),
        ("new-output", "outputs", new_session),
    )
    out = []
    for css, field, session in cells:
        value = session.get(field)
        shown = (
            ""
            if value is None or value == {}
            else json_block(value, field, session.get("event_id"), _CELL_CHARS)
        )
        out.append(f'<td class="{css}">{shown}</td>')
    return "".join(out)


async def compare_redirect(request: web.Request) -> web.Response:
    """``GET /ui/runs/{run_id}/compare?with=OLD``: the compare form's target, a redirect."""
    require_session(request)
    other = request.query.get("with", "")
    target = f"/ui/runs/{seg(request.match_info['run_id'])}"
    raise web.HTTPSeeOther(f"{target}/compare/{seg(other)}" if other else target)


async def compare(request: web.Request) -> web.Response:
    """``GET /ui/runs/{new}/compare/{old}``: per datapoint, each metric improved or regressed."""
    csrf = require_session(request)
    store = request.app[STORE_KEY]
    new, old = _get_run(request, "new_run_id"), _get_run(request, "old_run_id")
    if new is None or old is None:
        return not_found("One of the two runs does not exist.", csrf)
    results = RunResults(store.runs)
    overall = results.compare(new, old, "average", EventSelection())
    sides = [
        {_point_key(p): p for p in results.summary(r, "average", EventSelection())["datapoints"]}
        for r in (new, old)
    ]
    metrics = [row["metric_name"] for row in overall["metrics"]]
    head = "<th>Inputs</th><th>Old output</th><th>New output</th>"
    head += "".join(f"<th>{esc(name)}</th>" for name in metrics)
    body = [
        f"<h1>{esc(new.get('name') or new['run_id'])} vs {esc(old.get('name') or old['run_id'])}"
        "</h1><h2>Overall (average over common datapoints)</h2>",
        '<table id="compare-overall"><thead><tr><th>Metric</th><th>Old</th><th>New</th>'
        "<th>Change</th></tr></thead><tbody>",
    ]
    for row in overall["metrics"]:
        mark = verdict(row.get("new_aggregate"), row.get("old_aggregate"))
        body.append(
            f'<tr class="overall-row {mark}" data-metric="{esc(row["metric_name"])}">'
            f"<td>{esc(row['metric_name'])}</td><td>{_fmt(row.get('old_aggregate'))}</td>"
            f"<td>{_fmt(row.get('new_aggregate'))}</td><td>{_fmt(row.get('difference'))}</td></tr>"
        )
    body.append("</tbody></table><h2>Per datapoint</h2>")
    body.append(f'<table id="compare"><thead><tr><th>Datapoint</th>{head}</tr></thead><tbody>')
    for key in overall["commonDatapoints"]:
        new_scores = datapoint_scores(sides[0].get(key, {}))
        old_scores = datapoint_scores(sides[1].get(key, {}))
        cells = []
        for name in metrics:
            new_value, old_value = new_scores.get(name), old_scores.get(name)
            cells.append(
                f'<td class="metric-cell {verdict(new_value, old_value)}" data-metric="{esc(name)}">'
                f'<span class="old">{_fmt(old_value)}</span> → '
                f'<span class="new">{_fmt(new_value)}</span></td>'
            )
        body.append(
            f'<tr class="compare-row" data-datapoint-id="{esc(key)}"><td>{esc(key)}</td>'
            f"{_side_by_side(store, sides[0].get(key), sides[1].get(key))}{''.join(cells)}</tr>"
        )
    body.append("</tbody></table>")
    if not overall["commonDatapoints"]:
        body.append('<p id="empty">The two runs have no datapoint in common.</p>')
    return page_response(page("Compare runs", body, logout_csrf=csrf))
