"""Experiment runs: the list, a run's summary and datapoints, two runs compared, a dataset."""

from __future__ import annotations

import pytest
from playwright.async_api import Locator, Page

from tests.browser.conftest import Site

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _attribute(rows: Locator, name: str) -> list[str]:
    return [str(await rows.nth(i).get_attribute(name)) for i in range(await rows.count())]


async def test_the_runs_list_links_every_run(page: Page, site: Site) -> None:
    seeded = site.seeded
    await page.goto(site.url + "/ui/runs")
    rows = page.locator("table#runs tr.run-row")

    assert sorted(await _attribute(rows, "data-run-id")) == sorted(
        [seeded.old_run_id, seeded.new_run_id]
    )
    link = page.locator(f'tr.run-row[data-run-id="{seeded.new_run_id}"] a.run-link')
    assert await link.inner_text() == "candidate"
    async with page.expect_navigation():
        await link.click()
    assert page.url == f"{site.url}/ui/runs/{seeded.new_run_id}"
    await page.locator("table#run-summary").wait_for()


async def test_a_run_shows_its_evaluators_and_datapoints(page: Page, site: Site) -> None:
    seeded = site.seeded
    await page.goto(f"{site.url}/ui/runs/{seeded.new_run_id}")

    metrics = await _attribute(page.locator("table#run-summary tr.metric-row"), "data-metric")
    assert sorted(metrics) == ["exact_match", "has_answer"]
    points = await _attribute(
        page.locator("table#datapoints tr.datapoint-row"), "data-datapoint-id"
    )
    assert sorted(points) == sorted(seeded.datapoint_ids)
    improved = page.locator(f'tr.datapoint-row[data-datapoint-id="{seeded.improved}"]')
    assert "Paris" in await improved.inner_text()  # the candidate's output


async def test_the_compare_page_marks_improved_and_regressed_datapoints(
    page: Page, site: Site
) -> None:
    seeded = site.seeded
    await page.goto(f"{site.url}/ui/runs/{seeded.old_run_id}")
    # The run page leads to the comparison (a link per other run, or a form).
    target = f"/ui/runs/{seeded.old_run_id}/compare/{seeded.new_run_id}"
    assert await page.locator(f'a[href="{target}"], form[action^="/ui/runs/"]').count() >= 1

    await page.goto(f"{site.url}/ui/runs/{seeded.new_run_id}/compare/{seeded.old_run_id}")
    rows = page.locator("table#compare tr.compare-row")
    assert sorted(await _attribute(rows, "data-datapoint-id")) == sorted(seeded.datapoint_ids)

    verdicts: dict[tuple[str, str], str] = {}
    for point in seeded.datapoint_ids:
        cells = page.locator(f'tr.compare-row[data-datapoint-id="{point}"] td.metric-cell')
        for i in range(await cells.count()):
            cell = cells.nth(i)
            classes = set(str(await cell.get_attribute("class")).split())
            (verdict,) = classes & {"improved", "regressed", "same"}
            verdicts[(point, str(await cell.get_attribute("data-metric")))] = verdict
    expected = {
        (point, metric): "same"
        for point in seeded.datapoint_ids
        for metric in ("exact_match", "has_answer")
    }
    expected[(seeded.improved, "exact_match")] = "improved"
    expected[(seeded.regressed, "exact_match")] = "regressed"
    assert verdicts == expected
    # Side by side: the datapoint's input with the old and the new output.
    improved = await page.locator(
        f'tr.compare-row[data-datapoint-id="{seeded.improved}"]'
    ).inner_text()
    assert improved.index("capital of France") < improved.index("Lyon") < improved.index("Paris")


async def test_a_dataset_lists_its_datapoints(page: Page, site: Site) -> None:
    seeded = site.seeded
    await page.goto(f"{site.url}/ui/datasets/{seeded.dataset_id}")
    points = await _attribute(
        page.locator("table#datapoints tr.datapoint-row"), "data-datapoint-id"
    )

    assert points == seeded.datapoint_ids
    first = page.locator(f'tr.datapoint-row[data-datapoint-id="{seeded.datapoint_ids[0]}"]')
    assert "capital of France" in await first.inner_text()
