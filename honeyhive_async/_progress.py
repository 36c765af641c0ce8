"""A one-line progress bar on stderr for long jobs (quiet when stderr is not a terminal)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress"]

_REDRAW_EVERY_S = 0.1
_BAR_WIDTH = 24


class Progress:
    """Count items done and redraw ``label  done/total  rate/s  ETA`` at most 10 times a second.

    Args:
        label: What is being done, e.g. ``"export"``.
        total: Items expected, when known (gives a bar and an ETA).
        unit: What one item is, shown after the count (``"events"``, ``"datapoints"``).
        stream: Where to draw; default stderr.
        enabled: Draw at all; default: only when `stream` is a terminal.
        clock: Monotonic seconds (tests pass their own).
    """

    def __init__(
        self,
        label: str,
        *,
        total: int | None = None,
        unit: str = "events",
        stream: TextIO | None = None,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self._skipped = 0
        self.failed = 0
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = self._stream.isatty() if enabled is None else enabled
        self._clock = clock
        self._started = clock()
        self._drawn_at = -_REDRAW_EVERY_S

    def advance(self, count: int, *, failed: int = 0) -> None:
        """Add `count` items done (`failed` of them failed); redraw if the last draw is old enough."""
        self.done += count
        self.failed += failed
        now = self._clock()
        if self._enabled and now - self._drawn_at >= _REDRAW_EVERY_S:
            self._drawn_at = now
            self._draw(now, end="")

    def skip(self, count: int) -> None:
        """Add `count` items done before this run (a resumed export): shown, not in the rate."""
        self.done += count
        self._skipped += count

    def close(self) -> None:
        """Draw the final line and end it."""
        if self._enabled:
            self._draw(self._clock(), end="\n")

    def line(self, now: float | None = None) -> str:
        """The text of the bar as of `now`."""
        now = self._clock() if now is None else now
        elapsed = max(now - self._started, 1e-9)
        rate = (self.done - self._skipped) / elapsed
        parts = [self.label]
        if self.total:
            filled = min(_BAR_WIDTH, _BAR_WIDTH * self.done // self.total)
            parts.append("[" + "#" * filled + "." * (_BAR_WIDTH - filled) + "]")
            parts.append(f"{self.done:,}/{self.total:,} {self.unit}")
        else:
            parts.append(f"{self.done:,} {self.unit}")
        parts.append(f"{rate:,.0f}/s")
        if self.total and rate > 0 and self.done < self.total:
            parts.append(f"ETA {(self.total - self.done) / rate:,.0f}s")
        if self.failed:
            parts.append(f"{self.failed:,} failed")
        return "  ".join(parts)

    def _draw(self, now: float, *, end: str) -> None:
        # "\r" + clear-to-end-of-line redraws in place on any ANSI terminal.
        self._stream.write("\r\x1b[K" + self.line(now) + end)
        self._stream.flush()
