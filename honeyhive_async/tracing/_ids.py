"""Event ids: UUIDv4 values drawn without a syscall, kept as integers until they are sent.

`str(uuid.uuid4())` costs ~2.5 us (an `os.urandom` call each) and formatting a UUID string
~0.2 us more. Here each process draws 74 random bits once for the high 80 bits of a version-4
UUID and numbers its ids in the low 48 bits from a random start; a span holds its id as that
128-bit integer (48 bytes rather than an 85-byte string) and the exporter formats it, off the
caller's path. A forked child draws new high bits, so parent and child never share an id, and
an id keeps its own high bits wherever it is formatted.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable

__all__ = ["format_id", "next_id"]

_LOW_BITS = 48
_LOW_MASK = (1 << _LOW_BITS) - 1
_TOP = 1 << _LOW_BITS
# Version 4 in bits 76-79, RFC 4122 variant (0b10) in bits 62-63 of the UUID.
_VERSION = 0x4 << 76
_VARIANT = 0b10 << 62
_RANDOM_HIGH = ((1 << 128) - 1) ^ _LOW_MASK ^ (0xF << 76) ^ (0b11 << 62)


def _high_text(high: int) -> str:
    h = f"{high << _LOW_BITS:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-"


def _fresh_counter() -> tuple[int, str, Callable[[], int]]:
    base = int.from_bytes(os.urandom(16), "big") & _RANDOM_HIGH | _VERSION | _VARIANT
    # The counter starts below 2**44, leaving 15/16 of the 48-bit space to count in.
    start = int.from_bytes(os.urandom(6), "big") >> 4
    return base, _high_text(base >> _LOW_BITS), itertools.count(base | start).__next__


_base, _base_text, next_id = _fresh_counter()
"""Return a new id as an integer (format it with `format_id`).

Rebound in a forked child: call it as `_ids.next_id()`, never through an imported name.
"""


def format_id(value: int | str) -> str:
    """The UUID text of an id from `next_id`; a string id (the user's own) is returned as is."""
    if isinstance(value, str):
        return value
    low = value - _base
    if 0 <= low <= _LOW_MASK:  # this process's ids: the high part is formatted already
        # `hex` of the low bits with a 13th digit on top (cut off with "0x1"): zero-padded
        # to 12 digits, and cheaper than a format spec (issue 14: the exporter's CPU).
        return _base_text + hex(low | _TOP)[3:]
    return f"{_high_text(value >> _LOW_BITS)}{value & _LOW_MASK:012x}"


def _reseed() -> None:
    global _base, _base_text, next_id
    _base, _base_text, next_id = _fresh_counter()


os.register_at_fork(after_in_child=_reseed)
