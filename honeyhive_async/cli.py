"""The ``honeyhive-async`` command line: argument parsing and printing only.

Each subcommand is added by an ``_add_<name>(subparsers)`` function that sets ``handler``
to a function taking the parsed arguments and returning the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex
import signal
import sqlite3
import sys
from collections.abc import Callable
from typing import cast

from ._version import __version__
from .server import LOCAL_API_KEY, LocalServer

__all__ = ["build_parser", "main"]

_Handler = Callable[[argparse.Namespace], int]
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, got {port}")
    return port


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="honeyhive-async", description="Tools for the honeyhive_async SDK."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_serve(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = cast("_Handler | None", getattr(args, "handler", None))
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    return handler(args)


# -- serve ---------------------------------------------------------------------------------


def _add_serve(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run a local HoneyHive-compatible server",
        description=(
            "Run a local HoneyHive-compatible API server (SQLite-backed) until Ctrl-C. "
            f"The default key {LOCAL_API_KEY!r} is a local-only credential."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=_port, default=8000, help="0 picks a free port (default: %(default)s)"
    )
    parser.add_argument(
        "--db", default=":memory:", metavar="PATH", help="SQLite file (default: in memory)"
    )
    parser.add_argument(
        "--api-key", default=LOCAL_API_KEY, help="bearer key to require (default: %(default)s)"
    )
    parser.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_run_server(args.host, args.port, args.db, args.api_key))
    except KeyboardInterrupt:
        return 0


async def _run_server(host: str, port: int, db: str, api_key: str) -> int:
    try:
        server = LocalServer(api_key=api_key, host=host, port=port, db=db, shutdown_timeout=5.0)
    except (sqlite3.Error, ValueError) as exc:
        print(f"honeyhive-async serve: cannot open database {db!r}: {exc}", file=sys.stderr)
        return 1
    try:
        await server.start()
    except OSError as exc:
        await server.close()
        print(f"honeyhive-async serve: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    try:
        if host not in _LOOPBACK:
            print(
                f"warning: listening on {host}, reachable from other machines; "
                "anyone who knows the key can read and write events",
                file=sys.stderr,
            )
        print(f"HoneyHive-compatible local server on {server.url} (db: {db})")
        print("Point the SDK at it with:")
        print(f"  export HH_API_URL={shlex.quote(server.url)} HH_API_KEY={shlex.quote(api_key)}")
        print("Press Ctrl-C to stop.", flush=True)
        await _wait_for_stop_signal()
    finally:
        await server.close()
    print("Stopped.", flush=True)
    return 0


async def _wait_for_stop_signal() -> None:
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


if __name__ == "__main__":
    sys.exit(main())
