"""User content stays text, and the pages work with JavaScript off."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from tests.browser.conftest import NewPage, Site
from tools.ui_browser import XSS_NAME, XSS_PAYLOAD, sign_in

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_markup_in_a_session_is_shown_as_text(page: Page, site: Site) -> None:
    hostile = site.seeded.hostile_session_id
    await page.goto(site.url + "/ui?user_property=user%3Dmallory")
    link = page.locator(f'tr.session-row[data-session-id="{hostile}"] a.session-link')
    assert await link.inner_text() == XSS_NAME
    assert await link.locator("b").count() == 0

    await page.goto(f"{site.url}/ui/sessions/{hostile}?event={hostile}")
    inputs = page.locator('section#event-panel pre.json[data-field="inputs"]')
    assert XSS_PAYLOAD in await inputs.inner_text()
    assert await page.locator("#content script, #content b").count() == 0
    # Any script from the payload would have opened a dialog: the page watch fails on one.
    scripts = await page.eval_on_selector_all("script", "s => s.map(e => e.src)")
    assert scripts == [f"{site.url}/ui/static/ui.js"]


async def test_without_javascript_a_row_link_opens_the_event(new_page: NewPage, site: Site) -> None:
    tree = site.seeded.demo
    failed = next(e for e in tree.walk() if e.error)
    page = await new_page(javascript=False)
    await sign_in(page, site.url, site.seeded.api_key, f"/ui/sessions/{tree.event_id}")

    row = page.locator(f'div.event-row[data-event-id="{failed.event_id}"]')
    async with page.expect_navigation():
        await row.locator("a[href*='event=']").first.click()

    assert f"event={failed.event_id}" in page.url
    panel = page.locator(f'section#event-panel[data-event-id="{failed.event_id}"]')
    assert await panel.locator("h2#event-name").inner_text() == failed.event_name
    assert "did not answer" in await panel.locator("pre#event-error").inner_text()


async def test_a_large_value_is_cut_with_a_link_to_all_of_it(page: Page, site: Site) -> None:
    hostile = site.seeded.hostile_session_id
    stored = site.seeded.hostile_transcript
    assert len(stored) > 10_000
    last_line = stored.rsplit("\n", 1)[-1]  # ends in the tracer's "[truncated, N chars]"
    await page.goto(f"{site.url}/ui/sessions/{hostile}?event={hostile}")
    shown = await page.locator('section#event-panel pre.json[data-field="metadata"]').inner_text()
    assert "line 0:" in shown
    assert last_line not in shown  # cut in the page

    async with page.expect_navigation():
        await page.click("section#event-panel a.show-all")

    whole = await page.inner_text("body")
    assert last_line in whole.replace("\\n", "\n")
    assert whole.count(XSS_PAYLOAD) == stored.count(XSS_PAYLOAD)  # all of it, as text
