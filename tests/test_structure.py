"""The package's shape: module size, and imports that run one way inside `tracing`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "honeyhive_async"
MAX_MODULE_LINES = 400


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_over_the_line_limit(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines"


def _sibling_imports(path: Path, package: str) -> set[str]:
    """Modules of `package` that `path` imports anywhere: top level, functions, TYPE_CHECKING."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                if node.module is None:  # from . import _ids
                    found.update(alias.name for alias in node.names)
                else:
                    found.add(node.module.split(".")[0])
            elif node.level == 0 and (node.module or "").startswith(f"honeyhive_async.{package}."):
                found.add((node.module or "").split(".")[2])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(f"honeyhive_async.{package}."):
                    found.add(alias.name.split(".")[2])
    return found - {"__init__"}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def _graph(package: str) -> dict[str, set[str]]:
    folder = PACKAGE / package
    return {
        path.stem: _sibling_imports(path, package)
        for path in folder.glob("*.py")
        if path.stem != "__init__"
    }


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": set()}, None),
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
        ({"a": {"a"}}, ["a", "a"]),
    ],
)
def test_the_cycle_finder_finds_cycles(graph: dict[str, set[str]], expected: list[str]) -> None:
    assert _cycle(graph) == expected


def test_the_import_reader_sees_type_checking_and_function_imports(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import _ids\n"
        "from ._span import Span\n"
        "if TYPE_CHECKING:\n    from ._tracer import Tracer\n"
        "def f():\n    from honeyhive_async.tracing._exporter import Exporter\n"
    )
    assert _sibling_imports(source, "tracing") == {"_ids", "_span", "_tracer", "_exporter"}


def test_tracing_imports_run_one_way_even_under_type_checking() -> None:
    graph = _graph("tracing")
    assert len(graph) > 5
    assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph) or [])}"


def test_contributing_maps_every_module_and_only_modules_that_exist() -> None:
    text = (PACKAGE.parent / "CONTRIBUTING.md").read_text(encoding="utf-8")
    mapped = {
        name if name.startswith("honeyhive_async/") else f"honeyhive_async/{name}"
        for name in re.findall(
            r"`((?:honeyhive_async/|tracing/|server/|experiments/)[\w/]+\.py)`", text
        )
    }
    actual = {str(path.relative_to(PACKAGE.parent)) for path in _modules()}
    assert sorted(actual - mapped) == [], "modules missing from CONTRIBUTING.md's map"
    assert sorted(mapped - actual) == [], "CONTRIBUTING.md maps modules that do not exist"


@pytest.mark.parametrize("package", ["tracing", "experiments"])
def test_modules_import_only_those_contributing_lists_before_them(package: str) -> None:
    # CONTRIBUTING.md lists these packages' modules in dependency order and says so: hold it
    # to that, so that an upward import (even one that makes no cycle yet) changes the map.
    text = (PACKAGE.parent / "CONTRIBUTING.md").read_text(encoding="utf-8")
    order = re.findall(rf"^- `{package}/(\w+)\.py`", text, re.M)
    order.remove("__init__")
    graph = _graph(package)
    assert sorted(order) == sorted(graph)
    upward = {
        module: sorted(graph[module] & set(order[index + 1 :]))
        for index, module in enumerate(order)
        if graph[module] & set(order[index + 1 :])
    }
    assert upward == {}, "imports of modules CONTRIBUTING.md lists later"


def _imported_modules(folder: Path) -> set[str]:
    """Absolute names of what the modules of `folder` import, relative imports resolved."""
    package = ".".join(folder.relative_to(PACKAGE.parent).parts)
    found: set[str] = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package.rsplit(".", node.level - 1)[0] if node.level else ""
                module = ".".join(part for part in (base, node.module or "") if part)
                found.add(module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return found


def test_the_shared_otel_mapping_depends_on_neither_the_server_nor_opentelemetry() -> None:
    # The server's OTLP ingest and the integrations' span processor both use it: it must be
    # importable without either of them.
    imported = _imported_modules(PACKAGE / "_otel_mapping")
    assert "honeyhive_async.tracing._redact" in imported  # the reader resolves relative imports
    assert sorted(m for m in imported if m.startswith("honeyhive_async.server")) == []
    assert sorted(m for m in imported if m.startswith("opentelemetry")) == []


def test_only_the_span_processor_imports_a_third_party_sdk_in_integrations() -> None:
    for path in (PACKAGE / "integrations").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {
            (node.module or "").split(".")[0]
            for node in tree.body
            if isinstance(node, ast.ImportFrom) and node.level == 0
        } | {
            alias.name.split(".")[0]
            for node in tree.body
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        imported = top - {"__future__", "functools", "inspect", "json", "logging", "threading"}
        imported -= {"collections", "types", "typing", "weakref"}
        expected = {"opentelemetry"} if path.stem == "otel" else set()
        assert imported == expected, path.name
