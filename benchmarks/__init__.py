"""Benchmarks of honeyhive_async against its peers: ``python -m benchmarks [--quick]``.

Importing this package points every SDK's endpoint at loopback before any peer is imported, so
that nothing a benchmark starts can reach the internet (a case that runs a sink overrides these
with the sink's URL). `run.py` also runs everything in a network namespace of its own when the
machine allows it.
"""

import os

CLOSED = "http://127.0.0.1:9"

LOOPBACK_ENV = {
    "HH_API_URL": CLOSED,
    "HH_API_KEY": "hh_bench_dummy",
    "HH_PROJECT": "bench",
    "LANGSMITH_ENDPOINT": CLOSED,
    "LANGCHAIN_ENDPOINT": CLOSED,
    "LANGSMITH_API_KEY": "ls_bench_dummy",
    "LANGFUSE_BASE_URL": CLOSED,
    "LANGFUSE_HOST": CLOSED,
    "LANGFUSE_PUBLIC_KEY": "pk-lf-bench",
    "LANGFUSE_SECRET_KEY": "sk-lf-bench",
    "OTEL_EXPORTER_OTLP_ENDPOINT": CLOSED,
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": CLOSED + "/v1/traces",
    "OTEL_TRACES_EXPORTER": "none",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}

for _key, _value in LOOPBACK_ENV.items():
    os.environ.setdefault(_key, _value)
for _key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_key, None)
