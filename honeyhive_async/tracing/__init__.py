"""Tracing: `@trace`, `trace_span`, sessions, enrichment and the background exporter."""

from ._context import ContextExecutor, current_span, enrich_session, enrich_span
from ._decorator import trace, trace_span
from ._exporter import ExportReport
from ._redact import DEFAULT_REDACT_KEYS, REDACTED, REDACTION_FAILED
from ._span import Session, Span
from ._tracer import (
    SessionScope,
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
    "Tracer",
    "current_span",
    "enrich_session",
    "enrich_span",
    "get_default_tracer",
    "set_default_tracer",
    "trace",
    "trace_span",
]
