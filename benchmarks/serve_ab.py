"""Builds of the scoring service side by side under the same load: is a change faster?

    .venv/bin/python benchmarks/serve_ab.py --keep /tmp/servebench main=/path/to/main-checkout \
        change=. [tuned=.:ERCOT_DART_SERVE_THREADS=1,OTHER=value] [--rounds 4] [--seconds 8]

Each target is ``NAME=CHECKOUT`` (a checkout of this repository, e.g. a ``git worktree`` of
another commit; ``.`` is this one), optionally followed by ``:VAR=VALUE,...`` for its
environment. Every target is one uvicorn worker (uvloop, httptools) of ``inference.app``
imported from its checkout, on the data of ``benchmarks/serve.py --keep`` (built there if
missing), loaded in turn by the same single-row POST /score bodies at 8 connections (wrk when
installed), round after round, so that the machine's noise falls on all of them alike. Per
target: throughput, p99 and the server's CPU time a request (all threads), each round and their
median, and the ratio to the first target. Nothing is written: record what matters in
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.serve import cpu_seconds, service_env, start, stop  # noqa: E402
from benchmarks.serve_bodies import last_day, singles  # noqa: E402
from benchmarks.serve_data import load_or_build  # noqa: E402
from benchmarks.serve_load import run_load  # noqa: E402

TARGET = "inference.app:create_app"
MAX_BODY = 1 << 20


def parse_target(spec: str) -> tuple[str, Path, dict[str, str]]:
    """``NAME=CHECKOUT[:VAR=VALUE,...]`` → (name, checkout, extra environment)."""
    name, sep, rest = spec.partition("=")
    checkout, _, env = rest.partition(":")
    if not sep or not name or not checkout:
        raise SystemExit(f"target {spec!r}: expected NAME=CHECKOUT[:VAR=VALUE,...]")
    path = Path(checkout).resolve()
    if not (path / "inference" / "app.py").is_file():
        raise SystemExit(f"target {name!r}: {path} is not a checkout of this repository")
    extra: dict[str, str] = {}
    for pair in filter(None, env.split(",")):
        var, eq, value = pair.partition("=")
        if not eq or not var:
            raise SystemExit(f"target {name!r}: {pair!r} is not VAR=VALUE")
        extra[var] = value
    return name, path, extra


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("targets", nargs="+", help="NAME=CHECKOUT[:VAR=VALUE,...], two or more")
    ap.add_argument("--keep", type=Path, required=True, help="benchmarks/serve.py's data folder")
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=8.0, help="duration of each load phase")
    ap.add_argument("--connections", type=int, default=8)
    args = ap.parse_args()
    targets = [parse_target(t) for t in args.targets]
    if len(targets) < 2 or len({name for name, _, _ in targets}) != len(targets):
        raise SystemExit("give two or more targets with different names")
    data = load_or_build(args.keep, args.points, args.days)
    features = json.loads((data.bundle / "manifest.json").read_text())["preprocessing"]["features"]
    logs = Path(tempfile.mkdtemp(prefix="ercot-dart-serve-ab-"))
    bodies = logs / "bodies.jsonl"
    bodies.write_bytes(b"\n".join(singles(last_day(data), features)) + b"\n")
    env = service_env(args.keep, data, args.points * 24, MAX_BODY)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    urls: dict[str, str] = {}
    try:
        for name, checkout, extra in targets:
            procs[name], urls[name], _ = start(
                TARGET, {**env, **extra}, logs / f"{name}.log", cwd=checkout
            )
        for url in urls.values():  # warm up (first requests, allocator, caches)
            run_load(url, bodies, 2, args.connections, 10**9)
        rounds: dict[str, list[tuple[float, float, float]]] = {name: [] for name in urls}
        for i in range(args.rounds):
            for name, url in urls.items():
                before = cpu_seconds(procs[name].pid)
                result = run_load(url, bodies, args.seconds, args.connections, 10**9)
                us = 1e6 * (cpu_seconds(procs[name].pid) - before) / max(result["requests"], 1)
                failed = result["errors"] + result["non_2xx"]
                rounds[name].append((result["rps"], result["p99_ms"], us))
                print(
                    f"round {i + 1} {name}: {result['rps']:,.0f} req/s, p99 "
                    f"{result['p99_ms']:.2f} ms, {us:.0f} µs CPU a request, {failed} failed",
                    flush=True,
                )
        first = statistics.median(r[0] for r in rounds[targets[0][0]])
        print(f"\nmedians over {args.rounds} rounds (server logs in {logs}):")
        for name, values in rounds.items():
            rps, p99, us = (statistics.median(v[k] for v in values) for k in range(3))
            print(
                f"  {name}: {rps:,.0f} req/s ({rps / first:.2f}× {targets[0][0]}), "
                f"p99 {p99:.2f} ms, {us:.0f} µs CPU a request"
            )
    finally:
        stop(procs.values())


if __name__ == "__main__":
    main()
