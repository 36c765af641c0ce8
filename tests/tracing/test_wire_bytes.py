"""The batch body the exporter sends, byte for byte, for a table of spans (issue 14).

The exporter's per-span encoding was made cheaper (fields checked in one call, ids formatted
inline, arguments bound by a display): what goes on the wire must not change. `EXPECTED` is
the body `main` at 30fdd50 encoded for `spans()`, before those changes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from honeyhive_async.models import CreateEventBatchRequest
from honeyhive_async.tracing._capture import Binder, Sanitizer
from honeyhive_async.tracing._encode import event_request
from honeyhive_async.tracing._ids import format_id, next_id
from honeyhive_async.tracing._record import SessionRef, SpanRecord

SANITIZER_OPTIONS: dict[str, Any] = {"secrets": ["hh-local-key-0123456789"], "max_string": 64}
WALL_OFFSET = 1_700_000_000.0
SESSION = SessionRef(
    event_id="5e551011-0000-4000-8000-000000000001", session_name="chat", source="dev"
)
ODD_SESSION = SessionRef(event_id='sess "quoted" é', session_name="chät", source='src "x"\n')
PARENT = uuid.UUID("0b1c2d3e-aaaa-4bbb-8ccc-0123456789ab").int
CHILDREN = [uuid.UUID(f"0b1c2d3e-aaaa-4bbb-8ccc-00000000000{n}").int for n in range(3)]


def handle(i: int) -> None: ...
def ask(question: str, temperature: float = 0.5, *, model: str = "m") -> None: ...


class Tool:
    def run(self, query: str, limit: int) -> None: ...


def _span(n: int, **fields: Any) -> SpanRecord:
    base: dict[str, Any] = {
        "session": SESSION,
        "event_type": "tool",
        "event_name": "handle",
        "id": uuid.UUID(f"00000000-0000-4000-8000-{n:012d}").int,
        "parent": None,
        "perf_start": 100.0 + n,
        "perf_end": 100.25 + n * 1.0001,
    }
    return SpanRecord(**{**base, **fields})


def spans() -> list[SpanRecord]:
    """Plain, enriched, error, generator, nested, method, odd session, secrets, non-JSON."""
    return [
        _span(1, binder=Binder(handle), args=(7,), outputs={"answer": 7, "status": "ok"}),
        _span(2, event_type="model", event_name="ask", binder=Binder(ask), args=("why?",),
              kwargs={"model": "gpt"}, outputs="because",
              extra={"inputs": {"extra": True}, "metadata": {"k": [1, 2]}, "config": {"t": 0.1},
                     "metrics": {"score": 0.5}, "feedback": {"ok": True},
                     "user_properties": {"user": "u"}}),
        _span(3, binder=Binder(handle), args=(1,),
              extra={"error": "ValueError: bad", "_traceback": [("/nonexistent.py", 3, "f")]}),
        _span(4, event_type="chain", event_name="stream", binder=Binder(ask),
              args=("q", 0.2), outputs=["tok1", "tok2", "tok3"]),
        _span(5, event_type="chain", event_name="agent", parent=PARENT, children=CHILDREN,
              binder=Binder(handle), args=({"messages": [{"role": "user", "content": "hi\n"}]},),
              outputs={"result": {"nested": [[1, 2], (3, None)], "f": 1e-7}}),
        _span(6, event_name="run", binder=Binder(Tool.run), args=(Tool(), "docs", 3),
              outputs=("document 1", "document 2"), parent="user-parent-id"),
        _span(7, session=ODD_SESSION, event_name='na"me\u2028', id="user-id-7",
              binder=Binder(handle), args=("é\ud800",), outputs={"t": "\x00\t"}),
        _span(8, binder=Binder(ask), args=("Bearer abcdefghijklmnop", 1),
              outputs={"api_key": "x", "url": "?key=x", "k": "hh-local-key-0123456789",
                       "pair": ["Authorization", "y"], "long": "z" * 100}),
        _span(9, binder=Binder(handle), args=(dt.datetime(2026, 1, 2, 3, 4, 5),),
              outputs={"id": uuid.UUID(int=5), "b": b"bytes", "s": {3}, 1: "int key"}),
        _span(10),
    ]  # fmt: skip


def batch_body(records: list[SpanRecord]) -> bytes:
    sanitizer = Sanitizer(**SANITIZER_OPTIONS)
    events = [event_request(record, sanitizer, WALL_OFFSET)[0] for record in records]
    return msgspec.json.encode(CreateEventBatchRequest(events=events))


EXPECTED = (
    b'{"events":[{"event_type":"tool","inputs":{"i":7},"event_id":"00000000-'
    b'0000-4000-8000-000000000001","session_id":"5e551011-0000-4000-8000-000'
    b'000000001","parent_id":"5e551011-0000-4000-8000-000000000001","event_n'
    b'ame":"handle","source":"dev","outputs":{"answer":7,"status":"ok"},"sta'
    b'rt_time":1700000101000,"end_time":1700000101250,"duration":250.1000000'
    b'0000332},{"event_type":"model","inputs":{"question":"why?","temperatur'
    b'e":0.5,"model":"gpt","extra":true},"event_id":"00000000-0000-4000-8000'
    b'-000000000002","session_id":"5e551011-0000-4000-8000-000000000001","pa'
    b'rent_id":"5e551011-0000-4000-8000-000000000001","event_name":"ask","so'
    b'urce":"dev","config":{"t":0.1},"outputs":{"result":"because"},"start_t'
    b'ime":1700000102000,"end_time":1700000102250,"duration":250.20000000000'
    b'664,"metadata":{"k":[1,2]},"feedback":{"ok":true},"metrics":{"score":0'
    b'.5},"user_properties":{"user":"u"}},{"event_type":"tool","inputs":{"i"'
    b':1},"event_id":"00000000-0000-4000-8000-000000000003","session_id":"5e'
    b'551011-0000-4000-8000-000000000001","parent_id":"5e551011-0000-4000-80'
    b'00-000000000001","event_name":"handle","source":"dev","error":"ValueEr'
    b'ror: bad","start_time":1700000103000,"end_time":1700000103250,"duratio'
    b'n":250.29999999999575,"metadata":{"error_traceback":[{"filename":"/non'
    b'existent.py","lineno":3,"name":"f","line":""}]}},{"event_type":"chain"'
    b',"inputs":{"question":"q","temperature":0.2,"model":"m"},"event_id":"0'
    b'0000000-0000-4000-8000-000000000004","session_id":"5e551011-0000-4000-'
    b'8000-000000000001","parent_id":"5e551011-0000-4000-8000-000000000001",'
    b'"event_name":"stream","source":"dev","outputs":{"result":["tok1","tok2'
    b'","tok3"]},"start_time":1700000104000,"end_time":1700000104250,"durati'
    b'on":250.39999999999907},{"event_type":"chain","inputs":{"i":{"messages'
    b'":[{"role":"user","content":"hi\\n"}]}},"event_id":"00000000-0000-4000-'
    b'8000-000000000005","session_id":"5e551011-0000-4000-8000-000000000001"'
    b',"parent_id":"0b1c2d3e-aaaa-4bbb-8ccc-0123456789ab","children_ids":["0'
    b'b1c2d3e-aaaa-4bbb-8ccc-000000000000","0b1c2d3e-aaaa-4bbb-8ccc-00000000'
    b'0001","0b1c2d3e-aaaa-4bbb-8ccc-000000000002"],"event_name":"agent","so'
    b'urce":"dev","outputs":{"result":{"nested":[[1,2],[3,null]],"f":1e-7}},'
    b'"start_time":1700000105000,"end_time":1700000105250,"duration":250.500'
    b'0000000024},{"event_type":"tool","inputs":{"query":"docs","limit":3},"'
    b'event_id":"00000000-0000-4000-8000-000000000006","session_id":"5e55101'
    b'1-0000-4000-8000-000000000001","parent_id":"user-parent-id","event_nam'
    b'e":"run","source":"dev","outputs":{"result":["document 1","document 2"'
    b']},"start_time":1700000106000,"end_time":1700000106250,"duration":250.'
    b'6000000000057},{"event_type":"tool","inputs":{"i":"\xc3\xa9\xef\xbf\xbd"},"event_id":'
    b'"user-id-7","session_id":"sess \\"quoted\\" \xc3\xa9","parent_id":"sess \\"quot'
    b'ed\\" \xc3\xa9","event_name":"na\\"me\xe2\x80\xa8","source":"src \\"x\\"\\n","outputs'
    b'":{"t":"\\u0000\\t"},"start_time":1700000107000,"end_time":1700000107250'
    b',"duration":250.69999999999482},{"event_type":"tool","inputs":{"questi'
    b'on":"Bearer abcdefghijklmnop","temperature":1,"model":"m"},"event_id":'
    b'"00000000-0000-4000-8000-000000000008","session_id":"5e551011-0000-400'
    b'0-8000-000000000001","parent_id":"5e551011-0000-4000-8000-000000000001'
    b'","event_name":"handle","source":"dev","outputs":{"api_key":"[REDACTED'
    b']","url":"?key=[REDACTED]","k":"[REDACTED]","pair":["Authorization","['
    b'REDACTED]"],"long":"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz'
    b'zzzzzzzzzzzzzz... [truncated, 100 chars]"},"start_time":1700000108000,'
    b'"end_time":1700000108250,"duration":250.79999999999814},{"event_type":'
    b'"tool","inputs":{"i":"datetime.datetime(2026, 1, 2, 3, 4, 5)"},"event_'
    b'id":"00000000-0000-4000-8000-000000000009","session_id":"5e551011-0000'
    b'-4000-8000-000000000001","parent_id":"5e551011-0000-4000-8000-00000000'
    b'0001","event_name":"handle","source":"dev","outputs":{"id":"UUID(\'0000'
    b'0000-0000-0000-0000-000000000005\')","b":"b\'bytes\'","s":[3],"1":"int ke'
    b'y"},"start_time":1700000109000,"end_time":1700000109250,"duration":250'
    b'.90000000000146},{"event_type":"tool","inputs":{},"event_id":"00000000'
    b'-0000-4000-8000-000000000010","session_id":"5e551011-0000-4000-8000-00'
    b'0000000001","parent_id":"5e551011-0000-4000-8000-000000000001","event_'
    b'name":"handle","source":"dev","start_time":1700000110000,"end_time":17'
    b'00000110251,"duration":251.00000000000477}]}'
)


def test_the_batch_body_is_byte_for_byte_what_it_was() -> None:
    assert batch_body(spans()) == EXPECTED


def test_a_span_id_made_here_is_formatted_as_format_id_does() -> None:
    ids = [next_id() for _ in range(3)]
    records = [_span(1, id=i, parent=ids[0], children=ids[1:]) for i in ids]
    sanitizer = Sanitizer()
    requests = [event_request(record, sanitizer, WALL_OFFSET)[0] for record in records]
    assert [r.event_id for r in requests] == [format_id(i) for i in ids]
    assert {r.parent_id for r in requests} == {format_id(ids[0])}
    assert requests[0].children_ids == [format_id(i) for i in ids[1:]]
