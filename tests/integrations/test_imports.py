"""The integrations are optional: `import honeyhive_async` pulls in no provider SDK."""

from __future__ import annotations

import json
import subprocess
import sys

OPTIONAL = ("openai", "anthropic", "opentelemetry", "honeyhive_async.integrations")


def _loaded_after(statement: str) -> list[str]:
    script = (
        f"import json, sys\n{statement}\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {OPTIONAL!r}"
        f" or m.startswith('honeyhive_async.integrations'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    loaded: list[str] = json.loads(out.splitlines()[-1])
    return loaded


def test_importing_the_package_imports_no_provider_sdk_and_no_integration() -> None:
    assert _loaded_after("import honeyhive_async, honeyhive_async.tracing") == []


def test_the_wrappers_import_no_provider_sdk_until_given_a_client() -> None:
    loaded = _loaded_after("from honeyhive_async.integrations import wrap_openai, wrap_anthropic")
    assert [m for m in loaded if not m.startswith("honeyhive_async")] == []
