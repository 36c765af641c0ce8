"""Case 7: `events export` throughput against a raw aiohttp page loop, and an exact round trip.

Throughput: a ``pages`` server answers every ``POST /v1/events/search`` with the same 1,000
corpus events (mixed) and ``count`` N, so both contenders are limited by the client, not by
SQLite. The raw loop posts page after page and writes each body as it came (the bytes the
server sends, nothing split, nothing overlapped); ``export_events`` splits each page into
JSON Lines without decoding payloads and fetches the next page while writing. Both write to a
file in a temporary directory; samples are interleaved.

Round trip: N events (mixed corpus, own ids) are created in one `LocalServer`, exported,
imported into a second one and exported again; the two files must hold the same events, field
by field (`transfer.round_trip.exact` = 1). Full mode runs it at 100,000 events.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from honeyhive_async import AsyncHoneyHive
from honeyhive_async.models import CreateEventRequest
from honeyhive_async.server import LOCAL_API_KEY
from honeyhive_async.transfer import export_events, import_events

from . import corpus
from ._out import args, emit, log, num, table
from ._timer import ainterleave, perf, summarize
from .servers import client_headers, serve

PAGE = 1000


async def _raw_loop(url: str, n: int, out: Path) -> float:
    t0 = perf()
    async with aiohttp.ClientSession(headers=client_headers()) as session:
        # A plain blocking write, as the simplest correct loop would do it.
        with open(out, "wb") as file:  # noqa: ASYNC230
            for page in range(1, -(-n // PAGE) + 1):
                body = msgspec.json.encode({"limit": PAGE, "page": page})
                async with session.post(f"{url}/v1/events/search", data=body) as resp:
                    file.write(await resp.read())
    return perf() - t0


async def _ours(client: AsyncHoneyHive, out: Path) -> float:
    t0 = perf()
    await export_events(client, out)
    return perf() - t0


async def throughput(url: str, n: int, rounds: int, tmp: Path) -> dict[str, Any]:
    async with AsyncHoneyHive(api_key="k", base_url=url) as client:
        samples = await ainterleave(
            {
                "raw aiohttp page loop (bodies as sent)": lambda: _raw_loop(url, n, tmp / "raw"),
                "export_events (JSON Lines)": lambda: _ours(client, tmp / "ours.jsonl"),
            },
            rounds,
        )
    return {
        "stats": summarize(samples),
        "raw_bytes": (tmp / "raw").stat().st_size,
        "ours_bytes": (tmp / "ours.jsonl").stat().st_size,
    }


def _by_id(path: Path) -> dict[str, Any]:
    with open(path, "rb") as file:
        return {e["event_id"]: e for e in map(msgspec.json.decode, file)}


async def round_trip(source_url: str, target_url: str, n: int, tmp: Path) -> dict[str, Any]:
    accepted = {f.name for f in msgspec.structs.fields(CreateEventRequest)}
    events = [
        {**{k: v for k, v in event.items() if k in accepted}, "event_id": str(uuid.uuid4())}
        for event in corpus.events("mixed", n)
    ]
    async with (
        AsyncHoneyHive(api_key=LOCAL_API_KEY, base_url=source_url) as source,
        AsyncHoneyHive(api_key=LOCAL_API_KEY, base_url=target_url) as target,
    ):
        t0 = perf()
        for first in range(0, n, PAGE):
            await source.events.create_batch(events[first : first + PAGE])
        seeded = perf() - t0
        t0 = perf()
        await export_events(source, tmp / "a.jsonl")
        exported = perf() - t0
        t0 = perf()
        await import_events(target, tmp / "a.jsonl")
        imported = perf() - t0
        await export_events(target, tmp / "b.jsonl")
    first_ids, second_ids = _by_id(tmp / "a.jsonl"), _by_id(tmp / "b.jsonl")
    exact = len(first_ids) == n and first_ids == second_ids
    return {"exact": exact, "seed_s": seeded, "export_s": exported, "import_s": imported}


def main(argv: list[str] | None = None) -> None:
    opts = args(argv)
    started = time.monotonic()
    n = 5_000 if opts.quick else 100_000
    rounds = 1 if opts.quick else 5
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        with serve("pages", "mixed", n) as (url, _):
            result = asyncio.run(throughput(url, n, rounds, tmp))
        lines = (tmp / "ours.jsonl").read_bytes().count(b"\n")
        assert lines == n, (lines, n)
        with serve("local") as (source, _), serve("local") as (target, _):
            trip = asyncio.run(round_trip(source, target, n, tmp))
    st = result["stats"]
    raw, ours = st["raw aiohttp page loop (bodies as sent)"], st["export_events (JSON Lines)"]
    ratio = raw["median"] / ours["median"]
    log(f"transfer: ours/raw throughput {ratio:.2f}x; round trip exact: {trip['exact']}")
    rows = [
        [
            name,
            num(n / s["median"], 0),
            f"{num(n / s['max'], 0)}-{num(n / s['min'], 0)}",
            num(size / s["median"] / 2**20, 1),
        ]
        for name, s, size in (
            ("raw aiohttp page loop (bodies as sent)", raw, result["raw_bytes"]),
            ("export_events (JSON Lines)", ours, result["ours_bytes"]),
        )
    ]
    rows.append(["export_events / raw", f"{ratio:.2f}x", "", ""])
    t1 = table(
        f"Transfer: exporting {n:,} events over loopback, {PAGE:,} a page; medians of {rounds} rounds",
        ["contender", "events/s", "min-max events/s", "MiB/s written"],
        rows,
        "The `pages` server answers every page with the same pre-encoded 1,000 mixed-corpus events, "
        "so the client is the limit. Raw writes the bodies as sent; ours writes one line per event.",
    )
    t2 = table(
        f"Transfer: round trip of {n:,} events between two LocalServers (SQLite)",
        [
            "exact",
            "seed (create_batch) s",
            "export s",
            "import s",
            "export events/s",
            "import events/s",
        ],
        [
            [
                "yes" if trip["exact"] else "**NO**",
                num(trip["seed_s"], 1),
                num(trip["export_s"], 1),
                num(trip["import_s"], 1),
                num(n / trip["export_s"], 0),
                num(n / trip["import_s"], 0),
            ]
        ],
        "Exact: the export of the second server holds the same events as the first's, field by field.",
    )
    metrics = {
        "transfer.export.vs_raw": ratio,
        "transfer.round_trip.exact": 1.0 if trip["exact"] else 0.0,
        "transfer.local.export_events_s": n / trip["export_s"],
        "transfer.local.import_events_s": n / trip["import_s"],
        "transfer.raw.events_s": n / raw["median"],
        "transfer.ours.events_s": n / ours["median"],
    }
    log(f"transfer done in {time.monotonic() - started:.0f}s")
    emit([t1, t2], metrics)


if __name__ == "__main__":
    main()
