"""Signing in through the form; without the cookie no page shows data."""

from __future__ import annotations

import pytest

from tests.browser.conftest import NewPage, Site
from tools.ui_browser import PageWatch

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_the_form_signs_in_and_returns_to_the_page_asked_for(
    new_page: NewPage, site: Site
) -> None:
    page = await new_page()
    asked = f"/ui/sessions/{site.seeded.demo.event_id}"
    await page.goto(site.url + asked)
    assert await page.locator("form#login").count() == 1
    assert await page.locator("form#login input[name=api_key]").get_attribute("type") == "password"
    assert await page.locator("form#login input[name=csrf]").get_attribute("type") == "hidden"

    await page.fill("form#login input[name=api_key]", site.seeded.api_key)
    async with page.expect_navigation():
        await page.click("form#login button[type=submit]")

    assert page.url == site.url + asked
    await page.wait_for_selector("div#waterfall div.event-row")
    assert site.seeded.api_key not in await page.content()
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert cookies["hh_ui"]["httpOnly"] is True
    assert cookies["hh_ui"]["sameSite"] == "Strict"
    assert cookies["hh_ui"]["value"] != site.seeded.api_key


async def test_a_wrong_key_shows_the_error_and_no_data(
    new_page: NewPage, watch: PageWatch, site: Site
) -> None:
    watch.allow("/ui/login", 401)
    page = await new_page()
    await page.goto(site.url + "/ui")
    await page.fill("form#login input[name=api_key]", "not-the-key")
    async with page.expect_navigation():
        await page.click("form#login button[type=submit]")

    assert await page.locator("p#login-error").is_visible()
    assert await page.locator("form#login").count() == 1
    assert await page.locator("table#sessions").count() == 0
    assert "hh_ui" not in {c["name"] for c in await page.context.cookies()}


@pytest.mark.parametrize(
    "path",
    [
        "/ui",
        "/ui/sessions/{demo}",
        "/ui/sessions/{demo}?event={demo}",
        "/ui/runs",
        "/ui/runs/{new}",
        "/ui/runs/{new}/compare/{old}",
        "/ui/datasets/{dataset}",
    ],
)
async def test_without_the_cookie_every_page_asks_for_the_key(
    new_page: NewPage, site: Site, path: str
) -> None:
    seeded = site.seeded
    page = await new_page()
    await page.goto(
        site.url
        + path.format(
            demo=seeded.demo.event_id,
            new=seeded.new_run_id,
            old=seeded.old_run_id,
            dataset=seeded.dataset_id,
        )
    )

    assert await page.locator("form#login").count() == 1
    # The form keeps the asked-for path (ids) to return to; the data itself must not show.
    content = await page.content()
    for stored in (
        "demo-chat",
        "candidate",
        "capital of France",
        "Jupiter",
        "What does HoneyHive record",
    ):
        assert stored not in content
    assert await page.locator("#waterfall, table#sessions, table#runs, table#compare").count() == 0
