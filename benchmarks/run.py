"""Run every benchmark case and write `benchmarks/RESULTS.md`: ``python -m benchmarks``.

Each job is a subprocess (``python -m benchmarks.<case> ...``) that prints one JSON object; the
tracing and memory cases run once per tracer, each in its own process, with their reference
rows re-measured in every process; the service case starts one service process per tracer
itself, so that they are sampled round-robin against the untraced one. When the machine allows it (``unshare -n``), the whole run
happens in a fresh network namespace where only loopback exists.

``--quick`` runs every case once at small sizes (for CI) and does not touch RESULTS.md unless
``--write`` is given too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from ._out import log
from .report import render

HERE = Path(__file__).parent
ROOT = HERE.parent
PEERS = ("langfuse", "langsmith", "honeyhive")

JOBS: list[tuple[str, list[str]]] = [
    ("decode", []),
    ("requests", []),
    *[("tracing", ["--peer", p]) for p in ("ours", *PEERS)],
    ("export", []),
    ("export", ["--part", "sessions"]),
    ("capacity", []),
    ("transfer", []),
    *[
        ("memory", ["--peer", p, "--part", "buffered"])
        for p in ("ours", "otel", "langfuse", "honeyhive")
    ],
    *[("memory", ["--peer", p, "--part", "rss"]) for p in ("ours", "otel", *PEERS)],
    ("memory", ["--peer", "ours", "--part", "bound"]),
    *[("evaluate", ["--peer", p]) for p in ("ours", "honeyhive", "langsmith")],
    *[("integrations", ["--peer", p]) for p in ("ours", "langsmith", "langfuse", "openinference")],
    ("service", []),
    ("ui", []),
]

PACKAGES = (
    "honeyhive-async", "aiohttp", "msgspec", "tenacity", "orjson", "pydantic", "pydantic-core",
    "httpx", "honeyhive", "langfuse", "langsmith", "opentelemetry-sdk", "openai",
    "openinference-instrumentation-openai",
)  # fmt: skip


def _netns_ok() -> bool:
    if os.environ.get("BENCH_NETNS") or not shutil.which("unshare") or not shutil.which("ip"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def _reexec_isolated(argv: list[str]) -> int:
    inner = shlex.join([sys.executable, "-m", "benchmarks", *argv])
    env = {**os.environ, "BENCH_NETNS": "1"}
    return subprocess.call(
        ["unshare", "-n", "sh", "-c", f"ip link set lo up && exec {inner}"], env=env, cwd=ROOT
    )


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    wrk = (
        subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        if shutil.which("wrk")
        else None
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "versions": versions,
        "wrk": (wrk.stdout or wrk.stderr).split("[")[0].strip() if wrk else "not installed",
        "loadavg_start": os.getloadavg(),
        "isolated_netns": bool(os.environ.get("BENCH_NETNS")),
    }


def run_job(module: str, job_args: list[str], quick: bool) -> dict[str, Any]:
    cmd = [sys.executable, "-m", f"benchmarks.{module}", *job_args, *(["--quick"] if quick else [])]
    log(f"$ {shlex.join(cmd[1:])}")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark job failed ({proc.returncode}): {shlex.join(cmd)}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    raw_argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="every case once, small sizes (CI)")
    parser.add_argument("--write", action="store_true", help="write RESULTS.md even with --quick")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--json", type=Path, help="also save the raw results here")
    parser.add_argument("--no-netns", action="store_true", help="do not isolate the network")
    opts = parser.parse_args(raw_argv)
    if not opts.no_netns and _netns_ok():
        return _reexec_isolated(raw_argv)
    started = time.monotonic()
    info = machine()
    results = []
    for module, job_args in JOBS:
        results.append({"job": [module, *job_args], **run_job(module, job_args, opts.quick)})
    info["loadavg_end"] = os.getloadavg()
    info["duration_s"] = time.monotonic() - started
    info["date"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = "python -m benchmarks" + (" --quick" if opts.quick else "")
    text, failed = render(results, info, command, quick=opts.quick)
    if opts.json:
        opts.json.write_text(json.dumps({"info": info, "results": results}, indent=1))
    if not opts.quick or opts.write:
        opts.out.write_text(text)
        log(f"wrote {opts.out}")
    else:
        print(text)
    log(f"all cases ran in {info['duration_s']:.0f}s; bars missed: {', '.join(failed) or 'none'}")
    return 0
