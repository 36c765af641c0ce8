"""Bulk decoding with Python's cyclic GC paused.

Decoding a 10,000-event page allocates ~10^5 containers; the cyclic GC then runs full
collections over all of them several times mid-decode, which measured about 3x the cost of the
parse itself. Nothing in a freshly decoded page can be garbage, so the GC is paused for large
bodies and restored afterwards, on error too. A process-wide count keeps concurrent decodes
(threads) from re-enabling it under each other, and a GC that was off stays off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import msgspec

__all__ = ["GC_PAUSE_MIN_BYTES", "decode", "gc_paused"]

T = TypeVar("T")

GC_PAUSE_MIN_BYTES = 64 * 1024
"""Bodies smaller than this decode with the GC as it is: too few objects to matter."""

_lock = threading.Lock()
_depth = 0
_reenable = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC inside the block; restore its previous state on exit."""
    global _depth, _reenable
    with _lock:
        if _depth == 0:
            _reenable = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _reenable:
                gc.enable()


def decode(decoder: msgspec.json.Decoder[T], content: bytes) -> T:
    """Decode `content`, pausing the GC when the body is large."""
    if len(content) < GC_PAUSE_MIN_BYTES:
        return decoder.decode(content)
    with gc_paused():
        return decoder.decode(content)
