"""The README's quickstart runs as written against the local server."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from honeyhive_async.server import LocalServer

README = Path(__file__).resolve().parents[1] / "README.md"


def _quickstart() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quickstart: read a session", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the quickstart has a python block"
    return match.group(1)


async def test_the_quickstart_reads_a_session_back() -> None:
    async with LocalServer() as server:
        env = {**os.environ, "HH_API_URL": server.url, "HH_API_KEY": server.api_key}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _quickstart(),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()
        name, start = out.decode().split()
        assert name == "quickstart"
        assert float(start) > 1.7e12  # Unix milliseconds
        (start_req, get_req) = list(server.requests)
        sid = start_req.json()["session_id"]
        assert (start_req.method, start_req.path) == ("POST", "/v1/sessions")
        assert (get_req.method, get_req.path) == ("GET", f"/session/{sid}")
