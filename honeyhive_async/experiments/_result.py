"""What `evaluate` returns: one result per datapoint, the run's summary, and the end table."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._scoring import EvaluatorStats, stats_for

if TYPE_CHECKING:
    from .._client import AsyncHoneyHive
    from ..models import AggregateFunction, RunComparison, RunStatus, RunSummary
    from ..tracing import ExportReport

__all__ = ["DatapointResult", "EvaluationResult", "render_table"]


@dataclass
class DatapointResult:
    """One datapoint of a run: what went in, what came out, and how it scored.

    Attributes:
        datapoint_id: The datapoint (``EXT-...`` for an in-memory dataset).
        inputs: What the function was called with.
        outputs: What it returned (a generator's chunks joined when they are all text).
        ground_truth: The expected answer, if the datapoint has one.
        scores: The session metrics the evaluators gave (``{"exact_match": 1.0, ...}``).
        error: ``"TypeName: message"`` when the function failed or timed out, else None.
        evaluator_errors: Per evaluator that failed on this datapoint, its error.
        session_id: The session that traced this datapoint.
        resumed: True when an earlier call of the same run did this datapoint.
    """

    datapoint_id: str
    inputs: dict[str, Any]
    outputs: Any = None
    ground_truth: Any = None
    scores: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    evaluator_errors: dict[str, str] = field(default_factory=dict)
    session_id: str | None = None
    resumed: bool = False


ClientOpener = Callable[[], contextlib.AbstractAsyncContextManager["AsyncHoneyHive"]]


@dataclass
class EvaluationResult:
    """The outcome of `evaluate`: the run, every datapoint's result and the server's summary.

    Attributes:
        run_id: The experiment run (`client.runs.get(run_id)`).
        name: The run's name.
        dataset_id: The HoneyHive dataset, or the ``EXT-`` id of an in-memory one.
        status: ``completed``, or ``failed`` when the function failed on every datapoint.
        results: One per datapoint, in the dataset's order.
        summary: ``GET /v1/runs/{run_id}/summary`` once the sessions were sent (None if that
            request failed).
        evaluators: The evaluators' names, in the order given.
        passing_ranges: Per metric, the ``{"min", "max"}`` a passing score falls in.
        export: What became of the traced events (sent, dropped, pending) at the end.
    """

    run_id: str
    name: str
    dataset_id: str
    status: RunStatus
    results: list[DatapointResult]
    summary: RunSummary | None
    evaluators: list[str]
    passing_ranges: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    export: ExportReport | None = None
    _open_client: ClientOpener | None = field(default=None, repr=False, compare=False)

    @property
    def failed(self) -> list[DatapointResult]:
        """The datapoints whose function failed or timed out."""
        return [r for r in self.results if r.error is not None]

    @property
    def evaluator_failures(self) -> int:
        """How many evaluator calls failed, over every datapoint."""
        return sum(len(r.evaluator_errors) for r in self.results)

    def stats(self) -> list[EvaluatorStats]:
        """Per evaluator: mean, min, max and passes over the datapoints it scored."""
        return [
            stats_for(
                name,
                (r.scores[name] for r in self.results if name in r.scores),
                self.passing_ranges.get(name),
            )
            for name in self.evaluators
        ]

    def table(self) -> str:
        """The end table: per evaluator mean, min, max, pass rate; then the failures."""
        return render_table(self)

    async def compare(
        self,
        previous_run_id: str,
        *,
        aggregate_function: AggregateFunction | None = None,
    ) -> RunComparison:
        """Compare this run with an earlier one over the datapoints both have.

        ``GET /v1/runs/{run_id}/compare/{previous_run_id}``: per metric the old and new
        aggregates, their difference and percentage change.
        """
        if self._open_client is None:
            raise RuntimeError("this result has no client to ask the server with")
        async with self._open_client() as client:
            return await client.runs.compare(
                self.run_id, previous_run_id, aggregate_function=aggregate_function
            )


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def _range(passing: Mapping[str, Any] | None) -> str:
    if not passing:
        return ""
    low, high = passing.get("min"), passing.get("max")
    parts = [f">= {low:g}" if low is not None else "", f"<= {high:g}" if high is not None else ""]
    return " (" + ", ".join(p for p in parts if p) + ")"


def render_table(result: EvaluationResult) -> str:
    """The end table of a run as text (what `evaluate` draws on a terminal)."""
    rows = [["evaluator", "n", "mean", "min", "max", "pass rate"]]
    for each in result.stats():
        rate = each.pass_rate
        shown = "-" if rate is None else f"{rate:.0%} ({each.passed}/{each.judged})"
        rows.append(
            [
                each.name,
                str(each.count),
                _cell(each.mean),
                _cell(each.min),
                _cell(each.max),
                shown + _range(each.passing_range),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    failed = result.failed
    lines.append(
        f"run {result.name!r} ({result.run_id}) {result.status}: {len(result.results)} datapoints,"
        f" {len(failed)} failed, {result.evaluator_failures} evaluator errors"
    )
    lines += [f"  {r.datapoint_id}: {r.error}" for r in failed[:10]]
    if len(failed) > 10:
        lines.append(f"  ... and {len(failed) - 10} more")
    return "\n".join(lines)


@contextlib.asynccontextmanager
async def borrowed(client: AsyncHoneyHive) -> AsyncIterator[AsyncHoneyHive]:
    """Lend the caller's client without closing it."""
    yield client
