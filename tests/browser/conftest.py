"""Headless Chromium against one seeded local server, shared by every browser test.

The server (seeded by `tools.ui_browser.seed`) and the browser live for the whole session on one
event loop, so each test module runs its tests on that loop (``pytestmark`` with
``loop_scope="session"``). Each test gets fresh browser contexts (no cookies carried over);
at the end of the test every page is screenshotted into the test's `tmp_path` and the test
fails if any page logged a console error, threw, had a request fail, or opened a dialog.

Without Chromium these tests skip, unless ``CI`` is set: then they fail, so CI cannot pass
without running them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright

from honeyhive_async.server import LocalServer
from honeyhive_async.tracing import _tracer
from tools.ui_browser import PageWatch, Seeded, chromium_path, launch, seed, sign_in

VIEWPORT: ViewportSize = {"width": 1280, "height": 800}


@dataclass(frozen=True)
class Site:
    """The seeded server the pages are read from."""

    url: str
    seeded: Seeded


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable, or a skip (a failure when ``CI`` is set) without one."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(
                "CI is set and Chromium is missing: .ci/run installs Debian's chromium package",
                pytrace=False,
            )
        pytest.skip("Chromium is not installed (apt-get install chromium); CI runs these tests")
    return path


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await launch(playwright, chromium)
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def site(chromium: str) -> AsyncIterator[Site]:
    del chromium  # asked for first: no seeding when the tests are going to skip
    # Seeding creates tracers; the first becomes the process default. Put back what was there,
    # so tests that run later (say of "no Tracer has been created") see the process as it was.
    default = _tracer._default_tracer
    try:
        async with LocalServer() as server:
            seeded = await seed(server)
            _tracer._default_tracer = default
            yield Site(server.url, seeded)
    finally:
        _tracer._default_tracer = default


NewPage = Callable[..., Awaitable[Page]]


@pytest.fixture
def watch() -> PageWatch:
    """The problems of every page the test opens (`PageWatch.allow` an expected status)."""
    return PageWatch()


@pytest_asyncio.fixture(loop_scope="session")
async def new_page(browser: Browser, watch: PageWatch, tmp_path: Path) -> AsyncIterator[NewPage]:
    """Open a page in a fresh context (``javascript=False`` to turn scripts off), watched."""
    opened: list[tuple[BrowserContext, Page]] = []

    async def open_page(*, javascript: bool = True) -> Page:
        context = await browser.new_context(viewport=VIEWPORT, java_script_enabled=javascript)
        page = await context.new_page()
        watch.attach(page)
        opened.append((context, page))
        return page

    yield open_page
    for number, (context, page) in enumerate(opened):
        await page.screenshot(path=tmp_path / f"page-{number}.png", full_page=True)
        await context.close()
    assert watch.problems == [], "the browser reported problems:\n" + "\n".join(watch.problems)


@pytest_asyncio.fixture(loop_scope="session")
async def page(new_page: NewPage, site: Site) -> Page:
    """A page signed in to the web view (on the sessions list)."""
    page = await new_page()
    await sign_in(page, site.url, site.seeded.api_key)
    return page
