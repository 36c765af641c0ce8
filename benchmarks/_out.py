"""What a case module hands back: tables ready to print, plus the numbers the bars are judged on.

A case module prints one JSON object on stdout: ``{"tables": [...], "metrics": {...}}``. Tables
are lists of formatted rows; metrics are plain floats keyed like ``decode.page.short.vs_msgspec``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def table(title: str, headers: list[str], rows: list[list[Any]], note: str = "") -> dict[str, Any]:
    return {"title": title, "headers": headers, "rows": rows, "note": note}


def num(value: float | None, digits: int = 2) -> str:
    """Format a number with thousands separators and `digits` decimals ('n/a' for None)."""
    if value is None:
        return "n/a"
    if abs(value) >= 100:
        digits = 0
    return f"{value:,.{digits}f}"


def spread(st: dict[str, float], scale: float = 1.0, digits: int = 2) -> str:
    """'min-max' of a stats dict, scaled."""
    return f"{num(st['min'] * scale, digits)}-{num(st['max'] * scale, digits)}"


def ratio(value: float) -> str:
    return f"{value:.2f}x"


def args(argv: list[str] | None = None, **extra: Any) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="run every case once, small sizes")
    for name, default in extra.items():
        parser.add_argument(f"--{name}", default=default)
    return parser.parse_args(argv)


def emit(tables: list[dict[str, Any]], metrics: dict[str, float], **info: Any) -> None:
    json.dump({"tables": tables, "metrics": metrics, **info}, sys.stdout)
    sys.stdout.write("\n")


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)
