"""The web view's rendering, without a server: escaping, cut payloads, tree order, bars, filters."""

from __future__ import annotations

import html
import re
from typing import Any

import msgspec
import pytest
from multidict import MultiDict

from honeyhive_async._waterfall import Scale, bar_cells, tree_rows
from honeyhive_async.server.ui._html import CUT_BYTES, esc, json_block, page, seg
from honeyhive_async.server.ui._panel import chat_messages, event_panel, token_usage
from honeyhive_async.server.ui._queries import Line
from honeyhive_async.server.ui._tree import session_rows, waterfall_html
from honeyhive_async.server.ui.runs import datapoint_scores, verdict
from honeyhive_async.server.ui.sessions import parse_filters

EVIL = '<script>alert("x")</script>\'&'


def lines(events: list[dict[str, Any]]) -> list[Line]:
    return [msgspec.convert(event, Line) for event in events]


def ev(event_id: str, parent: str | None, start: float, **more: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "session_id": "s",
        "parent_id": parent,
        "event_type": more.pop("event_type", "tool"),
        "event_name": more.pop("event_name", event_id),
        "start_time": start,
        **more,
    }


def test_esc_escapes_markup_and_both_quotes() -> None:
    assert esc(EVIL) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#x27;&amp;"
    assert esc(12) == "12"


def test_page_escapes_the_title_and_ships_one_script_and_no_inline_code() -> None:
    text = page(EVIL, ["<p>body</p>"], logout_csrf='a"b')
    assert "<script>alert" not in text
    assert re.findall(r"<script[^>]*>", text) == ['<script src="/ui/static/ui.js" defer>']
    assert "style=" not in text
    assert not re.search(r"\son[a-z]+=", text)  # no inline event handlers either
    assert 'value="a&quot;b"' in text
    assert '<main id="content">' in text
    assert '<nav id="nav">' in text
    assert '<link rel="icon" href="data:,">' in text  # no /favicon.ico request to the API


def test_a_small_json_value_is_shown_whole() -> None:
    block = json_block({"k": EVIL}, "inputs", "e1")
    assert 'data-field="inputs"' in block
    assert "show-all" not in block
    assert "<script>" not in block
    assert "&lt;script&gt;" in block


def test_a_large_json_value_is_cut_with_a_show_all_link() -> None:
    value = {"big": "x" * (CUT_BYTES * 3)}
    block = json_block(value, "outputs", 'id"<')
    shown = re.search(r"<pre[^>]*>(.*?)</pre>", block, re.S)
    assert shown is not None
    assert len(html.unescape(shown.group(1))) == CUT_BYTES
    link = re.search(r'<a class="show-all" href="([^"]+)">show all</a>', block)
    assert link is not None
    assert link.group(1) == "/ui/events/id%22%3C/field/outputs"


def test_tree_order_follows_parents_then_start_time() -> None:
    events = [
        ev("s", None, 0.0, event_type="session"),
        ev("late", "s", 50.0),
        ev("early", "s", 10.0),
        ev("early-child-b", "early", 30.0),
        ev("early-child-a", "early", 20.0),
        ev("orphan", "missing-parent", 5.0),
        ev("self", "self", 60.0),
    ]
    rows = session_rows(lines(events), "s")
    assert [(r.node.event_id, r.depth) for r in rows] == [
        ("s", 0),
        ("orphan", 1),
        ("early", 1),
        ("early-child-a", 2),
        ("early-child-b", 2),
        ("late", 1),
        ("self", 1),
    ]


def test_a_parent_cycle_is_drawn_once_under_the_session() -> None:
    events = [ev("s", None, 0.0, event_type="session"), ev("a", "b", 1.0), ev("b", "a", 2.0)]
    rows = session_rows(lines(events), "s")
    ids = [r.node.event_id for r in rows]
    assert sorted(ids) == ["a", "b", "s"]
    assert ids[0] == "s"


def test_a_deep_chain_does_not_exhaust_the_stack() -> None:
    events = [ev("s", None, 0.0, event_type="session")]
    events += [ev(f"e{i}", "s" if i == 0 else f"e{i - 1}", float(i)) for i in range(5000)]
    rows = session_rows(lines(events), "s")
    assert len(rows) == 5001
    assert rows[-1].depth == 5000


def test_unknown_session_has_no_rows() -> None:
    assert session_rows(lines([ev("a", None, 0.0)]), "s") == []


def test_bar_maths_scales_to_the_session() -> None:
    scale = Scale.of([0.0, 25.0, 90.0], [100.0, 50.0, None])
    assert scale.t0 == 0.0
    assert scale.span == 100.0
    assert bar_cells(25.0, 50.0, scale, 100) == (25, 50)
    assert bar_cells(0.0, 100.0, scale, 100) == (0, 100)
    # An instant event is still one cell wide; a running one reaches the right edge.
    assert bar_cells(50.0, 50.0, scale, 100) == (50, 51)
    assert bar_cells(90.0, None, scale, 100) == (90, 100)
    assert bar_cells(None, 10.0, scale, 100) is None
    # The last cell is still a cell: a start at the very end draws in it.
    assert bar_cells(100.0, 100.0, scale, 100) == (99, 100)


def test_tree_rows_is_shared_and_generic() -> None:
    tree: dict[str, Any] = {
        "n": "root",
        "k": [{"n": "b", "s": 2, "k": []}, {"n": "a", "s": 1, "k": []}],
    }
    rows = tree_rows(tree, lambda node: node["k"], lambda node: node.get("s"))
    assert [(r.node["n"], r.depth, r.last, r.parent) for r in rows] == [
        ("root", 0, True, -1),
        ("a", 1, False, 0),
        ("b", 1, True, 0),
    ]


def test_waterfall_rows_carry_the_contract_attributes_and_bar_classes() -> None:
    events = [
        ev("s", None, 0.0, event_type="session", end_time=200.0),
        ev("m", "s", 50.0, event_type="model", duration=100.0),
        ev("bad", "s", 100.0, event_type="weird<type>", error="boom", end_time=120.0),
    ]
    html = waterfall_html(session_rows(lines(events), "s"), "s", selected="m")
    rows = re.findall(r'<div class="([^"]+)" role="listitem"([^>]*)>', html)
    assert [r[0] for r in rows] == [
        "event-row type-session",
        "event-row type-model selected",
        "event-row type-other error",
    ]
    assert 'data-event-id="m" data-event-type="model" data-depth="1"' in rows[1][1]
    assert 'data-event-type="weird&lt;type&gt;"' in rows[2][1]
    bars = re.findall(r'<span class="bar ([^"]+)">', html)
    assert bars == ["l0 w100", "l25 w50", "l50 w10"]


def test_every_user_field_is_escaped_in_rows_and_panel() -> None:
    event = ev(
        EVIL,
        None,
        0.0,
        event_type="model",
        event_name=EVIL,
        error=EVIL,
        source=EVIL,
        inputs={EVIL: EVIL, "chat_history": [{"role": EVIL, "content": EVIL}]},
        outputs={"role": "assistant", "content": EVIL, "tool_calls": [{"x": EVIL}]},
        config={EVIL: 1},
        metadata={"m": EVIL},
        metrics={EVIL: 2},
        feedback={"f": EVIL},
    )
    event["session_id"] = EVIL
    html = waterfall_html(
        session_rows(lines([event | {"event_type": "session"}]), EVIL), EVIL, EVIL
    )
    html += event_panel(event)
    assert "<script>" not in html
    assert 'alert("x")' not in html
    assert "'&" not in html
    for field in ("inputs", "outputs", "config", "metadata", "metrics", "feedback"):
        assert f'<pre class="json" data-field="{field}">' in html
    assert '<pre id="event-error">' in html
    assert '<div id="chat">' in html
    assert '<dl id="usage">' in html


def test_chat_from_history_and_reply_with_tool_calls() -> None:
    event = {
        "inputs": {
            "chat_history": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "hi"},
            ]
        },
        "outputs": {"role": "assistant", "content": None, "tool_calls": [{"name": "f"}]},
    }
    assert chat_messages(event) == [
        ("system", "be brief", None),
        ("user", "hi", None),
        ("assistant", None, [{"name": "f"}]),
    ]


def test_chat_from_a_prompt_and_a_text_result() -> None:
    event = {"inputs": {"prompt": "q"}, "outputs": {"result": "a"}}
    assert chat_messages(event) == [("user", "q", None), ("assistant", "a", None)]
    openai_shape = {"outputs": {"choices": [{"message": {"role": "assistant", "content": "x"}}]}}
    assert chat_messages(openai_shape) == [("assistant", "x", None)]


def test_token_usage_from_metrics_metadata_or_outputs_usage() -> None:
    event = {
        "metrics": {"prompt_tokens": 3},
        "metadata": {"prompt_tokens": 99, "completion_tokens": 4},
        "outputs": {"usage": {"total_tokens": 7, "cost": True}},
    }
    assert token_usage(event) == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}


def test_panel_leaves_out_empty_fields() -> None:
    html = event_panel(ev("e", "s", 0.0, inputs={}, outputs=None, metadata={"a": 1}))
    assert 'data-field="inputs"' not in html
    assert 'data-field="outputs"' not in html
    assert 'data-field="metadata"' in html
    assert 'id="event-error"' not in html
    assert 'id="chat"' not in html


def test_filters_are_read_from_the_url() -> None:
    query = MultiDict(
        name=" chat ",
        source="prod",
        user_property="user=a=b",
        error="yes",
        since="2026-11-30",
        until="2026-12-01T12:00:00Z",
    )
    filters, raw, problems = parse_filters(query)
    assert problems == []
    assert (filters.name, filters.source, filters.user_key, filters.user_value) == (
        "chat",
        "prod",
        "user",
        "a=b",
    )
    assert filters.error is True
    assert filters.since_ms == 1_796_083_200_000.0 - 86_400_000.0
    assert filters.until_ms == 1_796_083_200_000.0 + 43_200_000.0
    assert raw["name"] == " chat "


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({"error": "maybe"}, "error must be yes or no"),
        ({"since": "yesterday"}, "since must be an ISO date"),
        ({"until": "2026-13-45"}, "until must be an ISO date"),
        ({"user_property": "=x"}, "user property must be key=value"),
    ],
)
def test_bad_filters_are_reported_not_raised(query: dict[str, str], problem: str) -> None:
    _, _, problems = parse_filters(MultiDict(query))
    assert len(problems) == 1
    assert problems[0].startswith(problem)


def test_no_filter_keeps_everything() -> None:
    filters, _, problems = parse_filters(MultiDict())
    assert problems == []
    assert filters.error is None
    assert (filters.since_ms, filters.until_ms) == (None, None)


def test_verdict_higher_is_better() -> None:
    assert verdict(0.9, 0.5) == "improved"
    assert verdict(0.5, 0.9) == "regressed"
    assert verdict(0.5, 0.5) == "same"
    assert verdict(None, 0.5) == "same"


def test_datapoint_scores_average_per_metric_and_skip_non_numbers() -> None:
    point = {
        "metrics": [
            {"name": "acc", "value": 1.0},
            {"name": "acc", "value": 0.0},
            {"name": "ok", "value": True},
            {"name": "label", "value": "text"},
        ]
    }
    assert datapoint_scores(point) == {"acc": 0.5, "ok": 1.0}


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("abc-123_x.y~", "abc-123_x.y~"),
        ("a/b?c#d", "a%2Fb%3Fc%23d"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ('<"é">', "%3C%22%C3%A9%22%3E"),
    ],
)
def test_seg_quotes_one_path_segment(value: str, quoted: str) -> None:
    assert seg(value) == quoted
