"""The page watch every browser test relies on catches what it must (else they could not fail)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import Browser

from tools.ui_browser import PageWatch

pytestmark = pytest.mark.asyncio(loop_scope="session")

_PAGES = {
    "/clean": "<p>fine</p>",
    "/console": "<script>console.error('boom in console')</script>",
    "/throws": "<script>throw new Error('boom thrown')</script>",
    "/dialog": "<script>alert('boom dialog')</script>",
    "/missing": '<link rel="stylesheet" href="/nope.css"><p>styled?</p>',
    "/refused": '<img src="http://127.0.0.1:{closed}/closed.png" alt="">',
}


def _closed_port() -> int:
    """A loopback port nobody listens on: bound, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest_asyncio.fixture(loop_scope="session")
async def trivial() -> AsyncIterator[str]:
    """A loopback server of tiny pages, each doing one thing wrong (or nothing)."""
    closed = _closed_port()

    async def handle(request: web.Request) -> web.Response:
        body = _PAGES.get(request.path)
        if body is None:
            raise web.HTTPNotFound()
        body = body.replace("{closed}", str(closed))
        html = f'<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>{body}</body></html>'
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/clean", []),
        ("/console", ["console error: boom in console"]),
        ("/throws", ["page error: boom thrown"]),
        ("/dialog", ["dialog alert: boom dialog"]),
        ("/missing", ["response 404: "]),
        ("/refused", ["request failed: GET http://127.0.0.1:"]),
    ],
)
async def test_the_watch_reports_each_kind_of_problem(
    browser: Browser, trivial: str, path: str, expected: list[str]
) -> None:
    watch = PageWatch()
    context = await browser.new_context()
    try:
        page = await context.new_page()
        watch.attach(page)
        await page.goto(trivial + path, wait_until="load")
    finally:
        await context.close()

    # Chromium may report one fault twice (a 404 and the aborted read): each expected one shows.
    for start in expected:
        assert any(problem.startswith(start) for problem in watch.problems), watch.problems
    assert bool(watch.problems) == bool(expected), watch.problems


async def test_an_allowed_status_is_not_a_problem(browser: Browser, trivial: str) -> None:
    watch = PageWatch()
    watch.allow("/nope.css", 404)
    context = await browser.new_context()
    try:
        page = await context.new_page()
        watch.attach(page)
        await page.goto(trivial + "/missing", wait_until="load")
    finally:
        await context.close()

    assert watch.problems == []
