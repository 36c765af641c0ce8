"""The web view's pages against a seeded store: list filters and paging, waterfall, panel, runs."""

from __future__ import annotations

import html
import re

import aiohttp

from honeyhive_async.models import UpdateEventRequest
from honeyhive_async.server.ui._html import CUT_BYTES
from honeyhive_async.server.ui.sessions import PAGE_SIZE

from .conftest import T0, add_event, add_run, add_session

EVIL = '<script>alert("x")</script>'
HOUR = 3_600_000.0


def session_ids(text: str) -> list[str]:
    return [
        html.unescape(s)
        for s in re.findall(r'<tr class="session-row" data-session-id="([^"]+)"', text)
    ]


async def get_text(http: aiohttp.ClientSession, path: str, status: int = 200) -> str:
    reply = await http.get(path)
    assert reply.status == status, (path, reply.status)
    text: str = await reply.text()
    return text


async def test_sessions_newest_first_with_counts_and_errors(store, ui) -> None:
    add_session(store, "old", session_name="old one", start_time=T0, source="dev")
    add_session(store, "new", session_name="new one", start_time=T0 + HOUR, source="prod")
    add_event(store, "e1", "new", start_time=T0 + HOUR + 10, end_time=T0 + HOUR + 500)
    add_event(store, "e2", "new", start_time=T0 + HOUR + 20, error="boom")
    text = await get_text(ui, "/ui")
    assert session_ids(text) == ["new", "old"]
    row = re.search(r'data-session-id="new">(.*?)</tr>', text, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
    assert "new one" in cells[0]
    assert cells[1:] == ["prod", "2026-11-30 01:53:20", "500 ms", "2", "1"]


async def test_session_filters(store, ui) -> None:
    add_session(store, "a", session_name="Chat_A", source="prod", user_properties={"user": "ann"})
    add_session(
        store,
        "b",
        session_name="batch",
        source="dev",
        user_properties={"user": "bob", "n": 3},
        start_time=T0 + 2 * HOUR,
    )
    add_session(store, "c", session_name="chat c", source="prod", start_time=T0 + 48 * HOUR)
    add_event(store, "c-err", "c", error="bad")
    cases = {
        "name=chat": ["c", "a"],
        "name=T_A": ["a"],  # LIKE wildcards in the filter are text
        "name=%25": [],
        "source=prod": ["c", "a"],
        "user_property=user%3Dbob": ["b"],
        "user_property=n%3D3": ["b"],
        "user_property=user%3Dnobody": [],
        "error=yes": ["c"],
        "error=no": ["b", "a"],
        "since=2026-11-30T02:00:00Z": ["c", "b"],
        "until=2026-11-30T02:00:00Z": ["a"],
        "since=2026-12-01&until=2026-12-31&source=prod": ["c"],
    }
    for query, expected in cases.items():
        text = await get_text(ui, f"/ui?{query}")
        assert session_ids(text) == expected, query
        if not expected:
            assert '<p id="empty">' in text
            assert '<table id="sessions">' not in text


async def test_filters_are_echoed_escaped_in_the_form(ui) -> None:
    text = await get_text(ui, "/ui?name=%22%3E%3Cscript%3E&error=no")
    assert "<script>" not in text
    assert 'name="name" value="&quot;&gt;&lt;script&gt;"' in text
    assert '<option value="no" selected>' in text


async def test_bad_filters_show_a_message_not_an_error(ui) -> None:
    text = await get_text(ui, "/ui?since=yesterday&error=perhaps")
    assert '<ul id="filter-errors"' in text
    assert "since must be an ISO date" in text


async def test_paging_keeps_the_filters(store, ui) -> None:
    for n in range(PAGE_SIZE + 3):
        add_session(store, f"s{n:03}", session_name="paged", start_time=T0 + n, source="p")
    add_session(store, "other", session_name="other", start_time=T0 + 10_000)
    first = await get_text(ui, "/ui?source=p")
    assert session_ids(first)[:2] == [f"s{PAGE_SIZE + 2:03}", f"s{PAGE_SIZE + 1:03}"]
    assert len(session_ids(first)) == PAGE_SIZE
    assert 'id="prev-page"' not in first
    link = re.search(r'<a id="next-page" href="([^"]+)"', first)
    assert link is not None
    assert html.unescape(link.group(1)) == "/ui?source=p&page=2"
    second = await get_text(ui, "/ui?source=p&page=2")
    assert session_ids(second) == ["s002", "s001", "s000"]
    assert 'id="next-page"' not in second
    back = re.search(r'<a id="prev-page" href="([^"]+)"', second)
    assert back is not None
    assert html.unescape(back.group(1)) == "/ui?source=p&page=1"


def rows_of(text: str) -> list[tuple[str, str, str]]:
    return [
        (html.unescape(a), b, c)
        for a, b, c in re.findall(
            r'data-event-id="([^"]*)" data-event-type="([^"]*)" data-depth="(\d+)"', text
        )
    ]


async def test_session_page_waterfall_in_tree_order(store, ui) -> None:
    add_session(store, "s", session_name="tree", start_time=T0, end_time=T0 + 1000)
    add_event(store, "chain", "s", event_type="chain", start_time=T0 + 100, end_time=T0 + 900)
    add_event(
        store, "m2", "s", event_type="model", parent_id="chain", start_time=T0 + 500, inputs={}
    )
    add_event(
        store,
        "m1",
        "s",
        event_type="model",
        parent_id="chain",
        start_time=T0 + 200,
        end_time=T0 + 400,
    )
    add_event(store, "t", "s", parent_id="m1", start_time=T0 + 250, error="tool failed")
    text = await get_text(ui, "/ui/sessions/s")
    assert rows_of(text) == [
        ("s", "session", "0"),
        ("chain", "chain", "1"),
        ("m1", "model", "2"),
        ("t", "tool", "3"),
        ("m2", "model", "2"),
    ]
    assert re.search(r'class="event-row type-tool error"[^>]*data-event-id="t"', text)
    bars = re.findall(r'<span class="bar ([^"]+)">', text)
    assert bars[:3] == ["l0 w100", "l10 w80", "l20 w20"]
    assert bars[4] == "l50 w50 running"  # m2 has no end: up to the latest known time
    assert '<section id="event-panel"' in text
    assert '<p class="hint">' in text


async def test_event_query_renders_the_panel_without_javascript(store, ui) -> None:
    add_session(store, "s")
    add_event(
        store,
        "m",
        "s",
        event_type="model",
        event_name="llm",
        inputs={"chat_history": [{"role": "user", "content": "hi"}]},
        outputs={"role": "assistant", "content": "hello"},
        metadata={"total_tokens": 12},
        error="rate limited",
    )
    text = await get_text(ui, "/ui/sessions/s?event=m")
    assert '<h2 id="event-name">llm</h2>' in text
    assert '<pre id="event-error">rate limited</pre>' in text
    assert re.findall(r'<div class="message[^"]*" data-role="(\w+)">', text) == [
        "user",
        "assistant",
    ]
    assert '<dl id="usage"><dt>total tokens</dt><dd>12</dd></dl>' in text
    assert 'data-field="inputs"' in text
    assert re.search(r'class="event-row type-model error selected"', text)
    fragment = await get_text(ui, "/ui/sessions/s/events/m")
    assert fragment.startswith('<section id="event-panel"')
    assert "<html" not in fragment
    await get_text(ui, "/ui/sessions/other/events/m", status=404)


async def test_a_large_payload_is_cut_and_shown_whole_on_its_own_url(store, ui) -> None:
    add_session(store, "s")
    big = {"text": "y" * (CUT_BYTES * 2) + EVIL}
    add_event(store, "big", "s", outputs=big)
    text = await get_text(ui, "/ui/sessions/s?event=big")
    link = re.search(r'<a class="show-all" href="([^"]+)">', text)
    assert link is not None
    assert EVIL not in text
    whole = await ui.get(html.unescape(link.group(1)))
    assert whole.status == 200
    assert whole.content_type == "text/plain"
    assert "<script>alert(" in await whole.text()
    assert whole.headers["X-Content-Type-Options"] == "nosniff"
    await get_text(ui, "/ui/events/big/field/body", status=404)
    await get_text(ui, "/ui/events/none/field/outputs", status=404)


async def test_user_content_is_escaped_in_every_page(store, ui) -> None:
    add_session(
        store,
        EVIL,
        session_name=EVIL,
        source=EVIL,
        user_properties={EVIL: EVIL},
        metadata={"run_id": "r1", "datapoint_id": EVIL},
        outputs={EVIL: EVIL},
    )
    add_event(
        store,
        EVIL + "e",
        EVIL,
        event_type="model",
        event_name=EVIL,
        error=EVIL,
        inputs={EVIL: EVIL},
        metrics={EVIL: 1.0},
        feedback={EVIL: EVIL},
        config={EVIL: EVIL},
    )
    from honeyhive_async.models import CreateRunRequest

    store.runs.create(CreateRunRequest(run_id="r1", name=EVIL, dataset_id=EVIL))
    store.runs.create(CreateRunRequest(run_id="r2", name=EVIL, metadata={}))
    from urllib.parse import quote

    sid = quote(EVIL, safe="")
    pages = [
        "/ui",
        f"/ui/sessions/{sid}",
        f"/ui/sessions/{sid}?event={quote(EVIL + 'e', safe='')}",
        f"/ui/sessions/{sid}/events/{quote(EVIL + 'e', safe='')}",
        "/ui/runs",
        "/ui/runs/r1",
        "/ui/runs/r1/compare/r2",
        f"/ui/runs/{sid}",
    ]
    for path in pages:
        reply = await ui.get(path)
        text = await reply.text()
        assert reply.status in (200, 404), path
        assert "<script>alert" not in text, path
        assert 'alert("x")' not in text, path


async def test_unknown_ids_get_the_404_page(store, ui) -> None:
    add_event(store, "plain", "owner", event_type="tool")  # an event, not a session
    for path in (
        "/ui/sessions/nope",
        "/ui/sessions/plain",
        "/ui/runs/nope",
        "/ui/runs/a/compare/b",
        "/ui/datasets/nope",
        "/ui/elsewhere",
    ):
        reply = await ui.get(path)
        assert reply.status == 404, path
        assert reply.content_type == "text/html"
        assert '<h1 id="error-title">404</h1>' in await reply.text()


async def test_runs_list_run_page_and_compare(store, ui) -> None:
    add_run(
        store,
        "base",
        "baseline",
        {"d1": {"acc": 0.5, "len": 3}, "d2": {"acc": 0.9, "len": 3}, "d3": {"acc": 1.0}},
    )
    add_run(
        store, "next", "candidate", {"d1": {"acc": 0.8, "len": 3}, "d2": {"acc": 0.4, "len": 3}}
    )
    runs = await get_text(ui, "/ui/runs")
    assert re.findall(r'<tr class="run-row" data-run-id="([^"]+)">', runs) == ["next", "base"]
    assert '<a class="run-link" href="/ui/runs/base">baseline</a>' in runs
    run = await get_text(ui, "/ui/runs/base")
    assert re.findall(r'<tr class="metric-row" data-metric="([^"]+)">', run) == ["acc", "len"]
    acc = re.search(r'data-metric="acc"><td>acc</td><td>[^<]*</td><td>([^<]+)</td>', run)
    assert acc is not None
    assert acc.group(1) == "0.8"
    assert re.findall(r'<tr class="datapoint-row" data-datapoint-id="([^"]+)">', run) == [
        "d1",
        "d2",
        "d3",
    ]
    assert "answer d1" in run
    assert '<a class="compare-link" href="/ui/runs/base/compare/next">' in run
    redirect = await ui.get("/ui/runs/next/compare?with=base", allow_redirects=False)
    assert redirect.headers["Location"] == "/ui/runs/next/compare/base"
    compare = await get_text(ui, "/ui/runs/next/compare/base")
    cells = re.findall(
        r'<tr class="compare-row" data-datapoint-id="([^"]+)">.*?</tr>', compare, re.S
    )
    assert cells == ["d1", "d2"]  # d3 only in the old run
    d1 = re.search(r'data-datapoint-id="d1">(.*?)</tr>', compare, re.S)
    assert d1 is not None
    sides = re.findall(r'<td class="(inputs|old-output|new-output)">(.*?)</td>', d1.group(1), re.S)
    assert [name for name, _ in sides] == ["inputs", "old-output", "new-output"]
    assert "question d1" in sides[0][1]
    assert "answer d1 (base)" in sides[1][1]
    assert "answer d1 (next)" in sides[2][1]
    marks = re.findall(r'<td class="metric-cell (\w+)" data-metric="(\w+)">', compare)
    assert marks == [("improved", "acc"), ("same", "len"), ("regressed", "acc"), ("same", "len")]


async def test_dataset_page_lists_its_datapoints(store, ui) -> None:
    ids = store.datapoints.create_many(
        [{"inputs": {"q": EVIL}, "ground_truth": {"a": 1}}, {"inputs": {"q": 2}}], []
    )
    dataset_id = store.datasets.create("golden", None, ids)
    text = await get_text(ui, f"/ui/datasets/{dataset_id}")
    assert re.findall(r'<tr class="datapoint-row" data-datapoint-id="([^"]+)">', text) == ids
    assert '<h1 id="dataset-name">golden</h1>' in text
    assert "<script>alert" not in text


async def test_an_event_of_another_session_is_not_shown_in_the_panel(store, ui) -> None:
    add_session(store, "s")
    add_session(store, "other")
    add_event(store, "foreign", "other", event_name="foreign-event")
    text = await get_text(ui, "/ui/sessions/s?event=foreign")
    assert "foreign-event" not in text
    assert '<section id="event-panel" aria-live="polite"><p class="hint">' in text


async def test_compare_cells_cut_long_outputs_with_show_all(store, ui) -> None:
    add_run(store, "a", "a", {"d1": {"acc": 1.0}})
    add_run(store, "b", "b", {"d1": {"acc": 1.0}})
    store.update_event("b-d1", UpdateEventRequest(outputs={"answer": "z" * 5000 + EVIL}))
    text = await get_text(ui, "/ui/runs/b/compare/a")
    cell = re.search(r'<td class="new-output">(.*?)</td>', text, re.S)
    assert cell is not None
    assert '<a class="show-all" href="/ui/events/b-d1/field/outputs">' in cell.group(1)
    assert "zzz" in cell.group(1)
    assert "<script>" not in text
