"""Case 2: ``await client.session.get(...)`` over loopback, concurrency 1 and 32.

The server (aiohttp.web, its own process, access log off) serves one pre-serialized session
event. A request = send, read the body, decode it. Contenders, sampled round-robin:

* ``client.session.get`` (default ``max_retries=2``) and a ``max_retries=0`` view of it;
* raw ``aiohttp.ClientSession`` + a prebuilt ``msgspec.json.Decoder(Event)``: the ceiling
  (it sends the client's headers: User-Agent, Accept, Authorization; httpx too);
* ``httpx.AsyncClient`` + the same decoder;
* honeyhive 1.7.0's async ``getEvent`` (``GET /v1/events/{id}``; 1.7.0 has no session GET);
* the server's own ceiling: ``wrk`` (C, keep-alive) when installed, else the raw aiohttp client.

The retry layer's cost is also measured without the network: the client's transport is stubbed
to return a canned 200, and ``max_retries=2`` is timed against ``max_retries=0``.
"""

from __future__ import annotations

import asyncio
import functools
import re
import shutil
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx
import msgspec
from multidict import CIMultiDict, CIMultiDictProxy

from honeyhive_async import AsyncHoneyHive
from honeyhive_async._transport import RawResponse

from . import corpus
from ._out import args, emit, log, num, ratio, spread, table
from ._timer import ainterleave, perf, summarize
from .models import Event
from .servers import client_headers, proc_cpu_seconds, serve

SID = "6f1d2c3b-4a59-4e8d-9c7b-123456789abc"
OURS = "client.session.get (max_retries=2)"
OURS0 = "client.session.get (max_retries=0)"
RAW = "raw aiohttp + msgspec (ceiling)"
HTTPX = "httpx + msgspec"
SDK = "honeyhive 1.7.0 async getEvent"
WRK = "server ceiling: wrk -t1"


async def _rate(call: Callable[[], Awaitable[Any]], conc: int, seconds: float) -> float:
    """Requests per second of `conc` tasks calling `call` until `seconds` have passed."""
    done = 0
    deadline = perf() + seconds

    async def worker() -> None:
        nonlocal done
        while perf() < deadline:
            await call()
            done += 1

    t0 = perf()
    await asyncio.gather(*(worker() for _ in range(conc)))
    return done / (perf() - t0)


async def _wrk(url: str, conc: int, seconds: float) -> float:
    proc = await asyncio.create_subprocess_exec(
        "wrk", "-t1", f"-c{conc}", f"-d{max(1, round(seconds))}s", url,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await proc.communicate()
    match = re.search(rb"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(f"wrk output not understood: {out!r}")
    return float(match.group(1))


def _sdk_call(url: str) -> Callable[[], Awaitable[Any]]:
    from honeyhive._generated.api_config import APIConfig
    from honeyhive._generated.services.async_Events_service import getEvent

    config = APIConfig(base_path=url, access_token="hh_bench")
    return lambda: getEvent(config, event_id=SID)


def _cpu_tracked(
    run: Callable[[], Awaitable[float]], pid: int, cpu: list[float]
) -> Callable[[], Awaitable[float]]:
    """Wrap a sample so that it also records the server's CPU use (cores) while it ran."""

    async def sample() -> float:
        c0, t0 = proc_cpu_seconds(pid), perf()
        value = await run()
        cpu.append((proc_cpu_seconds(pid) - c0) / (perf() - t0))
        return value

    return sample


async def _rotated(
    contenders: dict[str, Callable[[], Awaitable[float]]], rounds: int, warmup: int
) -> dict[str, list[float]]:
    """`ainterleave`, but each round starts one contender later than the round before.

    With a fixed order, `max_retries=2` (always first, after the slow honeyhive 1.7.0 sample)
    and `max_retries=0` (always second), the same code on the same pool, differed by 9-23 % in
    two runs on a loaded machine. Rotating spreads whatever a slot costs over every contender.
    """
    names = list(contenders)
    await ainterleave(contenders, rounds=0, warmup=warmup)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        start = r % len(names)
        order = names[start:] + names[:start]
        got = await ainterleave({name: contenders[name] for name in order}, rounds=1, warmup=0)
        for name, values in got.items():
            samples[name] += values
    return samples


async def _at_concurrency(
    conc: int,
    calls: dict[str, Callable[[], Awaitable[Any]]],
    path: str,
    server_pid: int,
    quick: bool,
) -> tuple[dict[str, Any], dict[str, float]]:
    seconds = 0.2 if quick else 1.0
    rounds = 1 if quick else 5
    cpu: dict[str, list[float]] = {}
    contenders = {
        name: _cpu_tracked(
            functools.partial(_rate, call, conc, seconds), server_pid, cpu.setdefault(name, [])
        )
        for name, call in calls.items()
    }
    have_wrk = shutil.which("wrk") is not None
    ceiling = WRK if have_wrk else "server ceiling: raw aiohttp keep-alive (approx.)"
    if have_wrk:
        contenders[WRK] = _cpu_tracked(
            functools.partial(_wrk, path, conc, seconds), server_pid, cpu.setdefault(WRK, [])
        )
    samples = await _rotated(contenders, rounds=rounds, warmup=0 if quick else 1)
    if not have_wrk:
        samples[ceiling], cpu[ceiling] = samples[RAW], cpu[RAW]
    st = summarize(samples)
    ours = st[OURS]["median"]

    def vs(name: str) -> float:
        # Paired by round: both samples of a round ran within seconds of each other, so a
        # change of the machine's load between rounds (other processes) cancels out.
        return statistics.median(a / b for a, b in zip(samples[OURS], samples[name], strict=True))

    rows = [
        [
            name,
            num(s["median"], 0),
            spread(s, 1, 0),
            num(1e6 / s["median"], 0),
            num(statistics.median(cpu[name]), 2),
            ratio(vs(name)),
        ]
        for name, s in st.items()
    ]
    metrics = {
        f"requests.c{conc}.vs_{key}": vs(name)
        for key, name in (("raw", RAW), ("httpx", HTTPX), ("sdk", SDK), ("ceiling", ceiling))
    }
    metrics[f"requests.c{conc}.ours_rps"] = ours
    metrics[f"requests.c{conc}.retry_overhead_pct"] = (1 / vs(OURS0) - 1) * 100
    how = (
        "wrk 4.1 (C client, keep-alive)"
        if have_wrk
        else "no wrk installed: the raw aiohttp client with keep-alive stands in (approximation)"
    )
    t = table(
        f"Requests: GET /session/{{id}} (1,343 B event) over loopback, concurrency {conc}, "
        f"{rounds} rounds of {seconds:g} s",
        [
            "contender",
            "median req/s",
            "min-max req/s",
            "us/req",
            "server CPU (cores)",
            "ours / contender",
        ],
        rows,
        f"Ceiling row: {how}. Client, server and wrk share the same 2 cores. "
        "`ours / contender` > 1 means honeyhive_async served more requests per second; it is the "
        "median of the per-round ratios, and each round starts one contender later.",
    )
    return t, metrics


async def bench_http(quick: bool) -> tuple[list[dict[str, Any]], dict[str, float]]:
    tables, metrics = [], {}
    decoder = msgspec.json.Decoder(Event)
    with serve("bodies", "short", 0) as (url, server_pid):
        path = f"{url}/session/{SID}"
        client = AsyncHoneyHive(api_key="k", base_url=url)
        client0 = client.with_options(max_retries=0)
        raw = aiohttp.ClientSession(headers=client_headers())
        hx = httpx.AsyncClient(headers=client_headers())
        sdk = _sdk_call(url)

        async def raw_get() -> Event:
            async with raw.get(path) as resp:
                return decoder.decode(await resp.read())

        async def httpx_get() -> Event:
            return decoder.decode((await hx.get(path)).content)

        calls: dict[str, Callable[[], Awaitable[Any]]] = {
            OURS: lambda: client.session.get(SID),
            OURS0: lambda: client0.session.get(SID),
            RAW: raw_get,
            HTTPX: httpx_get,
            SDK: sdk,
        }
        for call in calls.values():  # one correct answer each before timing
            result = await call()
            assert getattr(result, "event_id", None) or result.event.event_id
        try:
            for conc in (1, 32):
                log(f"requests c={conc}")
                t, m = await _at_concurrency(conc, calls, path, server_pid, quick)
                tables.append(t)
                metrics |= m
            metrics["requests.c32_over_c1"] = (
                metrics["requests.c32.ours_rps"] / metrics["requests.c1.ours_rps"]
            )
        finally:
            await client.aclose()
            await raw.close()
            await hx.aclose()
    return tables, metrics


async def bench_retry_stub(quick: bool) -> tuple[dict[str, Any], dict[str, float]]:
    """The retry layer's cost per successful call with the network taken out."""
    body = corpus.session_body()
    headers = CIMultiDictProxy(CIMultiDict({"Content-Type": "application/json"}))
    canned = RawResponse(200, headers, body)

    async def send(*_: Any, **__: Any) -> RawResponse:
        return canned

    client = AsyncHoneyHive(api_key="k", base_url="http://127.0.0.1:9")
    client._transport.send = send  # type: ignore[method-assign]
    client0 = client.with_options(max_retries=0)
    n = 2_000 if quick else 50_000

    def per_call(c: AsyncHoneyHive) -> Callable[[], Awaitable[float]]:
        async def sample() -> float:
            t0 = perf()
            for _ in range(n):
                await c.session.get(SID)
            return (perf() - t0) / n

        return sample

    rounds = 1 if quick else 9
    st = summarize(
        await _rotated(
            {"max_retries=2": per_call(client), "max_retries=0": per_call(client0)},
            rounds,
            0 if quick else 1,
        )
    )
    r2, r0 = st["max_retries=2"]["median"], st["max_retries=0"]["median"]
    rows = [[name, num(s["median"] * 1e6, 2), spread(s, 1e6, 2)] for name, s in st.items()]
    rows.append(
        ["difference (retry layer)", num((r2 - r0) * 1e6, 2), f"{(r2 / r0 - 1) * 100:+.1f} %"]
    )
    t = table(
        f"Retry layer, first attempt succeeds, transport stubbed (canned 200): us per `session.get`, {rounds} rounds",
        ["client", "median us/call", "min-max us"],
        rows,
        "Client-side work only (path, retry decision, decode): isolates what max_retries costs when nothing fails.",
    )
    return t, {
        "requests.retry_stub_us": (r2 - r0) * 1e6,
        "requests.retry_stub_pct": (r2 / r0 - 1) * 100,
    }


async def _main(quick: bool) -> tuple[list[dict[str, Any]], dict[str, float]]:
    tables, metrics = await bench_http(quick)
    t, m = await bench_retry_stub(quick)
    return [*tables, t], metrics | m


def main(argv: list[str] | None = None) -> None:
    opts = args(argv)
    started = time.monotonic()
    tables, metrics = asyncio.run(_main(opts.quick))
    log(f"requests done in {time.monotonic() - started:.0f}s")
    emit(tables, metrics)


if __name__ == "__main__":
    main()
