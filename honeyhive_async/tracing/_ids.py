"""Event ids: UUIDv4 values drawn without a syscall, kept as small integers until they are sent.

`str(uuid.uuid4())` costs ~2.5 us (an `os.urandom` call each) and formatting a UUID string
~0.2 us more. Here each process draws 74 random bits once for the high 80 bits of a version-4
UUID and numbers its ids in the low 48 bits from a random start. A span holds its id as a small
integer, ``generation << 48 | low``, and the exporter formats it, off the caller's path: the
generation names the high bits it goes with. Small, the integers are counted by
`itertools.count`'s fast path and take 32 bytes each; 128-bit ones cost the caller's path
~0.1 us more per id (a big-integer addition each). A forked child draws new high bits under a
generation of its own, so parent and child never share an id, and an id made before the fork
still formats with the high bits it was made under.
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
_SMALL = 1 << 76
"""Ids below this are ``generation << 48 | low``; a version-4 UUID's value is at least 2**78."""

_high_texts: list[str] = []
"""The formatted high part of each generation's ids, by generation."""


def _high_text(high: int) -> str:
    h = f"{high << _LOW_BITS:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-"


def _fresh_counter() -> tuple[int, str, Callable[[], int]]:
    """Draw a new generation's high bits: return them (as a UUID value), their text, its counter."""
    base = int.from_bytes(os.urandom(16), "big") & _RANDOM_HIGH | _VERSION | _VARIANT
    text = _high_text(base >> _LOW_BITS)
    generation = len(_high_texts)
    _high_texts.append(text)
    # The counter starts below 2**44, leaving 15/16 of the 48-bit space to count in.
    start = int.from_bytes(os.urandom(6), "big") >> 4
    return base, text, itertools.count(generation << _LOW_BITS | start).__next__


_base, _base_text, next_id = _fresh_counter()
"""Return a new id as an integer (format it with `format_id`).

Rebound in a forked child: call it as `_ids.next_id()`, never through an imported name.
"""


def format_id(value: int | str) -> str:
    """The UUID text of an id from `next_id`; a string id (the user's own) is returned as is.

    A 128-bit integer (a UUID's value) is formatted as that UUID.
    """
    if isinstance(value, str):
        return value
    if value < _SMALL:
        # `hex` of the low bits with a 13th digit on top (cut off with "0x1"): zero-padded
        # to 12 digits, and cheaper than a format spec (issue 14: the exporter's CPU).
        return _high_texts[value >> _LOW_BITS] + hex(value & _LOW_MASK | _TOP)[3:]
    return f"{_high_text(value >> _LOW_BITS)}{value & _LOW_MASK:012x}"


def _reseed() -> None:
    global _base, _base_text, next_id
    _base, _base_text, next_id = _fresh_counter()


os.register_at_fork(after_in_child=_reseed)
