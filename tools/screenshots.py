"""Write the README's web view screenshots: docs/images/ui-session.png and ui-compare.png.

Seeds a local server the way tests/browser/ does (`tools.ui_browser.seed`: the demo session, a
two-run experiment), signs in through the form in headless Chromium (Debian's ``chromium``)
and takes a 1280x800 screenshot of the demo's waterfall with its model call open, and one of
the two runs compared. Fails when a page logs a console error, like the tests::

    .venv/bin/python -m tools.screenshots
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from honeyhive_async.server import LocalServer
from tools.ui_browser import PageWatch, chromium_path, launch, seed, sign_in

OUT = Path(__file__).resolve().parents[1] / "docs" / "images"
SESSION_PNG = OUT / "ui-session.png"
COMPARE_PNG = OUT / "ui-compare.png"


async def take(out: Path = OUT) -> list[Path]:
    """Seed a server, open the two pages and write their screenshots into `out` (it exists)."""
    from playwright.async_api import async_playwright

    executable = chromium_path()
    if executable is None:
        raise SystemExit("Chromium is not installed: apt-get install chromium")
    watch = PageWatch()
    async with LocalServer() as server, async_playwright() as playwright:
        seeded = await seed(server)
        browser = await launch(playwright, executable)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            watch.attach(page)
            tree = seeded.demo
            model = next(e for e in tree.walk() if str(e.event_type) == "model")
            await sign_in(page, server.url, seeded.api_key, f"/ui/sessions/{tree.event_id}")
            await page.click(f'div.event-row[data-event-id="{model.event_id}"]')
            await page.locator(f'section#event-panel[data-event-id="{model.event_id}"]').wait_for()
            session_png = out / SESSION_PNG.name
            await page.screenshot(path=session_png)
            await page.goto(f"{server.url}/ui/runs/{seeded.new_run_id}/compare/{seeded.old_run_id}")
            await page.locator("table#compare").wait_for()
            compare_png = out / COMPARE_PNG.name
            await page.screenshot(path=compare_png)
        finally:
            await browser.close()
    if watch.problems:
        raise SystemExit("the browser reported problems:\n" + "\n".join(watch.problems))
    return [session_png, compare_png]


def main() -> int:
    """Write the screenshots and name them."""
    OUT.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(take()):
        sys.stdout.write(f"wrote {path} ({path.stat().st_size:,} bytes)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
