"""`tools.client_venvs` (build each official SDK's venv once) and the missing-venv failure."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tools import client_venvs
from tools.client_venvs import BUILD_COMMAND, ClientVenv

from .helpers import client_python


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(client_venvs, "ROOT", tmp_path)
    return tmp_path


def _make(root: Path, *, python: bool, marker: str | None) -> None:
    venv = root / ".venv-honeyhive-0.2.57"
    (venv / "bin").mkdir(parents=True)
    if python:
        (venv / "bin" / "python").write_text("")
    if marker is not None:
        (venv / "honeyhive-client-venv.txt").write_text(marker)


@pytest.mark.parametrize(
    ("python", "marker", "built"),
    [
        (False, None, False),
        (True, None, False),  # interrupted before the install finished
        (True, "honeyhive==0.2.56\n", False),  # built for another release
        (False, "honeyhive==0.2.57\n", False),
        (True, "honeyhive==0.2.57\n", True),
    ],
)
def test_a_venv_is_built_once_its_marker_names_the_requirement(
    root: Path, python: bool, marker: str | None, built: bool
) -> None:
    _make(root, python=python, marker=marker)
    assert ClientVenv("0.2.57").is_built() is built


def test_build_skips_a_built_venv(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _make(root, python=True, marker="honeyhive==0.2.57")

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("nothing to run")

    monkeypatch.setattr(subprocess, "run", refuse)
    assert client_venvs.build(ClientVenv("0.2.57")) is False


def test_build_starts_a_half_built_venv_again_and_marks_it_last(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _make(root, python=True, marker=None)
    stale = root / ".venv-honeyhive-0.2.57" / "stale"
    stale.write_text("")
    commands: list[list[str]] = []
    client = ClientVenv("0.2.57")

    def run(command: list[str], check: bool) -> None:
        assert check
        assert not (client.path / "honeyhive-client-venv.txt").exists()
        commands.append(command)
        if command[1:3] == ["-m", "venv"]:
            (client.path / "bin").mkdir(parents=True)
            client.python.write_text("")

    monkeypatch.setattr(subprocess, "run", run)
    assert client_venvs.build(client, python="python3") is True
    assert not stale.exists()
    assert commands[0] == ["python3", "-m", "venv", str(client.path)]
    assert commands[1][0] == str(client.python)
    assert commands[1][-1] == "honeyhive==0.2.57"
    assert client.is_built()


def test_an_unknown_version_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert client_venvs.main(["9.9.9"]) == 2
    assert "unknown client version(s): 9.9.9" in capsys.readouterr().err


def test_a_missing_venv_fails_the_test_naming_the_command_that_builds_it(root: Path) -> None:
    with pytest.raises(pytest.fail.Exception) as failure:
        client_python("1.7.0")
    message = str(failure.value)
    assert ".venv-honeyhive-1.7.0 is missing" in message
    assert f"`{BUILD_COMMAND}`" in message
