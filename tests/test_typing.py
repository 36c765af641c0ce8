"""`@trace` keeps the user's signature: mypy must flag wrong calls in tests/typing/."""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

CHECKED = Path(__file__).parent / "typing" / "check_trace.py"


def test_trace_keeps_signatures_for_mypy() -> None:
    stdout, stderr, _status = api.run(
        [str(CHECKED), "--strict", "--no-incremental", "--show-error-codes", "--no-error-summary"]
    )
    expected = {
        (lineno, m.group(1))
        for lineno, line in enumerate(CHECKED.read_text().splitlines(), start=1)
        if (m := re.search(r"# error: ([a-z-]+)", line))
    }
    reported = {
        (int(m.group(1)), m.group(2))
        for m in re.finditer(r"check_trace\.py:(\d+): error: .*\[([a-z-]+)\]", stdout)
    }
    assert len(expected) == 4
    assert reported == expected, stdout + stderr
