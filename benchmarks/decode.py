"""Case 1: decoding a 10,000-event search page and a single ``GET /session/{id}`` body.

Contenders get the same bytes and produce their own typed (or untyped) result:

* the client's exact path: `models._decode.decode` (it pauses the GC for bodies of 64 KB and
  more) with the decoders the resources use, `_resource.decoder_for(EventsPage)` for the page
  and `decoder_for(Event)` for one event;
* plain ``msgspec.json.decode(body, type=Page)`` on an equivalent Struct, GC on;
* ``orjson.loads`` and ``json.loads`` (untyped dicts);
* pydantic v2 ``model_validate_json`` on an equivalent model;
* honeyhive 1.7.0's own parsing: ``export()`` = stdlib ``json`` (what ``httpx.Response.json()``
  calls) then ``EventExportResponse(events=..., total_events=...)``; ``getEvent`` =
  ``GetEventResponse(**response.json())`` (given the same event bytes).

End to end, ``client.events.search()`` fetches the page from a loopback aiohttp server (its
own process) against raw aiohttp + plain msgspec and the SDK's ``events.export_async()``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
import warnings
from collections.abc import Callable
from typing import Any

import aiohttp
import msgspec
import orjson

from honeyhive_async import AsyncHoneyHive
from honeyhive_async import models as hh_models
from honeyhive_async._resource import decoder_for
from honeyhive_async.models._decode import decode

from . import corpus
from ._out import args, emit, log, num, ratio, spread, table
from ._timer import ainterleave, interleave, loops_for, perf, summarize
from .models import Event, EventModel, Page, PageLazy, PageModel, PageNoGC
from .servers import client_headers, serve

# The very decoders the client uses (built once, shared by every call).
_page_decoder = decoder_for(hh_models.EventsPage)
_event_decoder = decoder_for(hh_models.Event)

OURS = "honeyhive_async (client path)"
OURS_ALL = "honeyhive_async, then every free-form field read"
OURS_ONE = "honeyhive_async, then `outputs` read"
MSGSPEC = "msgspec.json.decode(type=Struct), GC on"
MSGSPEC_ALL = "msgspec.json.decode(type=Struct), GC on, then every free-form field read"
SDK = "honeyhive 1.7.0 parse path"


def _sdk() -> tuple[Callable[[bytes], Any], Callable[[bytes], Any]]:
    from honeyhive._generated.models import GetEventResponse
    from honeyhive.models import EventExportResponse

    def page(body: bytes) -> Any:
        data = json.loads(body)
        events = data.get("events", [])
        total = data.get("totalEvents", data.get("count", 0))
        return EventExportResponse(events=events, total_events=total)

    def one(body: bytes) -> Any:
        return GetEventResponse(event=json.loads(body))

    return page, one


_FREE_FORM = ("config", "inputs", "outputs", "metadata", "feedback", "metrics", "user_properties")


def _read_everything(body: bytes) -> Any:
    # Honesty row: the client defers the free-form fields until they are read; this pays it all.
    page = decode(_page_decoder, body)
    for event in page.events:
        for name in _FREE_FORM:
            getattr(event, name)
    return page


def _read_one(body: bytes) -> Any:
    # The few-fields path: one free-form field of every event (a listing of outputs).
    page = decode(_page_decoder, body)
    for event in page.events:
        event.outputs  # noqa: B018 - the read is the point
    return page


def _plain_read_everything(body: bytes) -> Any:
    # The same reads on plain msgspec's result, so the "every field" rows compare like for like.
    page = msgspec.json.decode(body, type=Page)
    for event in page.events:
        for name in _FREE_FORM:
            getattr(event, name)
    return page


def page_contenders() -> dict[str, Callable[[bytes], Any]]:
    sdk_page, _ = _sdk()
    return {
        OURS: lambda body: decode(_page_decoder, body),
        OURS_ALL: _read_everything,
        OURS_ONE: _read_one,
        MSGSPEC: lambda body: msgspec.json.decode(body, type=Page),
        MSGSPEC_ALL: _plain_read_everything,
        "orjson.loads": orjson.loads,
        "json.loads": json.loads,
        "pydantic v2 model_validate_json": PageModel.model_validate_json,
        SDK + " (export)": sdk_page,
    }


def single_contenders() -> dict[str, Callable[[bytes], Any]]:
    _, sdk_one = _sdk()
    return {
        OURS: lambda body: decode(_event_decoder, body),
        MSGSPEC: lambda body: msgspec.json.decode(body, type=Event),
        "orjson.loads": orjson.loads,
        "json.loads": json.loads,
        "pydantic v2 model_validate_json": EventModel.model_validate_json,
        SDK + " (getEvent)": sdk_one,
    }


def _once(fn: Callable[[bytes], Any], body: bytes) -> Callable[[], float]:
    def sample() -> float:
        t0 = perf()
        result = fn(body)
        elapsed = perf() - t0
        del result  # freed outside the timed span
        return elapsed

    return sample


def _loop(fn: Callable[[bytes], Any], body: bytes, target: float) -> Callable[[], float]:
    n = loops_for(lambda: fn(body), target)

    def sample() -> float:
        keep = []  # results stay alive until the sample ends, as a caller would hold them
        t0 = perf()
        for _ in range(n):
            keep.append(fn(body))
        elapsed = perf() - t0
        del keep
        return elapsed / n

    return sample


def _rows(st: dict[str, dict[str, float]], nbytes: int, n_events: int) -> list[list[str]]:
    ours = st[OURS]["median"]
    rows = []
    for name, s in st.items():
        med = s["median"]
        rows.append(
            [
                name,
                num(med * 1e3, 3 if med < 0.01 else 1),
                spread(s, 1e3, 3 if med < 0.01 else 1),
                num(nbytes / med / 1e6, 1),
                num(n_events / med, 0),
                ratio(med / ours),
            ]
        )
    return rows


HEADERS = ["contender", "median ms", "min-max ms", "MB/s", "events/s", "ours faster by"]


def bench_pages(quick: bool) -> tuple[list[dict[str, Any]], dict[str, float]]:
    tables, metrics = [], {}
    n = 500 if quick else 10_000
    rounds = {"short": 7, "mixed": 5, "long": 3}
    for kind in corpus.KINDS:
        body = corpus.page_body(kind, n)
        log(f"decode page {kind}: {len(body) / 1e6:.1f} MB")
        contenders = {name: _once(fn, body) for name, fn in page_contenders().items()}
        r = 1 if quick else rounds[kind]
        st = summarize(interleave(contenders, rounds=r, warmup=0 if quick else 1))
        ours = st[OURS]["median"]
        for name, s in st.items():
            if name not in (OURS, OURS_ALL, OURS_ONE, MSGSPEC_ALL):
                key = "msgspec" if name == MSGSPEC else "sdk" if name.startswith(SDK) else name
                metrics[f"decode.page.{kind}.vs_{key}"] = s["median"] / ours
        # Issue 14 target 5: reading every field costs no more than plain msgspec's decode alone
        # (and, like for like, than plain msgspec's decode then the same reads); reading one
        # field keeps the lazy path's lead.
        metrics[f"decode.page.{kind}.all_fields_vs_msgspec"] = (
            st[MSGSPEC]["median"] / st[OURS_ALL]["median"]
        )
        metrics[f"decode.page.{kind}.all_fields_vs_msgspec_reading"] = (
            st[MSGSPEC_ALL]["median"] / st[OURS_ALL]["median"]
        )
        metrics[f"decode.page.{kind}.one_field_vs_msgspec"] = (
            st[MSGSPEC]["median"] / st[OURS_ONE]["median"]
        )
        metrics[f"decode.page.{kind}.ours_mb_s"] = len(body) / ours / 1e6
        metrics[f"decode.page.{kind}.ours_events_s"] = n / ours
        tables.append(
            table(
                f"Decode: {n:,}-event page, {kind} events ({len(body) / 1e6:.1f} MB), {r} rounds",
                HEADERS,
                _rows(st, len(body), n),
                "`ours faster by` = contender median / client-path median (same bytes, same run). "
                "Every field read: plain msgspec's decode alone / ours "
                f"{st[MSGSPEC]['median'] / st[OURS_ALL]['median']:.2f}x, plain msgspec then the same "
                f"reads / ours {st[MSGSPEC_ALL]['median'] / st[OURS_ALL]['median']:.2f}x.",
            )
        )
    return tables, metrics


def _gc_off(fn: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def run(body: bytes) -> Any:
        gc.disable()
        try:
            return fn(body)
        finally:
            gc.enable()
            # The collection held back while paused runs at the next tracked allocation: make
            # it happen here, as it does inside the client's decode(), so it is timed alike.
            _ = []

    return run


PAUSED = "plain Struct, GC paused by hand (the parser's ceiling)"
LAZY = "gc=False + free-form fields kept as msgspec.Raw, GC paused"
LEVERS: dict[str, Callable[[bytes], Any]] = {
    OURS: lambda body: decode(_page_decoder, body),
    PAUSED: _gc_off(msgspec.json.Decoder(Page).decode),
    "gc=False Structs, GC paused": _gc_off(msgspec.json.Decoder(PageNoGC).decode),
    LAZY: _gc_off(msgspec.json.Decoder(PageLazy).decode),
    MSGSPEC: lambda body: msgspec.json.decode(body, type=Page),
}


def bench_levers(quick: bool) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """What the known decode levers buy on the same pages: evidence for the decode bars."""
    tables, metrics = [], {}
    n = 500 if quick else 10_000
    for kind in ("short", "long"):
        body = corpus.page_body(kind, n)
        r = 1 if quick else {"short": 7, "long": 3}[kind]
        contenders = {name: _once(fn, body) for name, fn in LEVERS.items()}
        st = summarize(interleave(contenders, rounds=r, warmup=0 if quick else 1))
        plain = st[MSGSPEC]["median"]
        rows = [
            [name, num(s["median"] * 1e3, 1), spread(s, 1e3, 1), ratio(plain / s["median"])]
            for name, s in st.items()
        ]
        for i, name in enumerate(LEVERS):
            metrics[f"decode.levers.{kind}.{i}"] = plain / st[name]["median"]
        # Reading every field after a lazy decode pays the lazy pass (it scans every payload
        # to skip it) and then a parse of the payloads: about LAZY + PAUSED. Where the page
        # is mostly long strings, pausing the GC saves less than the lazy pass costs.
        ceiling = plain / (st[LAZY]["median"] + st[PAUSED]["median"])
        metrics[f"decode.levers.{kind}.all_fields_ceiling"] = ceiling
        tables.append(
            table(
                f"Decode levers (evidence, not contenders): {n:,}-event {kind} page, {r} rounds",
                ["decoder", "median ms", "min-max ms", "vs plain msgspec GC on"],
                rows,
                "Raw fields defer decoding of config/inputs/outputs/metadata/feedback/metrics/"
                "user_properties until a caller asks (msgspec.json.decode(raw)): less work now, "
                "the rest paid on access. Reading every field after a lazy decode costs at least "
                "the Raw pass plus a GC-paused parse of the payloads: plain / (the two) = "
                f"{ceiling:.2f}x, about the most the 14.5 every-field row can reach on this page "
                "(a little more where the fixed fields weigh: the bulk pass skips them).",
            )
        )
    return tables, metrics


def bench_single(quick: bool) -> tuple[list[dict[str, Any]], dict[str, float]]:
    tables, metrics = [], {}
    for long in (False, True):
        body = corpus.session_body(long=long)
        label = "long" if long else "short"
        target = 0.002 if quick else 0.05
        contenders = {name: _loop(fn, body, target) for name, fn in single_contenders().items()}
        r = 1 if quick else 11
        st = summarize(interleave(contenders, rounds=r, warmup=0 if quick else 1))
        ours = st[OURS]["median"]
        metrics[f"decode.single.{label}.vs_msgspec"] = st[MSGSPEC]["median"] / ours
        metrics[f"decode.single.{label}.vs_sdk"] = st[SDK + " (getEvent)"]["median"] / ours
        rows = [
            [name, num(s["median"] * 1e6, 2), spread(s, 1e6, 2), ratio(s["median"] / ours)]
            for name, s in st.items()
        ]
        tables.append(
            table(
                f"Decode: one `GET /session/{{id}}` body, {label} event ({len(body):,} B), {r} rounds",
                ["contender", "median us/call", "min-max us", "ours faster by"],
                rows,
                "Each sample keeps its results alive until it ends (as a caller would).",
            )
        )
    return tables, metrics


async def _e2e(kind: str, n: int, quick: bool) -> tuple[dict[str, Any], dict[str, float]]:
    from honeyhive import HoneyHive

    body_len = len(corpus.page_body(kind, n))
    with serve("bodies", kind, n) as (url, _pid):
        client = AsyncHoneyHive(api_key="k", base_url=url)
        raw = aiohttp.ClientSession(headers=client_headers())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sdk = HoneyHive(api_key="hh_bench", base_url=url)

        async def ours() -> float:
            t0 = perf()
            page = await client.events.search()
            elapsed = perf() - t0
            assert len(page.events) == n
            return elapsed

        async def raw_aiohttp() -> float:
            t0 = perf()
            async with raw.post(url + "/v1/events/search", data=b"{}") as resp:
                page = msgspec.json.decode(await resp.read(), type=Page)
            elapsed = perf() - t0
            assert len(page.events) == n
            return elapsed

        async def official() -> float:
            t0 = perf()
            page = await sdk.events.export_async(filters=[], limit=7500)
            elapsed = perf() - t0
            assert len(page.events) == n
            return elapsed

        contenders = {
            "client.events.search()": ours,
            "raw aiohttp + msgspec (GC on)": raw_aiohttp,
            "honeyhive 1.7.0 events.export_async()": official,
        }
        r = 1 if quick else 5
        try:
            st = summarize(await ainterleave(contenders, rounds=r, warmup=0 if quick else 1))
        finally:
            await client.aclose()
            await raw.close()
    base = st["client.events.search()"]["median"]
    rows = [
        [
            name,
            num(s["median"] * 1e3, 1),
            spread(s, 1e3, 1),
            num(body_len / s["median"] / 1e6, 1),
            num(n / s["median"], 0),
            ratio(s["median"] / base),
        ]
        for name, s in st.items()
    ]
    metrics = {
        f"decode.e2e.{kind}.vs_raw": st["raw aiohttp + msgspec (GC on)"]["median"] / base,
        f"decode.e2e.{kind}.vs_sdk": st["honeyhive 1.7.0 events.export_async()"]["median"] / base,
    }
    title = f"End to end: fetch + decode a {n:,}-event {kind} page over loopback ({body_len / 1e6:.1f} MB), {r} rounds"
    return table(
        title, HEADERS, rows, "Server: aiohttp.web in its own process, pre-built bytes."
    ), metrics


def main(argv: list[str] | None = None) -> None:
    opts = args(argv)
    started = time.monotonic()
    tables, metrics = bench_pages(opts.quick)
    for part in (bench_levers, bench_single):
        t2, m2 = part(opts.quick)
        tables += t2
        metrics |= m2
    n = 500 if opts.quick else 10_000
    for kind in ("short",) if opts.quick else ("short", "mixed"):
        t, m = asyncio.run(_e2e(kind, n, opts.quick))
        tables.append(t)
        metrics |= m
    log(f"decode done in {time.monotonic() - started:.0f}s")
    emit(tables, metrics)


if __name__ == "__main__":
    main()
