"""The queue moved to the buffer a slice at a time (`_backlog`): order, counts and bounds."""

from __future__ import annotations

import concurrent.futures
from collections import deque
from typing import Any

from honeyhive_async.tracing import Session
from honeyhive_async.tracing._backlog import SLICE, encode_backlog
from honeyhive_async.tracing._capture import Binder, Sanitizer
from honeyhive_async.tracing._handoff import BUSY_BUDGET, Turn
from honeyhive_async.tracing._ids import format_id, next_id
from honeyhive_async.tracing._ledger import MARK, SPAN, START, UPDATE, Buffered, Ledger
from honeyhive_async.tracing._record import SessionRef, SpanRecord

SESSION = SessionRef(event_id="s", session_name="n", source="dev")


class _Sink:
    def enqueue_span(self, record: SpanRecord) -> None: ...
    def enqueue_session_start(self, session: Session) -> None: ...
    def enqueue_session_update(self, session: Session) -> None: ...


def ask(question: str) -> str:
    return question


def _record(question: str = "why?") -> SpanRecord:
    return SpanRecord(
        session=SESSION,
        event_type="tool",
        event_name="ask",
        id=next_id(),
        parent=None,
        perf_start=1.0,
        perf_end=2.0,
        outputs={"answer": 42},
        binder=Binder(ask),
        args=(question,),
    )


class _Books:
    """A queue, a buffer and their ledger; what `report` said each time the bound was set."""

    def __init__(self) -> None:
        self.queue: deque[Any] = deque()
        self.buffer: deque[Buffered] = deque()
        self.dropped: list[tuple[str, Any]] = []
        self.ledger = Ledger(self.queue, self.buffer, lambda r, i: self.dropped.append((r, i)))
        self.pending_seen: list[int] = []
        self.in_hand_seen: list[int] = []

    def on_held(self) -> None:
        # Called under the lock: read what `report` reads, as it would see it now.
        queued = sum(1 for item in self.queue if type(item) is not tuple or item[0] == START)
        buffered = sum(1 for entry in self.buffer if entry[0] in (SPAN, START))
        self.pending_seen.append(queued + buffered + self.ledger.in_hand)
        self.in_hand_seen.append(self.ledger.in_hand)

    def run(self, max_buffer_bytes: int = 1 << 30) -> None:
        encode_backlog(
            self.queue, self.buffer, self.ledger, Sanitizer(), max_buffer_bytes, self.on_held
        )


def test_spans_and_session_work_reach_the_buffer_in_queue_order_each_counted_once() -> None:
    books = _Books()
    session = Session.open(_Sink(), "chat", source="dev")
    mark: concurrent.futures.Future[None] = concurrent.futures.Future()
    first, second = _record("a"), _record("b")
    books.queue.extend([(START, session), first, (UPDATE, session), second, (MARK, mark)])
    books.run()
    kinds = [(entry[0], entry[1]) for entry in books.buffer]
    # The update folds into the start still waiting in the buffer: no entry of its own.
    assert kinds == [(START, session), (SPAN, first), (SPAN, second), (MARK, mark)]
    assert [entry[2].event_id for entry in books.buffer if entry[2] is not None] == [
        format_id(first.id),
        format_id(second.id),
    ]
    # Three events (a start, two spans) pending at every step: in hand, then buffered.
    assert books.pending_seen == [3, 3]
    assert books.in_hand_seen == [3, 0]
    assert books.ledger.buffered_bytes == sum(entry[3] for entry in books.buffer)
    assert books.ledger.report().pending == 3
    assert (first.args, first.outputs) == ((), None)  # the payload is let go of once encoded


def test_a_long_queue_goes_a_slice_at_a_time_and_nothing_stays_in_hand() -> None:
    books = _Books()
    records = [_record(str(i)) for i in range(2 * SLICE + 5)]
    books.queue.extend(records)
    books.run()
    assert [entry[1] for entry in books.buffer] == records
    assert books.in_hand_seen == [SLICE, 0, SLICE, 0, 5, 0]
    assert set(books.pending_seen) == {len(records)}
    assert books.ledger.in_hand == 0
    assert not books.queue


def test_the_byte_bound_drops_a_span_once_and_counts_what_the_slice_already_added() -> None:
    books = _Books()
    records = [_record(str(i)) for i in range(4)]
    books.queue.extend(records)
    probe = _Books()
    probe.queue.append(_record("0"))
    probe.run()
    one = probe.ledger.buffered_bytes  # the encoded size of one such span
    books.run(max_buffer_bytes=2 * one)  # room for two of the four, taken in one slice
    assert [entry[1] for entry in books.buffer] == records[:2]
    assert books.dropped == [("buffer_full", records[2]), ("buffer_full", records[3])]
    report = books.ledger.report()
    assert (report.pending, report.dropped) == (2, {"buffer_full": 2})
    assert books.ledger.in_hand == 0
    assert books.ledger.buffered_bytes == 2 * one


class _Clock:
    """A clock that moves `step` seconds each time it is read: each span 'costs' time."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_a_long_backlog_hands_the_gil_over_between_spans_and_buffers_them_all_in_order() -> None:
    books = _Books()
    records = [_record(str(i)) for i in range(2 * SLICE + 5)]
    books.queue.extend(records)
    pauses: list[int] = []  # how many spans were encoded (payload let go of) at each hand-off

    clock = _Clock(BUSY_BUDGET / 4)  # a hand-off every few spans, mid-slice too

    def pause() -> None:
        pauses.append(sum(1 for record in records if record.args == ()))
        clock.now += BUSY_BUDGET  # the app took the GIL for a while: the budget stays

    turn = Turn(clock, pause)
    encode_backlog(
        books.queue, books.buffer, books.ledger, Sanitizer(), 1 << 30, books.on_held, turn.check
    )
    assert len(pauses) >= len(records) // 5  # about one each 4 spans
    assert any(n % SLICE > 0 for n in pauses)  # inside a slice, not only between slices
    assert pauses == sorted(pauses)
    assert [entry[1] for entry in books.buffer] == records
    assert books.ledger.in_hand == 0


def test_a_short_backlog_encodes_without_a_hand_off() -> None:
    books = _Books()
    books.queue.extend(_record(str(i)) for i in range(SLICE))
    pauses: list[None] = []
    turn = Turn(lambda: 0.0, lambda: pauses.append(None))  # no time passes: never busy long
    encode_backlog(
        books.queue, books.buffer, books.ledger, Sanitizer(), 1 << 30, books.on_held, turn.check
    )
    assert pauses == []
    assert len(books.buffer) == SLICE
