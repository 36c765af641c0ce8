"""Tracing: `@trace`, `trace_span`, sessions, enrichment and the background exporter."""

from ._context import ContextExecutor, current_span, enrich_session, enrich_span
from ._decorator import trace, trace_span
from ._ledger import ExportReport
from ._record import SpanRecord
from ._redact import DEFAULT_REDACT_KEYS, REDACTED, REDACTION_FAILED
from ._scope import SessionScope
from ._span import Session, Span
from ._tracer import (
    Tracer,
    get_default_tracer,
    set_default_tracer,
)

__all__ = [
    "DEFAULT_REDACT_KEYS",
    "REDACTED",
    "REDACTION_FAILED",
    "ContextExecutor",
    "ExportReport",
    "Session",
    "SessionScope",
    "Span",
    "SpanRecord",
    "Tracer",
    "current_span",
    "enrich_session",
    "enrich_span",
    "get_default_tracer",
    "set_default_tracer",
    "trace",
    "trace_span",
]
