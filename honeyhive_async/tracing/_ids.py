"""Event ids: UUIDv4-formatted strings, unique without a syscall per id.

`str(uuid.uuid4())` costs ~2.5 us (an `os.urandom` call each). Here each process draws 72
random bits once for a prefix and numbers its ids after it from a random start: ~0.2 us an id,
unique across processes with overwhelming probability, and a forked child draws a new prefix
so that parent and child never hand out the same ids.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable

__all__ = ["new_id"]


def _fresh_counter() -> tuple[str, Callable[[], int]]:
    h = os.urandom(12).hex()
    variant = "89ab"[int(h[16], 16) & 3]
    prefix = f"{h[:8]}-{h[8:12]}-4{h[12:15]}-{variant}{h[15:18]}-"
    # 12 hex digits of counter; starting below 2**44 leaves 15/16 of the space to count in.
    start = int.from_bytes(os.urandom(6), "big") >> 4
    return prefix, itertools.count(start).__next__


_prefix, _next = _fresh_counter()


def new_id() -> str:
    """Return a new id in UUIDv4 form (version 4, RFC 4122 variant)."""
    return f"{_prefix}{_next():012x}"


def _reseed() -> None:
    global _prefix, _next
    _prefix, _next = _fresh_counter()


os.register_at_fork(after_in_child=_reseed)
