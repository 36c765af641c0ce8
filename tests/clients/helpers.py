"""Running a script in an official SDK's own venv, against the local server.

The official SDKs pin their own dependencies, so each runs in a venv of its own that
``.venv/bin/python -m tools.client_venvs`` builds (the README's test command and `.ci/run` do it before
pytest). A test hands `run_in_client_venv` a script and JSON-able arguments; the script reads
them with ``json.loads(sys.argv[1])`` and prints its result as JSON on its last line.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tools.client_venvs import BUILD_COMMAND, CLIENTS

__all__ = ["HANG_GUARD_SECONDS", "client_python", "run_in_client_venv"]

HANG_GUARD_SECONDS = 600
"""Only stops a script that hangs (a client waiting on a reply that never comes): a healthy run
takes seconds on a loaded machine; nothing is judged on time."""

_PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE")


def client_python(version: str) -> Path:
    """The interpreter of the venv of ``honeyhive==<version>``; fails the test if it is not built.

    A missing venv is a failure, never a skip: these tests are the proof that the official
    clients work against the local server, and a skip would pass without that proof.
    """
    client = CLIENTS[version]
    if not client.is_built():
        pytest.fail(
            f"{client.path.name} is missing or half-built: run `{BUILD_COMMAND}` from the "
            "repository root (the README's test command and .ci/run do) and run the tests again",
            pytrace=False,
        )
    return client.python


def run_in_client_venv(
    version: str, script: str, *args: Any, env: Mapping[str, str] | None = None
) -> Any:
    """Run `script` with ``honeyhive==<version>``'s interpreter and return its last line, decoded.

    Args:
        version: A key of `tools.client_venvs.CLIENTS`.
        script: Python source; its arguments are ``json.loads(sys.argv[1])`` (a list).
        args: JSON-able values handed to the script.
        env: Extra environment variables. The script sees only these and the basics (PATH,
            HOME, ...): no HoneyHive or OpenTelemetry settings of the machine leak in.
    """
    python = client_python(version)
    environment = {name: os.environ[name] for name in _PASSED_ENV if name in os.environ}
    environment.update(env or {})
    # A scratch working directory: `-c` puts it first on sys.path, and the repository's
    # packages must not shadow the client's.
    with tempfile.TemporaryDirectory(prefix="honeyhive-client-") as cwd:
        proc = subprocess.run(
            [str(python), "-c", script, json.dumps(list(args))],
            capture_output=True,
            text=True,
            env=environment,
            cwd=cwd,
            timeout=HANG_GUARD_SECONDS,
            check=False,
        )
    assert proc.returncode == 0, (
        f"honeyhive=={version} script exited {proc.returncode}\n"
        f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    )
    lines = proc.stdout.strip().splitlines()
    assert lines, f"honeyhive=={version} script printed nothing\n--- stderr\n{proc.stderr}"
    return json.loads(lines[-1])
