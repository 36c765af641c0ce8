"""Build the venvs the official HoneyHive SDKs run in for tests/clients/ (idempotent).

Each official SDK pins its own dependencies (0.2.57 pulls in traceloop-sdk, 1.7.0 its
OpenTelemetry versions), so each gets a venv of its own at the repository root,
``.venv-honeyhive-<version>``, never this package's `.venv`. A venv whose marker file names the
requirement it was built for is left as it is; anything else (missing, half-built, another
version) is built again from scratch.

    .venv/bin/python -m tools.client_venvs          # every client venv
    .venv/bin/python -m tools.client_venvs 1.7.0    # only this one
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BUILD_COMMAND = ".venv/bin/python -m tools.client_venvs"
"""What a test that finds a client venv missing tells the reader to run (from the repo root)."""

_MARKER = "honeyhive-client-venv.txt"


@dataclass(frozen=True, slots=True)
class ClientVenv:
    """One official SDK and the venv it runs in."""

    version: str
    """The `honeyhive` release, e.g. ``"0.2.57"``."""

    @property
    def requirement(self) -> str:
        """What pip installs into the venv."""
        return f"honeyhive=={self.version}"

    @property
    def path(self) -> Path:
        """The venv's directory, at the repository root."""
        return ROOT / f".venv-honeyhive-{self.version}"

    @property
    def python(self) -> Path:
        """The venv's interpreter."""
        return self.path / "bin" / "python"

    def is_built(self) -> bool:
        """True when the venv exists and its last build installed `requirement` completely."""
        marker = self.path / _MARKER
        return (
            self.python.is_file()
            and marker.is_file()
            and marker.read_text(encoding="utf-8").strip() == self.requirement
        )


CLIENTS: Mapping[str, ClientVenv] = {
    version: ClientVenv(version) for version in ("0.2.57", "1.7.0")
}
"""The official SDK releases tests/clients/ runs against the local server, by version."""


def build(client: ClientVenv, *, python: str = sys.executable) -> bool:
    """Build `client`'s venv unless it is already built; return True if it was (re)built.

    The marker is written last, so an interrupted build is started again next time.
    """
    if client.is_built():
        return False
    if client.path.exists():
        shutil.rmtree(client.path)
    subprocess.run([python, "-m", "venv", str(client.path)], check=True)
    pip = [str(client.python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, client.requirement], check=True)
    (client.path / _MARKER).write_text(client.requirement + "\n", encoding="utf-8")
    return True


def main(argv: Sequence[str] = ()) -> int:
    """Build the named client venvs (every one when none is named)."""
    unknown = [version for version in argv if version not in CLIENTS]
    if unknown:
        print(  # noqa: T201
            f"unknown client version(s): {', '.join(unknown)}; known: {', '.join(CLIENTS)}",
            file=sys.stderr,
        )
        return 2
    for version in argv or list(CLIENTS):
        client = CLIENTS[version]
        built = build(client)
        state = "built" if built else "already built"
        print(f"{client.path.name}: {state} ({client.requirement})")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
