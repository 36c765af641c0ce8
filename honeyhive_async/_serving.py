"""What the commands that keep a server up share: waiting for Ctrl-C, opening the web view."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import webbrowser

__all__ = ["open_browser", "wait_for_stop_signal"]


async def wait_for_stop_signal() -> None:
    """Return on Ctrl-C (SIGINT) or SIGTERM."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    # Windows has no loop signal handlers; there asyncio.run turns Ctrl-C into cancelling
    # this wait instead, and the caller's `finally` still closes the server.
    with contextlib.suppress(NotImplementedError):
        for sig in signals:
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        with contextlib.suppress(NotImplementedError):
            for sig in signals:
                loop.remove_signal_handler(sig)


def open_browser(url: str) -> bool:
    """Open `url` in the user's browser; False when there is none (a headless machine)."""
    return webbrowser.open(url)
