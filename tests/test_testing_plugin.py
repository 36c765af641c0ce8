"""`honeyhive_async.testing`, the pytest plugin: what importing it without its extra says.

That the README's example passes in a project with no pytest configuration is checked by
tests/test_readme.py, which runs it in a fresh directory.
"""

from __future__ import annotations

import importlib
import sys

import pytest


@pytest.mark.parametrize("missing", ["pytest_asyncio", "pytest"])
def test_importing_the_plugin_without_its_extra_names_the_extra(
    missing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)  # what `import` sees when it is not installed
    monkeypatch.delitem(sys.modules, "honeyhive_async.testing")
    with pytest.raises(ImportError) as caught:
        importlib.import_module("honeyhive_async.testing")
    message = str(caught.value)
    assert "pip install 'honeyhive-async[testing]'" in message
    assert missing in message
    assert caught.value.name == missing
