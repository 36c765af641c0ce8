"""Bulk decoding with Python's cyclic GC paused.

Decoding a 10,000-event page allocates ~10^5 containers; the cyclic GC then runs full
collections over all of them several times mid-decode, which measured about 3x the cost of the
parse itself. Nothing in a freshly decoded page can be garbage, so the GC is paused for large
bodies and restored afterwards, on error too. A process-wide count keeps concurrent decodes
(threads) from re-enabling it under each other, and a GC that was off stays off.

Pausing only defers the work: the first allocation after the pause runs a young collection
that walks the whole page to find it alive (~20 ms for 10,000 events read in full). So a
successful decode also hands what the GC tracks to its oldest generation without collecting
(`promote_all`), where the page costs nothing until the next full collection.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import msgspec

__all__ = ["GC_PAUSE_MIN_BYTES", "decode", "gc_paused", "on_decode", "promote_all"]

T = TypeVar("T")

GC_PAUSE_MIN_BYTES = 64 * 1024
"""Bodies smaller than this decode with the GC as it is: too few objects to matter."""

_freeze = getattr(gc, "freeze", None)  # CPython has it; other interpreters may not
_lock = threading.Lock()
_hooks: dict[Any, Callable[[Any, bytes], None]] = {}
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


def promote_all() -> None:
    """Move every GC-tracked object to the oldest generation, without a collection.

    `gc.freeze()` then `gc.unfreeze()`: two list splices, O(1). Skipped when the application
    froze objects itself (the pre-fork idiom), since unfreezing would undo that.
    """
    if _freeze is not None and gc.get_freeze_count() == 0:
        _freeze()
        gc.unfreeze()


def on_decode(cls: type[T], hook: Callable[[T, bytes], None]) -> None:
    """Have `decode` call ``hook(result, content)`` after it decodes a `cls` (GC still paused)."""
    _hooks[cls] = hook


def decode(decoder: msgspec.json.Decoder[T], content: bytes) -> T:
    """Decode `content`, pausing the GC when the body is large."""
    hook = _hooks.get(decoder.type)
    if len(content) < GC_PAUSE_MIN_BYTES:
        result = decoder.decode(content)
        if hook is not None:
            hook(result, content)
        return result
    with gc_paused():
        result = decoder.decode(content)
        if hook is not None:
            hook(result, content)
        promote_all()
        return result
