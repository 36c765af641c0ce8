"""The soak (issue 14, target 3): every traced event accounted for, through injected faults.

    python -m benchmarks.soak                 # 1,000,000 events
    python -m benchmarks.soak --quick         # 50,000 events (CI)
    python -m benchmarks.soak --events 2000 --seed 3 --db /tmp/soak.db

An async app makes 10-span sessions (`benchmarks._sessions`: async with ``gather``, sync in
threads, generators) in windows of `WINDOW` sessions, each followed by ``tracer.flush()`` (the
app's backpressure: the queue never holds more than a window). The events go to a
`LocalServer` on an SQLite file in its own process, which fails a seeded share of all requests
(500/503 with ``Retry-After: 0``, 429, dropped connections, partial batches) and logs the event
ids each accepted request stored. Then it checks:

1. lost: every event made is stored (produced - stored == 0);
2. the tracer's report matches the server: sent == stored, dropped == produced - sent,
   pending == 0;
3. nothing stored twice: one row per event_id in the database, no event_id in two accepted
   requests of the log, and the log's ids are the database's;
4. every stored event's ``children_ids`` equal the ids of the events stored with that
   ``parent_id``, and no event names a parent that is not stored (a failed session update
   leaves its session's ``children_ids`` unset; a session whose start was given up leaves its
   root span without a parent);
5. the process's peak RSS while tracing is at most `--rss-limit-mib`.

It prints a short report and exits 1 if a check fails. The Tracer has its default settings:
each request is retried for a minute (`--attempts N` caps it at N attempts instead; with 4, a
request failing 20% of the time independently is given up on 0.2**4 = 0.16% of the time, which
a long soak always hits: those events are reported dropped and check 1 fails).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import time
from typing import Any

import msgspec

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.server import LOCAL_API_KEY
from honeyhive_async.tracing import ExportReport, Tracer

from ._sessions import EVENTS_PER_SESSION, Workload, faulty_server, server_state

WINDOW = 400
"""Sessions made between two flushes: 4,400 events, under the default queue of 10,000."""
FLUSH_TIMEOUT = 600.0


class _Children(msgspec.Struct):
    children_ids: list[str] | None = None


_children_decoder = msgspec.json.Decoder(_Children)


async def trace_sessions(
    url: str, sessions: int, attempts: int | None
) -> tuple[ExportReport, float]:
    """Make `sessions` sessions in windows, flushing after each; return the final report."""
    tracer = Tracer(
        AsyncHoneyHive(api_key=LOCAL_API_KEY, base_url=url),
        max_export_attempts=attempts,
        flush_at_exit=False,
        set_default=False,
    )
    workload = Workload(tracer)
    started = time.perf_counter()
    for first in range(0, sessions, WINDOW):
        await asyncio.gather(
            *(workload.run(i) for i in range(first, min(first + WINDOW, sessions)))
        )
        await tracer.flush(timeout=FLUSH_TIMEOUT)
    report = await tracer.aclose(timeout=FLUSH_TIMEOUT)
    return report, time.perf_counter() - started


def check_database(path: str) -> dict[str, int]:
    """Count what the database holds, and the events whose children or parent do not match."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows, distinct = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM events"
        ).fetchone()
        sessions = conn.execute(
            "SELECT COUNT(*) FROM events WHERE event_type = 'session'"
        ).fetchone()[0]
        mismatched = orphans = 0
        # One session at a time (the index orders them): a session's tree is all in it.
        cursor = conn.execute(
            "SELECT session_id, event_id, parent_id, body FROM events ORDER BY session_id"
        )
        group: list[tuple[str, str | None, bytes]] = []
        current: str | None = None
        for session_id, event_id, parent_id, body in cursor:
            if session_id != current and group:
                bad, lonely = _check_session(group)
                mismatched, orphans, group = mismatched + bad, orphans + lonely, []
            current = session_id
            group.append((event_id, parent_id, body))
        if group:
            bad, lonely = _check_session(group)
            mismatched, orphans = mismatched + bad, orphans + lonely
    finally:
        conn.close()
    return {
        "rows": rows,
        "distinct": distinct,
        "sessions": sessions,
        "children_mismatched": mismatched,
        "orphans": orphans,
    }


def _check_session(group: list[tuple[str, str | None, bytes]]) -> tuple[int, int]:
    """Return how many events of one session list other children than stored, and orphans."""
    ids = {event_id for event_id, _, _ in group}
    stored_children: dict[str, set[str]] = {}
    orphans = 0
    for event_id, parent_id, _ in group:
        if parent_id is not None:
            stored_children.setdefault(parent_id, set()).add(event_id)
            orphans += parent_id not in ids
    mismatched = 0
    for event_id, _, body in group:
        listed = set(_children_decoder.decode(body).children_ids or ())
        mismatched += listed != stored_children.get(event_id, set())
    return mismatched, orphans


def rss_peak_mib() -> float:
    """This process's peak resident set size so far, in MiB (Linux ``VmHWM``).

    Not `resource.getrusage`: Linux carries ``ru_maxrss`` over `exec`, so a soak started from
    a large process (a test runner) would report that process's peak as its own.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("/proc/self/status has no VmHWM line")


def judge(
    produced: int,
    report: ExportReport,
    db: dict[str, int],
    log: dict[str, Any],
    rss: float,
    limit: float,
) -> list[tuple[bool, str]]:
    """The soak's checks: (passed, what was compared) each."""
    dropped = sum(report.dropped.values())
    stored = db["rows"]
    return [
        (
            produced - stored == 0,
            f"lost {produced - stored:,} (made {produced:,}, stored {stored:,})",
        ),
        (
            report.sent == stored and dropped == produced - report.sent and report.pending == 0,
            f"report: sent {report.sent:,} (server {stored:,}), dropped {dropped:,}"
            f"{_reasons(report.dropped)} (made - sent {produced - report.sent:,}), "
            f"pending {report.pending}",
        ),
        (
            db["distinct"] == stored and log["stored_twice"] == 0 and log["distinct"] == stored,
            f"stored twice: database {stored - db['distinct']:,}, accept log "
            f"{log['stored_twice']:,}{_reasons(log['examples'])} "
            f"(log: {log['distinct']:,} ids in {log['requests']:,} requests)",
        ),
        (
            db["children_mismatched"] == 0 and db["orphans"] == 0,
            f"children_ids differ from stored parent_ids: {db['children_mismatched']:,} events "
            f"(failed session updates {report.failed_updates:,}); parent not stored: "
            f"{db['orphans']:,}",
        ),
        (rss <= limit, f"RSS peak {rss:,.1f} MiB (bound {limit:,.0f} MiB)"),
    ]


def _reasons(counts: dict[str, int]) -> str:
    return f" {counts}" if counts else ""


def run(
    events: int,
    *,
    seed: int,
    rate: float,
    attempts: int | None,
    rss_limit_mib: float,
    db_path: str,
) -> tuple[bool, str]:
    """Run the soak; return whether every check passed and the report to print."""
    # whole sessions, rounded up: at least the events asked for (1,000,000 -> 1,000,010)
    sessions = max(1, -(-events // EVENTS_PER_SESSION))
    produced = sessions * EVENTS_PER_SESSION
    with faulty_server(db_path, rate, seed) as url:
        report, took = asyncio.run(trace_sessions(url, sessions, attempts))
        rss = rss_peak_mib()
        state = asyncio.run(server_state(url, LOCAL_API_KEY))
    db = check_database(db_path)
    checks = judge(produced, report, db, state["accepted"], rss, rss_limit_mib)
    faults = state["faults"]
    lines = [
        f"soak: {produced:,} events ({sessions:,} sessions x {EVENTS_PER_SESSION}) into LocalServer "
        f"(SQLite file {db_path}), {rate:.0%} of requests failing (seed {seed}), "
        f"Tracer(max_export_attempts={attempts}), flush every {WINDOW} sessions",
        f"traced and flushed in {took:,.1f} s ({produced / took:,.0f} events/s); faults injected: "
        f"{sum(faults['applied'].values()):,} of {faults['seen']:,} requests {faults['applied']}",
        f"tracer report: {report}",
        f"server: {db['rows']:,} events ({db['sessions']:,} sessions)",
        *[f"  {'ok  ' if ok else 'FAIL'}  {what}" for ok, what in checks],
    ]
    passed = all(ok for ok, _ in checks)
    lines.append("soak: passed" if passed else "soak: FAILED")
    return passed, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="events to trace (sessions included)"
    )
    parser.add_argument("--quick", action="store_true", help="50,000 events (CI)")
    parser.add_argument("--seed", type=int, default=14, help="seed of the server's faults")
    parser.add_argument("--rate", type=float, default=0.2, help="share of requests failing")
    parser.add_argument(
        "--attempts",
        type=int,
        default=None,
        help="the Tracer's max_export_attempts (default: none)",
    )
    parser.add_argument(
        "--rss-limit-mib", type=float, default=256.0, help="fail above this peak RSS"
    )
    parser.add_argument("--db", help="SQLite file to use (kept); default: a temporary one")
    opts = parser.parse_args(argv)
    events = 50_000 if opts.quick else opts.events
    with tempfile.TemporaryDirectory(prefix="hh-soak-") as tmp:
        passed, text = run(
            events,
            seed=opts.seed,
            rate=opts.rate,
            attempts=opts.attempts,
            rss_limit_mib=opts.rss_limit_mib,
            db_path=opts.db or os.path.join(tmp, "soak.db"),
        )
    print(text, flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
