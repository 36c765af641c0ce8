"""JSON Lines files of the transfers: appending raw lines, counting lines, cutting a partial one."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

__all__ = ["complete_lines", "count_lines", "open_output", "write_lines"]

_READ_CHUNK = 1 << 20
_IOV_MAX = 1024  # POSIX guarantees at least 16; Linux and macOS allow 1024


def open_output(path: Path, *, append: bool) -> IO[bytes]:
    """Open `path` unbuffered at its end (`append`) or emptied; the caller closes it."""
    # Unbuffered: `write_lines` writes to the descriptor itself.
    out = open(path, "r+b" if append else "wb", buffering=0)  # noqa: SIM115
    out.seek(0, os.SEEK_END)
    return out


def write_lines(out: IO[bytes], lines: Sequence[Any]) -> None:
    """Append each bytes-like item of `lines`, and a newline after it, to the unbuffered `out`."""
    if not hasattr(os, "writev"):  # Windows
        out.write(b"\n".join(lines) + b"\n")  # Raw is a bytes-like buffer
        return
    # writev hands the kernel the event buffers themselves: no copy into one big bytes,
    # and the kernel's copy runs without the GIL, beside the next page's download.
    parts: list[Any] = []
    for line in lines:
        parts.append(line)
        parts.append(b"\n")
    fd = out.fileno()
    for first in range(0, len(parts), _IOV_MAX):
        chunk = parts[first : first + _IOV_MAX]
        sent = os.writev(fd, chunk)
        if sent < sum(map(len, chunk)):  # a short write (disk full, signal): finish it plainly
            out.write(b"".join(chunk)[sent:])


def complete_lines(path: Path) -> tuple[int, bytes | None]:
    """Count the complete lines of `path`, cut off a partial last line, return the last line."""
    count = 0
    end = 0  # offset just past the last newline
    with open(path, "r+b") as file:
        offset = 0
        while chunk := file.read(_READ_CHUNK):
            newlines = chunk.count(b"\n")
            if newlines:
                count += newlines
                end = offset + chunk.rindex(b"\n") + 1
            offset += len(chunk)
        file.truncate(end)
        if count == 0:
            return 0, None
        # Read back from the end to the newline before the last line.
        start = end - 1
        while start > 0:
            step = min(_READ_CHUNK, start)
            file.seek(start - step)
            before = file.read(step)
            cut = before.rfind(b"\n")
            if cut >= 0:
                start = start - step + cut + 1
                break
            start -= step
        file.seek(start)
        return count, file.read(end - start)


def count_lines(path: Path) -> int:
    """Count the lines of `path`, a last one without a newline included."""
    count = 0
    last = b"\n"
    with open(path, "rb") as file:
        while chunk := file.read(_READ_CHUNK):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count if last == b"\n" else count + 1
