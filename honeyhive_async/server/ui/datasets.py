"""The dataset page: a dataset's datapoints, their inputs and ground truth."""

from __future__ import annotations

from aiohttp import web

from .._http import STORE_KEY
from ._auth import require_session
from ._html import esc, json_block, page, page_response
from .errors import not_found

__all__ = ["dataset"]


async def dataset(request: web.Request) -> web.Response:
    """``GET /ui/datasets/{dataset_id}``: every datapoint the dataset holds."""
    csrf = require_session(request)
    store = request.app[STORE_KEY]
    dataset_id = request.match_info["dataset_id"]
    found = store.datasets.get(dataset_id)
    if found is None:
        return not_found(f"No dataset {dataset_id!r}.", csrf)
    points = store.datapoints.select(dataset_ids=[dataset_id])
    body = [
        f'<h1 id="dataset-name">{esc(found.get("name") or dataset_id)}</h1>',
        f'<p class="summary">{len(points)} datapoints</p>',
        '<table id="datapoints"><thead><tr><th>Datapoint</th><th>Inputs</th>'
        "<th>Ground truth</th></tr></thead><tbody>",
    ]
    for point in points:
        body.append(
            f'<tr class="datapoint-row" data-datapoint-id="{esc(point.get("id"))}">'
            f"<td>{esc(point.get('id'))}</td>"
            f"<td>{json_block(point.get('inputs'), 'inputs', None)}</td>"
            f"<td>{json_block(point.get('ground_truth'), 'ground_truth', None)}</td></tr>"
        )
    body.append("</tbody></table>")
    return page_response(page(f"Dataset {found.get('name') or dataset_id}", body, logout_csrf=csrf))
