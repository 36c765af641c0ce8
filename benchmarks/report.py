"""Render the jobs' JSON into `RESULTS.md`: machine, versions, the bars, then every table."""

from __future__ import annotations

from typing import Any

from ._out import num, table
from .evaluate import HEADERS as EVALUATE_HEADERS
from .evaluate import rows_and_metrics as evaluate_rows
from .integrations import KINDS as CALLS
from .integrations import integration_tables
from .tracing import CHUNKS, FLOOR, HEADERS, OTEL, rows_for

KINDS = ("short", "mixed", "long")

# (what the issue asks, metric, ">=" or "<=", threshold, unit shown after the value)
BARS: list[tuple[str, str, str, float, str]] = [
    ("1. single event (short) vs plain msgspec", "decode.single.short.vs_msgspec", ">=", 0.9, "x"),
    ("1. single event (long) vs plain msgspec", "decode.single.long.vs_msgspec", ">=", 0.9, "x"),
    *[
        (
            f"1. 10k page ({k}) vs plain msgspec, GC on",
            f"decode.page.{k}.vs_msgspec",
            ">=",
            2.0,
            "x",
        )
        for k in KINDS
    ],
    *[
        (f"1. 10k page ({k}) vs honeyhive 1.7.0", f"decode.page.{k}.vs_sdk", ">=", 8.0, "x")
        for k in KINDS
    ],
    *[
        (
            f"14.5 10k page ({k}), every free-form field read, vs plain msgspec decode (GC on)",
            f"decode.page.{k}.all_fields_vs_msgspec",
            ">=",
            1.0,
            "x",
        )
        for k in KINDS
    ],
    *[
        (
            f"14.5 10k page ({k}), one field read per event, vs plain msgspec decode (GC on)",
            f"decode.page.{k}.one_field_vs_msgspec",
            ">=",
            1.5,
            "x",
        )
        for k in KINDS
    ],
    ("2. session.get c=1 vs raw aiohttp", "requests.c1.vs_raw", ">=", 0.9, "x"),
    ("2. session.get c=32 vs raw aiohttp", "requests.c32.vs_raw", ">=", 0.9, "x"),
    ("2. session.get c=1 vs honeyhive 1.7.0", "requests.c1.vs_sdk", ">=", 20.0, "x"),
    ("2. session.get c=32 vs honeyhive 1.7.0", "requests.c32.vs_sdk", ">=", 20.0, "x"),
    ("2. throughput c=32 / c=1 (must not fall)", "requests.c32_over_c1", ">=", 1.0, "x"),
    (
        "2. retry layer, first attempt succeeds (loopback, c=1)",
        "requests.c1.retry_overhead_pct",
        "<=",
        5.0,
        " %",
    ),
    (
        "2. retry layer, first attempt succeeds (stubbed transport)",
        "requests.retry_stub_pct",
        "<=",
        5.0,
        " %",
    ),
    ("3. added per sync span", "tracing.sync.added_us", "<=", 3.0, " us"),
    ("3. added per async span", "tracing.async.added_us", "<=", 4.0, " us"),
    ("3. bare OTel / ours, sync span", "tracing.sync.otel_over_ours", ">=", 10.0, "x"),
    ("3. bare OTel / ours, async span", "tracing.async.otel_over_ours", ">=", 10.0, "x"),
    ("3. added per span, sync depth 3", "tracing.sync, depth 3.added_us", "<=", 3.0, " us"),
    ("3. added per span, async depth 3", "tracing.async, depth 3.added_us", "<=", 4.0, " us"),
    ("3. bare OTel / ours, sync depth 3", "tracing.sync, depth 3.otel_over_ours", ">=", 10.0, "x"),
    (
        "3. bare OTel / ours, async depth 3",
        "tracing.async, depth 3.otel_over_ours",
        ">=",
        10.0,
        "x",
    ),
    ("4. added per chunk, async generator", "tracing.async generator.added_us", "<=", 0.5, " us"),
    ("5. export to the null sink", "export.sink.events_s", ">=", 50_000, " events/s"),
    ("5. app loop lag p99 while exporting (sink)", "export.sink.lag_p99_ms", "<=", 5.0, " ms"),
    (
        "5. 10-span sessions vs raw 500-event create_batch (LocalServer, events/s)",
        "export.sessions.vs_raw_batch",
        ">=",
        0.5,
        "x",
    ),
    (
        "6. bytes per buffered event (payloads excluded, the tracer's copies of them included)",
        "memory.ours.bytes_per_event",
        "<=",
        512,
        " B",
    ),
    (
        "6. server down: heap after 60k calls / after 40k (stops growing)",
        "memory.bound.heap_growth",
        "<=",
        1.05,
        "x",
    ),
    ("7. events export vs raw aiohttp page loop", "transfer.export.vs_raw", ">=", 0.8, "x"),
    ("7. export/import round trip exact (1 = yes)", "transfer.round_trip.exact", ">=", 1.0, "x"),
    ("8. evaluate c=16: wall / ideal", "evaluate.ours.c16.over_ideal", "<=", 1.2, "x"),
    ("8. evaluate c=64: wall / ideal", "evaluate.ours.c64.over_ideal", "<=", 1.2, "x"),
    (
        "8. evaluate: honeyhive 1.7.0 at its defaults / ours at its concurrency (10)",
        "evaluate.sdk_over_ours",
        ">=",
        5.0,
        "x",
    ),
    *[
        (
            f"9. wrap_openai adds to a loopback call ({c})",
            f"integrations.{c}.ours_added_pct",
            "<=",
            5.0,
            " %",
        )
        for c in CALLS
    ],
    *[
        (
            f"9. wrap_openai cheapest of the four ({c}; 1 = yes)",
            f"integrations.{c}.ours_cheapest",
            ">=",
            1.0,
            "x",
        )
        for c in CALLS
    ],
    (
        "10. events dropped, 5,000 spans/s of 10-span sessions, 20% faults",
        "capacity.dropped",
        "<=",
        0,
        " events",
    ),
    ("10. app loop lag p99 at 5,000 spans/s, 20% faults", "capacity.lag_p99_ms", "<=", 5.0, " ms"),
    (
        "11. aiohttp service at saturation, a session and 3 traced calls a request: "
        "requests/s traced / untraced (CPU per request, export included)",
        "service.ours.vs_untraced",
        ">=",
        0.97,
        "x",
    ),
    (
        "12. web view: server render of a 10,000-event session page (handler, median)",
        "ui.session_10k.render_ms",
        "<=",
        1000,
        " ms",
    ),
]


def _fmt_metric(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    return f"{num(value, 2)}{unit}"


def _md_table(t: dict[str, Any]) -> str:
    lines = [f"### {t['title']}", "", "| " + " | ".join(t["headers"]) + " |"]
    lines.append("|" + "|".join("---" for _ in t["headers"]) + "|")
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in t["rows"]]
    if t.get("note"):
        lines += ["", t["note"]]
    return "\n".join(lines) + "\n"


def _added(by_name: dict[str, Any], name: str, kind: str) -> float:
    s, base = by_name[name], by_name["undecorated"]
    per = CHUNKS if kind.endswith("generator") else s["spans"]
    return (s["median"] - base["median"]) / per * 1e6


def tracing_tables(runs: list[dict[str, Any]], metrics: dict[str, float]) -> list[dict[str, Any]]:
    by_peer = {r["peer"]: r for r in runs}
    ours = by_peer["ours"]["results"]
    peers = [p for p in by_peer if p != "ours"]
    headline = []
    for kind, by_name in ours.items():
        ours_added = _added(by_name, "ours", kind)
        metrics[f"tracing.{kind}.added_us"] = ours_added
        row = [kind, num(ours_added, 2), num(_added(by_name, FLOOR, kind), 2)]
        if OTEL in by_name:
            otel_added = _added(by_name, OTEL, kind)
            metrics[f"tracing.{kind}.otel_over_ours"] = otel_added / ours_added
            row += [num(otel_added, 2), f"{otel_added / ours_added:.1f}x"]
        else:
            row += ["n/a", "n/a"]
        for peer in peers:
            theirs = by_peer[peer]["results"][kind]
            if peer in theirs:
                added = _added(theirs, peer, kind)
                mark = " (span only)" if peer == "honeyhive" and kind.endswith("generator") else ""
                row.append(f"{num(added, 1)} ({added / ours_added:,.0f}x){mark}")
            else:
                row.append("not supported")
        headline.append(row)
    tables = [
        table(
            "Tracing: microseconds added per span (per chunk for generators); peers in their own processes",
            [
                "workload",
                "honeyhive_async",
                "floor",
                "bare OTel",
                "bare OTel / ours",
                *[f"{p} (x ours)" for p in peers],
            ],
            headline,
            "Added = decorated median - undecorated median in the same process. floor and bare OTel come from "
            "the honeyhive_async process; each peer process re-measured them too (tables below). Generators yield "
            f"{CHUNKS} chunks; their figure is per chunk with the span's own open/close spread over the chunks. "
            "honeyhive 1.7.0 does not trace generators: its span ends when the generator object is "
            "returned, so its 'span only' figure is one span's cost spread over the chunks.",
        )
    ]
    for peer, run in by_peer.items():
        note = f"Export report after the run: {run['report']}." if run.get("report") else ""
        tables.append(
            table(f"Tracing detail: process `--peer {peer}`", HEADERS, rows_for(run), note)
        )
    return tables


def memory_table(runs: list[dict[str, Any]], metrics: dict[str, float]) -> list[dict[str, Any]]:
    buffered = {r["peer"]: r for r in runs if r["part"] == "buffered"}
    rss = {r["peer"]: r for r in runs if r["part"] == "rss"}
    names = {"ours": "honeyhive_async", "otel": "bare OTel (BatchSpanProcessor)"}
    rows = []
    for peer in dict.fromkeys([*buffered, *rss]):
        b, r = buffered.get(peer), rss.get(peer)
        per100k = 100_000 / r["calls"] if r else 0
        rows.append(
            [
                names.get(peer, peer),
                f"{num(b['bytes_per_event'], 0)} (N={b['n']:,})"
                if b
                else "n/a (queue drains continuously)",
                f"{num(r['rss_pass2'] * per100k / 2**20, 2)} / {num(r['rss_pass3'] * per100k / 2**20, 2)}"
                if r
                else "n/a",
                f"{r['calls']:,}" if r else "",
            ]
        )
    if "ours" in buffered:
        metrics["memory.ours.bytes_per_event"] = buffered["ours"]["bytes_per_event"]
    tables = [
        table(
            "Memory: bytes per buffered event, and RSS growth per 100,000 traced calls after flush",
            [
                "tracer",
                "bytes per buffered event (tracemalloc)",
                "RSS growth MiB per 100k calls, pass 2 / pass 3",
                "calls per pass",
            ],
            rows,
            "Buffered: the exporter is held (nothing sent), payloads are built before measuring so their own bytes are "
            "excluded. RSS: calls in chunks of 2,000 with a flush after each, to the loopback sink; pass 1 is a warm-up; "
            "growth is scaled to 100k calls when a pass ran fewer.",
        )
    ]
    bound = next((r for r in runs if r["part"] == "bound"), None)
    if bound:
        steps = bound["steps"]
        metrics["memory.bound.heap_growth"] = steps[-1]["held_bytes"] / steps[-2]["held_bytes"]
        tables.append(
            table(
                f"Memory: the buffer with the server down (closed loopback port), max_queue_size="
                f"{bound['max_queue_size']:,}, max_buffer_bytes={bound['max_buffer_bytes']:,}",
                ["calls so far", "pending", "dropped by reason", "heap held (tracemalloc)"],
                [
                    [
                        f"{s['calls']:,}",
                        f"{s['pending']:,}",
                        str(s["dropped"]),
                        f"{s['held_bytes'] / 2**20:.2f} MiB",
                    ]
                    for s in steps
                ],
                f"After close_sync(0.5): {bound['after_close']}. Each step is followed by 0.5 s in "
                "which the exporter encodes what it can and its sends fail.",
            )
        )
    return tables


def evaluate_table(runs: list[dict[str, Any]], metrics: dict[str, float]) -> list[dict[str, Any]]:
    """Case 8: every contender's rows side by side (each peer ran in its own process)."""
    if not runs:
        return []
    rows, found = evaluate_rows([row for run in runs for row in run["rows"]])
    metrics.update(found)
    return [
        table(
            "Experiments: evaluate() over N datapoints (fake LLM awaits 50 ms, two traced "
            "children, a sync and an async evaluator), whole call from run creation to summary",
            EVALUATE_HEADERS,
            rows,
            "Ideal = N x 50 ms / concurrency: the time the function's awaits alone take. Events "
            "made a datapoint: ours 6 (session, function, two children, two evaluators), langsmith "
            "5 (no session), honeyhive 1.7.0 4 (scores go on the function's span). honeyhive 1.7.0 "
            "runs at its defaults (10 worker threads, a tracer and an event loop per datapoint); "
            "it exports to the same LocalServer (its /session/start, OTLP/JSON span ingest and run "
            "routes); events delivered are the events the server stored. "
            "langsmith's default max_concurrency (0) runs one datapoint at a time: it runs at 16 here.",
        )
    ]


def render(
    results: list[dict[str, Any]], info: dict[str, Any], command: str, *, quick: bool
) -> tuple[str, list[str]]:
    metrics: dict[str, float] = {}
    tables: list[dict[str, Any]] = []
    for r in results:
        metrics.update(r.get("metrics", {}))
        tables += r.get("tables", [])
    tables += tracing_tables([r["tracing"] for r in results if "tracing" in r], metrics)
    tables += memory_table([r["memory"] for r in results if "memory" in r], metrics)
    tables += evaluate_table([r["evaluate"] for r in results if "evaluate" in r], metrics)
    tables += integration_tables(
        [r["integrations"] for r in results if "integrations" in r], metrics
    )

    bar_rows, failed = [], []
    for label, key, op, threshold, unit in BARS:
        value = metrics.get(key)
        if value is None:
            bar_rows.append([label, "not measured", f"{op} {_fmt_metric(threshold, unit)}", "n/a"])
            continue
        ok = value >= threshold if op == ">=" else value <= threshold
        if not ok:
            failed.append(label)
        bar_rows.append(
            [
                label,
                _fmt_metric(value, unit),
                f"{op} {_fmt_metric(threshold, unit)}",
                "pass" if ok else "**miss**",
            ]
        )

    v = info["versions"]
    out = [
        "# Benchmark results",
        "",
        f"Command: `{command}` (from the repository root, in the venv of `pip install -e '.[bench]'`). "
        f"Written {info['date']}; the whole run took {info['duration_s']:.0f} s.",
        "",
        "**Quick mode: every case ran once at small sizes; these numbers mean nothing.**\n"
        if quick
        else "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, Linux {info['kernel']}, "
        f"{info['python']}; load average {info['loadavg_start'][0]:.2f} at the start, {info['loadavg_end'][0]:.2f} at the end "
        "(shared machine: treat absolute numbers as rough, ratios from the same run as the result). "
        f"Network: {'a fresh namespace with only loopback (unshare -n)' if info['isolated_netns'] else 'the host network; every endpoint set to 127.0.0.1'}. "
        f"wrk: {info['wrk']}.",
        "",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
        "",
        "Medians of several interleaved rounds (contenders run round-robin within a round); spread is min-max. "
        "Ratios compare contenders measured in the same process of the same run.",
        "",
        _md_table(table("Bars", ["bar", "measured", "target", "result"], bar_rows)),
    ]
    out += [_md_table(t) for t in tables]
    return "\n".join(out), failed
