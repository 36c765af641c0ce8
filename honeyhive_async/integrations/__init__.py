"""Provider clients traced in one line: `wrap_openai`, `wrap_anthropic`.

Neither imports its provider's SDK: install it yourself (or the ``openai``/``anthropic``
extras). OpenTelemetry spans from any instrumentor join the tree through
`honeyhive_async.integrations.otel.HoneyHiveSpanProcessor` (the ``otel`` extra).
"""

from __future__ import annotations

from ._anthropic import wrap_anthropic
from ._openai import wrap_openai

__all__ = ["wrap_anthropic", "wrap_openai"]
