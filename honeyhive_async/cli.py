"""The ``honeyhive-async`` command line: argument parsing and printing only.

Each subcommand is added by an ``_add_<name>(subparsers)`` function that sets ``handler``
to a function taking the parsed arguments and returning the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sqlite3
import sys
from collections.abc import Callable
from typing import cast
from urllib.parse import quote

from . import _serving
from ._version import __version__
from .server import LOCAL_API_KEY, LocalServer
from .server.ui import sign_in_link

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


def _api_key(text: str) -> str:
    # LocalServer refuses an empty key; saying so here gives a usage error (exit 2) that
    # names the option, instead of a failure that looks like a database problem.
    if not text.strip():
        raise argparse.ArgumentTypeError("the API key can't be empty")
    return text


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="honeyhive-async", description="Tools for the honeyhive_async SDK."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_serve(subparsers)
    _add_demo(subparsers)
    _add_show(subparsers)
    _add_events(subparsers)
    _add_datasets(subparsers)
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
        "--api-key",
        type=_api_key,
        default=LOCAL_API_KEY,
        help="bearer key to require, not empty (default: %(default)s)",
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
        print(f"Web view: {server.url}/ui (sign in with the API key)")
        print("Press Ctrl-C to stop.", flush=True)
        await _serving.wait_for_stop_signal()
    finally:
        await server.close()
    print("Stopped.", flush=True)
    return 0


# -- demo and show ------------------------------------------------------------------------


def _add_demo(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="trace a small fake LLM app into an embedded local server and print the session",
        description=(
            "Start the local server in-process, run a traced fake LLM app (streaming model, "
            "tools, a chain, parallel calls, a caught error), flush, read the session back "
            "and print it as a waterfall. No network, no key."
        ),
    )
    parser.add_argument(
        "--db", default=":memory:", metavar="PATH", help="keep the events in this SQLite file"
    )
    parser.add_argument(
        "--question", default="How does HoneyHive group tracing sessions?", help="the question"
    )
    parser.add_argument(
        "--open", action="store_true", help="open the session in a browser; serve until Ctrl-C"
    )
    parser.set_defaults(handler=_demo)


def _add_show(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "show",
        help="print a session as a waterfall",
        description="Read a session tree from a HoneyHive API (or the local server) and print it.",
    )
    parser.add_argument("session_id", help="the session id")
    parser.add_argument("--base-url", default=None, help="API root (default: $HH_API_URL)")
    parser.add_argument("--api-key", default=None, help="API key (default: $HH_API_KEY)")
    parser.set_defaults(handler=_show)


def _unicode_ok() -> bool:
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower()
    return encoding.replace("-", "").startswith("utf")


def _demo(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_run_demo(args.db, args.question, args.open))
    except KeyboardInterrupt:
        return 0


async def _run_demo(db: str, question: str, open_ui: bool = False) -> int:
    from ._client import AsyncHoneyHive
    from .demo import answer_question
    from .render import render_waterfall
    from .tracing import Tracer

    async with LocalServer(db=db) as server:
        print(f"Local HoneyHive-compatible server on {server.url}")
        client = AsyncHoneyHive(server.api_key, base_url=server.url)
        tracer = Tracer(client, source="demo", flush_at_exit=False)
        try:
            async with tracer.session(
                "demo-chat", inputs={"question": question}, user_properties={"user": "demo"}
            ) as session:
                result = await answer_question(question)
                session.update(outputs={"answer": result["answer"]})
            report = await tracer.aclose(timeout=10)
            tree = await client.session.get_tree(session.event_id)
        finally:
            await tracer.aclose(timeout=1)
            await client.aclose()
        print(f"Answer: {result['answer']}\n")
        print(render_waterfall(tree, unicode=_unicode_ok()))
        dropped = f", dropped {report.dropped}" if report.dropped else ""
        print(
            f"\nSession {tree.event_id}: {len(tree.walk())} events; exporter sent {report.sent}{dropped}"
        )
        if db != ":memory:":
            print(
                f"Kept in {db}: `honeyhive-async serve --db {shlex.quote(db)}`, then "
                f"`honeyhive-async show {tree.event_id}`"
            )
        if open_ui:
            page = f"/ui/sessions/{quote(tree.event_id, safe='')}"
            print(f"\nWeb view: {server.url}{page} (sign in with the API key)")
            print("Press Ctrl-C to stop.", flush=True)
            # A one-time sign-in link, so the browser lands signed in; it never holds the key.
            if not _serving.open_browser(server.url + sign_in_link(server.app, page)):
                print("No browser found: open the address above yourself.", flush=True)
            await _serving.wait_for_stop_signal()
    return 0 if not report.dropped and not report.pending else 1


def _show(args: argparse.Namespace) -> int:
    return asyncio.run(_run_show(args.session_id, args.base_url, args.api_key))


async def _run_show(session_id: str, base_url: str | None, api_key: str | None) -> int:
    from ._client import AsyncHoneyHive
    from .errors import HoneyHiveError
    from .render import render_waterfall

    try:
        async with AsyncHoneyHive(api_key, base_url=base_url) as client:
            tree = await client.session.get_tree(session_id)
    except (HoneyHiveError, ValueError) as exc:
        print(f"honeyhive-async show: {exc}", file=sys.stderr)
        return 1
    print(render_waterfall(tree, unicode=_unicode_ok()))
    return 0


# -- events and datasets export / import ------------------------------------------------------


def _filter(text: str) -> object:
    from .transfer import parse_filter

    try:
        return parse_filter(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", default=None, help="API root (default: $HH_API_URL)")
    parser.add_argument("--api-key", default=None, help="API key (default: $HH_API_KEY)")


def _add_events(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("events", help="export or import events as JSON Lines")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    export = commands.add_parser(
        "export",
        help="write every matching event to a JSON Lines file",
        description=(
            "Stream every matching event, newest first, to a JSON Lines file, each line as "
            "the server sent it. --resume continues a cut-off file: its N complete lines are "
            "taken as the first N events of the same search (a partial last line is dropped); "
            "if the events in the window changed since, it stops rather than duplicate. "
            "Give --until a past time to keep the window fixed."
        ),
    )
    export.add_argument("--out", required=True, metavar="PATH", help="the JSON Lines file")
    export.add_argument(
        "--filter",
        dest="filters",
        action="append",
        type=_filter,
        default=[],
        metavar="'FIELD OP VALUE'",
        help="e.g. 'event_type is model' or 'metadata.cost greater than 0.5'; repeatable",
    )
    export.add_argument("--since", default=None, metavar="TIME", help="ISO 8601 start time")
    export.add_argument("--until", default=None, metavar="TIME", help="ISO 8601 end time")
    export.add_argument("--resume", action="store_true", help="continue a cut-off file")
    _add_connection(export)
    export.set_defaults(handler=_transfer, action="events-export")
    imp = commands.add_parser(
        "import",
        help="create the events of a JSON Lines file",
        description="Send the events of a JSON Lines file (as `events export` writes) "
        "through the batch API; they keep their ids.",
    )
    imp.add_argument("path", help="the JSON Lines file")
    _add_connection(imp)
    imp.set_defaults(handler=_transfer, action="events-import")


def _add_datasets(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "datasets", help="export or import a dataset with its datapoints"
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    export = commands.add_parser(
        "export",
        help="write a dataset and its datapoints to a JSON Lines file",
        description="The first line is the dataset, each following line one of its datapoints.",
    )
    export.add_argument("dataset_id", help="the dataset's id")
    export.add_argument("--out", required=True, metavar="PATH", help="the JSON Lines file")
    _add_connection(export)
    export.set_defaults(handler=_transfer, action="datasets-export")
    imp = commands.add_parser(
        "import",
        help="create a dataset and its datapoints from a file `datasets export` wrote",
        description="Creates a new dataset (new ids) holding new copies of the datapoints.",
    )
    imp.add_argument("path", help="the JSON Lines file")
    _add_connection(imp)
    imp.set_defaults(handler=_transfer, action="datasets-import")


def _transfer(args: argparse.Namespace) -> int:
    return asyncio.run(_run_transfer(args))


async def _run_transfer(args: argparse.Namespace) -> int:
    from . import dataset_transfer, transfer
    from ._client import AsyncHoneyHive
    from ._progress import Progress
    from .errors import HoneyHiveError

    action: str = args.action
    result: transfer.TransferResult | dataset_transfer.DatasetTransferResult
    unit = "datapoints" if action.startswith("datasets") else "events"
    progress = Progress(action.split("-")[1], unit=unit)
    try:
        async with AsyncHoneyHive(args.api_key, base_url=args.base_url) as client:
            if action == "events-export":
                result = await transfer.export_events(
                    client,
                    args.out,
                    filters=args.filters,
                    since=args.since,
                    until=args.until,
                    resume=args.resume,
                    progress=progress,
                )
            elif action == "events-import":
                result = await transfer.import_events(client, args.path, progress=progress)
            elif action == "datasets-export":
                result = await dataset_transfer.export_dataset(
                    client, args.dataset_id, args.out, progress=progress
                )
            else:
                result = await dataset_transfer.import_dataset(client, args.path, progress=progress)
    except (HoneyHiveError, transfer.TransferError, ValueError, OSError) as exc:
        progress.close()
        print(f"honeyhive-async {action.replace('-', ' ')}: {exc}", file=sys.stderr)
        return 1
    progress.close()
    print(_summary(action, result))
    warning = result.warning()
    if warning:
        print(f"honeyhive-async {action.replace('-', ' ')}: warning: {warning}", file=sys.stderr)
    return 0


def _summary(action: str, result: object) -> str:
    from .dataset_transfer import DatasetTransferResult
    from .transfer import TransferResult

    if isinstance(result, DatasetTransferResult):
        verb = "exported" if action.endswith("export") else "imported"
        return f"{verb} dataset {result.dataset_id} with {result.datapoints} datapoints"
    assert isinstance(result, TransferResult)
    if action == "events-import":
        return f"imported {result.events} events"
    kept = f" (kept {result.skipped} already in the file)" if result.skipped else ""
    return f"exported {result.events} events{kept}"


if __name__ == "__main__":
    sys.exit(main())
