"""The sessions list, its filters from the URL, and a session's waterfall and event panel."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from playwright.async_api import Page

from tests.browser.conftest import Site

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _session_ids(page: Page) -> list[str]:
    rows = page.locator("table#sessions tr.session-row")
    return [
        str(await rows.nth(i).get_attribute("data-session-id")) for i in range(await rows.count())
    ]


async def test_the_list_shows_every_session_newest_first(page: Page, site: Site) -> None:
    await page.goto(site.url + "/ui")
    ids = await _session_ids(page)

    seeded = site.seeded
    # Two sessions of our own, then 2 runs x 4 datapoints of the experiment.
    assert len(ids) == 2 + 2 * len(seeded.datapoint_ids)
    # The demo was traced first, the hostile session second, the experiment after: newest first.
    assert ids[-2:] == [seeded.hostile_session_id, seeded.demo.event_id]
    demo_row = page.locator(f'tr.session-row[data-session-id="{seeded.demo.event_id}"]')
    assert await demo_row.locator("a.session-link").inner_text() == "demo-chat"
    assert await page.locator("a#prev-page").count() == 0
    assert await page.locator("a#next-page").count() == 0


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ("?name=demo-chat", "demo"),
        ("?source=demo", "demo+hostile"),
        ("?user_property=user%3Dmallory", "hostile"),
        ("?source=evaluation", "experiment"),
        ("?name=no-such-session", "none"),
    ],
)
async def test_filters_are_read_from_the_url(
    page: Page, site: Site, query: str, expect: str
) -> None:
    await page.goto(site.url + "/ui" + query)
    ids = await _session_ids(page)

    seeded = site.seeded
    if expect == "none":
        assert ids == []
        assert await page.locator("p#empty").is_visible()
        return
    if expect == "experiment":
        assert len(ids) == 2 * len(seeded.datapoint_ids)
        assert not {seeded.demo.event_id, seeded.hostile_session_id} & set(ids)
    else:
        wanted = {"demo": [seeded.demo.event_id], "hostile": [seeded.hostile_session_id]}
        wanted["demo+hostile"] = [seeded.hostile_session_id, seeded.demo.event_id]
        assert ids == wanted[expect]
    # The form shows the filter it applied.
    name, _, value = query[1:].partition("=")
    shown = await page.locator(f"form#filters [name={name}]").input_value()
    assert shown == value.replace("%3D", "=")


async def test_a_session_is_its_tree_of_events(page: Page, site: Site) -> None:
    tree = site.seeded.demo
    await page.goto(f"{site.url}/ui/sessions/{tree.event_id}")
    rows = page.locator("div#waterfall div.event-row")
    shown: list[dict[str, Any]] = [
        {
            "id": await rows.nth(i).get_attribute("data-event-id"),
            "type": await rows.nth(i).get_attribute("data-event-type"),
            "depth": int(str(await rows.nth(i).get_attribute("data-depth"))),
            "error": "error" in str(await rows.nth(i).get_attribute("class")).split(),
            "bars": await rows.nth(i).locator(".bar").count(),
        }
        for i in range(await rows.count())
    ]

    stored = {event.event_id: (depth, event) for depth, event in tree.walk_with_depth()}
    assert len(shown) == len(stored)  # every stored event, once
    assert {row["id"] for row in shown} == set(stored)
    assert shown[0]["id"] == tree.event_id
    assert shown[0]["depth"] == 0
    position = {row["id"]: i for i, row in enumerate(shown)}
    for row in shown:
        depth, event = stored[row["id"]]
        assert row["depth"] == depth
        assert row["type"] == str(event.event_type)
        assert row["error"] == bool(event.error)
        assert row["bars"] == 1
        if event.parent_id and event.event_id != tree.event_id:
            assert position[event.parent_id] < position[event.event_id]  # parent first
    # Siblings in start order, and a subtree stays under its parent (pre-order).
    for _, event in stored.values():
        children = [c.event_id for c in event.children]
        starts = [
            stored[c][1].start_time_ms or 0.0 for c in sorted(children, key=position.__getitem__)
        ]
        assert starts == sorted(starts)
    depths = [row["depth"] for row in shown]
    assert all(b <= a + 1 for a, b in itertools.pairwise(depths))
    assert any(row["error"] for row in shown)  # the demo's weather tool fails
    assert await page.locator("section#event-panel h2#event-name").count() == 0


async def test_clicking_a_model_row_shows_the_call_as_a_conversation(
    page: Page, site: Site
) -> None:
    tree = site.seeded.demo
    model = next(e for e in tree.walk() if str(e.event_type) == "model")
    await page.goto(f"{site.url}/ui/sessions/{tree.event_id}")

    await page.click(f'div.event-row[data-event-id="{model.event_id}"]')
    panel = page.locator(f'section#event-panel[data-event-id="{model.event_id}"]')
    await panel.wait_for()

    assert await panel.locator("h2#event-name").inner_text() == model.event_name
    assert await panel.locator("div#chat div.message[data-role=user]").count() >= 1
    prompt = str((model.inputs or {})["prompt"])
    assert prompt.splitlines()[0] in await panel.locator("div#chat").inner_text()
    assert await panel.locator("dl#usage").count() == 1
    fields = {
        str(await block.get_attribute("data-field"))
        for block in await panel.locator("pre.json").all()
    }
    assert {"inputs", "config"} <= fields
    assert "fake-gpt-mini" in await panel.locator('pre.json[data-field="config"]').inner_text()
    assert await panel.locator("pre#event-error").count() == 0


async def test_clicking_a_failed_row_shows_its_error(page: Page, site: Site) -> None:
    tree = site.seeded.demo
    failed = next(e for e in tree.walk() if e.error)
    await page.goto(f"{site.url}/ui/sessions/{tree.event_id}")

    await page.click(f'div.event-row[data-event-id="{failed.event_id}"]')
    panel = page.locator(f'section#event-panel[data-event-id="{failed.event_id}"]')
    await panel.wait_for()

    assert await panel.locator("h2#event-name").inner_text() == failed.event_name
    assert "did not answer" in await panel.locator("pre#event-error").inner_text()
    assert await panel.locator("div#chat").count() == 0
