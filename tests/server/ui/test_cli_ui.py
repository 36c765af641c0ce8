"""`honeyhive-async serve` prints the web view's address; `demo --open` opens the session."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import aiohttp
import pytest

from honeyhive_async import _serving
from honeyhive_async.cli import build_parser, main
from honeyhive_async.server import LOCAL_API_KEY

SERVE = "from honeyhive_async.cli import main; raise SystemExit(main(['serve', *__import__('sys').argv[1:]]))"


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
async def test_serve_prints_the_web_view_url() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SERVE,
        "--port",
        "0",
        "--api-key",
        "ui-key",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        lines: list[str] = []
        while not lines or "Web view:" not in lines[-1]:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line, "server exited early"
            lines.append(line.decode())
        match = re.fullmatch(
            r"Web view: (http://127\.0\.0\.1:\d+/ui) \(sign in with the API key\)\n", lines[-1]
        )
        assert match, lines
        assert "ui-key" not in lines[-1]
        async with aiohttp.ClientSession() as http:
            reply = await http.get(match.group(1), allow_redirects=False)
            assert reply.status == 303
            assert reply.headers["Location"].startswith("/ui/login")
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0


def test_demo_open_is_off_by_default() -> None:
    assert build_parser().parse_args(["demo"]).open is False
    assert build_parser().parse_args(["demo", "--open"]).open is True


@pytest.mark.parametrize("browser_found", [True, False])
def test_demo_open_opens_the_session_signed_in_and_serves_until_stopped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], browser_found: bool
) -> None:
    opened: list[str] = []
    seen: dict[str, str] = {}

    def fake_open(url: str) -> bool:
        opened.append(url)
        return browser_found

    async def fake_wait() -> None:
        # Runs where Ctrl-C would be awaited: the server must still answer the opened link.
        seen["out"] = capsys.readouterr().out
        (url,) = opened
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            reply = await http.get(url)
            assert reply.status == 200
            seen["landed"] = str(reply.url)
            seen["page"] = await reply.text()
            again = await http.get(url)  # the link is single use
            assert '<p id="login-error"' in await again.text()

    monkeypatch.setattr(_serving, "open_browser", fake_open)
    monkeypatch.setattr(_serving, "wait_for_stop_signal", fake_wait)
    assert main(["demo", "--open"]) == 0
    assert len(opened) == 1
    match = re.fullmatch(
        r"(http://127\.0\.0\.1:\d+)/ui/login/once\?token=[\w-]+&next=%2Fui%2Fsessions%2F([0-9a-f-]{36})",
        opened[0],
    )
    assert match, opened
    assert LOCAL_API_KEY not in opened[0]
    assert seen["landed"] == f"{match.group(1)}/ui/sessions/{match.group(2)}"
    rows = re.findall(r'class="event-row[^"]*"[^>]*data-event-type="(\w+)"', seen["page"])
    assert rows[0] == "session"
    assert rows.count("model") == 2
    assert f"Web view: {seen['landed']} (sign in with the API key)" in seen["out"]
    assert ("No browser found" in seen["out"]) is not browser_found
    assert "Press Ctrl-C to stop." in seen["out"]
