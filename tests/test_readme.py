"""Every code block of README.md is checked the way it is meant to be used.

A block's info string says how: ```python runs as a script against the local server,
```python pytest is a test module run by pytest in a fresh project, ```bash names commands that
must exist as written after the README's install, ```text is output and is not run. An untagged
or unknown block fails, so a new block cannot escape these tests.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.cli import build_parser
from honeyhive_async.server import LocalServer
from tools.client_venvs import CLIENTS

README = Path(__file__).resolve().parents[1] / "README.md"
KINDS = {
    "python": "a script, run against the local server",
    "python pytest": "a test module, run by pytest in a fresh project",
    "bash": "commands, checked to exist as written",
    "text": "output, not run",
}


@dataclass(frozen=True)
class Block:
    info: str
    code: str
    line: int
    section: str

    @property
    def id(self) -> str:
        return f"{self.section} (README.md:{self.line})"


def _blocks() -> list[Block]:
    blocks: list[Block] = []
    section = ""
    fence: tuple[str, int] | None = None
    body: list[str] = []
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), 1):
        if fence is None and line.startswith("#"):
            section = line.lstrip("#").strip()
        elif line.startswith("```"):
            if fence is None:
                fence, body = (line[3:].strip(), number), []
            else:
                assert line.strip() == "```", f"README.md:{number}: a closing fence has text"
                blocks.append(Block(fence[0], "\n".join(body) + "\n", fence[1], section))
                fence = None
        elif fence is not None:
            body.append(line)
    assert fence is None, f"README.md:{fence[1]}: block never closed"
    return blocks


BLOCKS = _blocks()


def _of(info: str) -> list[Block]:
    return [block for block in BLOCKS if block.info == info]


def test_every_block_says_how_it_is_checked() -> None:
    unknown = [f"README.md:{b.line}: ```{b.info}" for b in BLOCKS if b.info not in KINDS]
    assert not unknown, f"tag each README block with one of {KINDS}: {unknown}"
    assert {b.section for b in _of("python")} >= {"Quickstart: read a session", "Tracing"}
    assert _of("python pytest")
    assert _of("bash")


# -- python: scripts ----------------------------------------------------------------------


async def _check_quickstart(out: str, server: LocalServer) -> None:
    name, start = out.split()
    assert name == "quickstart"
    assert float(start) > 1.7e12  # Unix milliseconds
    (start_req, get_req) = list(server.requests)
    sid = start_req.json()["session_id"]
    assert (start_req.method, start_req.path) == ("POST", "/v1/sessions")
    assert (get_req.method, get_req.path) == ("GET", f"/session/{sid}")


async def _check_tracing(out: str, server: LocalServer) -> None:
    reply, report = out.splitlines()
    assert reply == "Sessions group events."
    assert report.startswith("ExportReport(sent=4, dropped={}, pending=0")
    # The session ended before it went out: it rode in the batch with its events.
    assert [r.path for r in server.requests] == ["/v1/events/batch"]
    (session,) = [e for e in server.requests[0].json()["events"] if e["event_type"] == "session"]
    async with AsyncHoneyHive(server.api_key, base_url=server.url) as client:
        tree = await client.session.get_tree(session["session_id"])
    assert [(d, e.event_type, e.event_name) for d, e in tree.walk_with_depth()] == [
        (0, "session", "chat"),
        (1, "chain", "answer"),
        (2, "tool", "search"),
        (2, "model", "complete"),
    ]
    assert tree.outputs == {"reply": "Sessions group events."}


async def _check_otlp(out: str, server: LocalServer) -> None:
    assert out.splitlines() == ["session support-bot", "  tool answer", "    model chat"]
    posts = [r for r in server.requests if r.path == "/opentelemetry/v1/traces"]
    assert [r.headers["Content-Type"] for r in posts] == ["application/x-protobuf"]
    async with AsyncHoneyHive(server.api_key, base_url=server.url) as client:
        tree = await client.session.get_tree("7c9e6679-7425-40de-944b-e07fc1f90ae7")
    (answer,) = tree.children
    assert answer.inputs == {"question": "Where is it?"}
    assert answer.outputs == {"reply": "It ships today."}
    (chat,) = answer.children
    assert chat.config == {"provider": "openai", "model": "gpt-4o-mini"}
    assert chat.metrics == {"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15}


async def _check_experiments(out: str, server: LocalServer) -> None:
    lines = out.splitlines()
    assert lines[0] == "completed [True, True, False]"
    assert lines[1] == "2 passed, 1 failed"
    assert lines[2].split() == ["evaluator", "n", "mean", "min", "max", "pass", "rate"]
    assert lines[3].split()[:2] == ["exact_match", "3"]
    assert lines[-1] == "[('brevity', None), ('exact_match', 0.0)]"  # brevity: first run only
    runs = [r for r in server.requests if (r.method, r.path) == ("POST", "/v1/runs")]
    async with AsyncHoneyHive(server.api_key, base_url=server.url) as client:
        first = (await client.runs.get(runs[0].json()["run_id"])).evaluation
    assert (first.name, first.status, len(first.event_ids)) == ("lookup v1", "completed", 3)


async def _check_integrations(out: str, server: LocalServer) -> None:
    reply, session_id = out.splitlines()
    assert reply == "Sessions group events."
    async with AsyncHoneyHive(server.api_key, base_url=server.url) as client:
        tree = await client.session.get_tree(session_id)
    (answer,) = tree.children
    (model,) = answer.children
    assert (answer.event_type, answer.event_name, model.event_type) == ("chain", "answer", "model")
    if model.event_name == "openai.chat.completions.create":  # wrap_openai
        assert model.config == {"provider": "openai", "model": "gpt-4o-mini", "temperature": 0}
        assert model.outputs == {"role": "assistant", "content": reply}
        assert model.metrics == {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}
    else:  # HoneyHiveSpanProcessor
        assert model.event_name == "chat gpt-4o-mini"
        assert model.config == {"provider": "openai", "model": "gpt-4o-mini"}
        assert model.metrics == {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}


async def _no_check(out: str, server: LocalServer) -> None:
    pass


_SCRIPT_CHECKS: dict[str, Callable[[str, LocalServer], Awaitable[None]]] = {
    "Quickstart: read a session": _check_quickstart,
    "Tracing": _check_tracing,
    "Send OpenTelemetry spans to the local server": _check_otlp,
    "Experiments": _check_experiments,
    "Integrations": _check_integrations,
}


@pytest.mark.parametrize("block", _of("python"), ids=lambda b: b.id)
async def test_python_block_runs_as_a_script(block: Block, tmp_path: Path) -> None:
    script = tmp_path / "snippet.py"
    script.write_text(block.code, encoding="utf-8")
    async with LocalServer() as server:
        env = {**os.environ, "HH_API_URL": server.url, "HH_API_KEY": server.api_key}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(script),
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        assert err.decode() == ""  # no warning, no "Unclosed client session"
        await _SCRIPT_CHECKS.get(block.section, _no_check)(out.decode(), server)


# -- python pytest: the pytest plugin in a fresh project -----------------------------------


@pytest.mark.parametrize("block", _of("python pytest"), ids=lambda b: b.id)
def test_pytest_block_passes_in_a_project_with_no_pytest_config(
    block: Block, tmp_path: Path
) -> None:
    (tmp_path / "test_app.py").write_text(block.code, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("", encoding="utf-8")  # not this repo's settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            "-c",
            str(tmp_path / "pytest.ini"),
            "test_app.py",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "asyncio: mode=Mode.STRICT" in proc.stdout  # really without asyncio_mode = auto
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"\b1 passed\b", proc.stdout), proc.stdout


# -- bash: commands that exist as written ---------------------------------------------------


def _extras() -> list[str]:
    # pyproject.toml itself, not the installed metadata, which is stale until a reinstall;
    # a regex because tomllib needs Python 3.11.
    text = (README.parent / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[project.optional-dependencies]\n", 1)[1].split("\n[", 1)[0]
    return re.findall(r"^([\w-]+) = \[", section, re.M)


def _check_command(argv: list[str]) -> None:
    """Fail unless the command runs as written after the README's two install commands."""
    program, args = argv[0], argv[1:]
    if program == "python3":
        assert args == ["-m", "venv", ".venv"], argv
    elif program == ".venv/bin/pip":
        assert args[0] == "install", argv
        target = args[-1]
        extras = re.fullmatch(r"\.(?:\[([\w,-]+)\])?", target)
        assert extras, f"installs {target!r}, not this repository"
        for extra in filter(None, (extras.group(1) or "").split(",")):
            assert extra in _extras(), f"no extra {extra!r} in pyproject.toml"
    elif program == ".venv/bin/honeyhive-async":
        build_parser().parse_args(args)  # SystemExit on an unknown command, flag or value
    elif program == ".venv/bin/python" and args[:2] == ["-m", "pytest"]:
        pass
    elif program == ".venv/bin/python" and args == ["-m", "tools.screenshots"]:
        assert importlib.util.find_spec("tools.screenshots") is not None
    elif program == ".venv/bin/python" and args[:2] == ["-m", "tools.client_venvs"]:
        unknown = [version for version in args[2:] if version not in CLIENTS]
        assert not unknown, f"no client venv for {unknown}"
    elif program == ".venv/bin/python":
        (script,) = args
        assert f"Save this as `{script}`" in README.read_text(encoding="utf-8"), script
    else:
        raise AssertionError(
            f"{program!r} is not on the PATH after the README's install: "
            "write .venv/bin/... (or teach this test the new command)"
        )


def _commands(code: str) -> list[list[str]]:
    commands = []
    for line in code.splitlines():
        words = shlex.split(line, comments=True)
        while words:
            end = words.index("&&") if "&&" in words else len(words)
            command, words = words[:end], words[end + 1 :]
            while command and re.fullmatch(r"[A-Z_]+=.*", command[0]):  # VAR=value prefix
                command = command[1:]
            commands.append(command)
    return commands


@pytest.mark.parametrize("block", _of("bash"), ids=lambda b: b.id)
def test_bash_block_names_commands_that_exist(block: Block) -> None:
    commands = _commands(block.code)
    assert commands
    for argv in commands:
        _check_command(argv)


@pytest.mark.parametrize(
    "line",
    [
        "honeyhive-async serve",
        "python quickstart.py",
        "pip install -e .",
        ".venv/bin/honeyhive-async serve --no-such-flag",
        ".venv/bin/honeyhive-async serve --api-key ''",
        ".venv/bin/pip install -e '.[no-such-extra]'",
        ".venv/bin/python unsaved.py",
        ".venv/bin/python -m tools.client_venvs 0.0.1",
    ],
)
def test_the_bash_check_rejects_what_would_not_run(line: str) -> None:
    (argv,) = _commands(line)
    with pytest.raises((AssertionError, SystemExit)):
        _check_command(argv)


# -- text: the demo output is the shape of a real run ---------------------------------------


def _labels(waterfall: str) -> list[str]:
    return [line.split("[")[0].rstrip() for line in waterfall.splitlines() if "[" in line]


def test_the_demo_output_shown_has_the_shape_of_a_real_run() -> None:
    (shown,) = [b for b in _of("text") if b.section == "Two commands"]
    proc = subprocess.run(
        [sys.executable, "-m", "honeyhive_async.cli", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.returncode == 0, proc.stderr
    assert _labels(shown.code) == _labels(proc.stdout)
