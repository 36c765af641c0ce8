"""`honeyhive-async serve`, run as a real process."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys

import aiohttp
import pytest

from honeyhive_async.cli import build_parser, main

from .helpers import call, create_event

SERVE = "from honeyhive_async.cli import main; raise SystemExit(main(['serve', *__import__('sys').argv[1:]]))"


async def _spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SERVE,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
async def test_serve_prints_the_url_and_stops_on_ctrl_c() -> None:
    proc = await _spawn("--port", "0", "--api-key", "cli-key")
    assert proc.stdout is not None
    try:
        lines: list[str] = []
        while not lines or "HH_API_URL" not in lines[-1]:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line, "server exited early"
            lines.append(line.decode())
        match = re.search(r"HH_API_URL=(http://127\.0\.0\.1:\d+) HH_API_KEY=cli-key", lines[-1])
        assert match, lines
        url = match.group(1)
        headers = {"Authorization": "Bearer cli-key"}
        async with aiohttp.ClientSession(base_url=url, headers=headers) as session:
            event_id = await create_event(session)
            await call(session, "GET", f"/v1/events/{event_id}")
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err
    assert b"Stopped." in out


async def test_serve_fails_cleanly_when_the_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = await _spawn("--port", str(port))
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert b"cannot listen" in err


def test_no_command_prints_help_and_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "serve" in capsys.readouterr().err


def test_serve_defaults() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.db, args.api_key) == (
        "127.0.0.1",
        8000,
        ":memory:",
        "local-dev-key",
    )


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_serve_rejects_bad_ports(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--port", port])
    assert "port" in capsys.readouterr().err


@pytest.mark.parametrize("key", ["", "   "])
def test_serve_rejects_an_empty_api_key_as_a_usage_error(
    key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Parsing only: without the check, `main` would start a server and wait for Ctrl-C.
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["serve", "--api-key", key])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--api-key: the API key can't be empty" in err
    assert "database" not in err
