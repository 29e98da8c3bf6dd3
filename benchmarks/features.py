"""Raw stage → feature store: full build, daily update, and a plain pandas baseline.

1. Builds (once, cached under ``--stage``) a raw parquet stage of ``--days`` operating days ×
   ``--points`` settlement points straight from the synthetic market (no database), one file
   per table-day in the stage's schema; the day after the last is kept aside for step 3
   (``features_stage.py``). Generation is timed apart and is not part of any measurement.
2. The full build — hourly price cache and every month partition, the units the
   ``build_features`` flow maps (``plan_update`` / ``refresh_hourly`` / ``build_month``) — in
   one process, then on a local Dask cluster (``--workers`` processes).
3. The daily update: the next day is added to the stage and the store brought up to date.
4. A plain pandas implementation (``features_baseline.py``: read everything, per-row time
   zones, resample, merge, ``groupby().rolling``) and the project on the same slices
   (``--slice-points``, e.g. ``50,250``, × ``--slice-days``); prints the ratio of rows/s.

Each measurement runs in its own child process; wall time is the child's own timer; peak memory
is the largest sum of RSS over the child and all its descendants (Dask workers included) and CPU
the sum of their CPU times, sampled every 50 ms with psutil. Every child is bounded by
``--timeout`` seconds. Prints a table and the command.

    .venv/bin/python benchmarks/features.py --slice-points 50,250
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from features_baseline import naive_features  # noqa: E402
from features_stage import (  # noqa: E402
    START,
    generate,
    slice_stage,
    stage_next,
    stage_rows,
    unstage_next,
)

from ercot_dart.ercot.vocab import SourceTable  # noqa: E402

# --- the project: full build and daily update --------------------------------------------


def months_of(days: list[date]) -> dict[str, list[date]]:
    out: dict[str, list[date]] = {}
    for d in sorted(days):
        out.setdefault(d.strftime("%Y-%m"), []).append(d)
    return out


def build_store(stage: Path, store: Path, workers: int, changed: dict | None = None) -> dict:
    """Hourly prices then feature months, as the ``build_features`` flow maps them: in this
    process (``workers`` 0) or on a local Dask cluster of ``workers`` processes."""
    from ercot_dart.features.asof import AsOfRules
    from ercot_dart.features.update import build_month, plan_update, refresh_hourly

    t0 = time.perf_counter()
    plan = plan_update(stage, store, changed or {})
    hourly = months_of(plan.hourly_days)
    rules = AsOfRules()
    timings: dict[str, float] = {}
    if workers:
        from dask.distributed import Client, LocalCluster

        from flows.build_features import keep_malloc_trim_default

        keep_malloc_trim_default()  # as the flow's Dask task runner does
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
        timings["cluster_start_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        done = client.map(
            refresh_hourly,
            [stage] * len(hourly),
            [store] * len(hourly),
            list(hourly.values()),
            pure=False,
        )
        client.gather(done)
        timings["hourly_s"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        months = list(plan.months)
        done = client.map(
            build_month,
            [stage] * len(months),
            [store] * len(months),
            months,
            [plan.months[m] for m in months],
            [rules] * len(months),
            pure=False,
        )
        rows = sum(client.gather(done))
        timings["features_s"] = time.perf_counter() - t1
        client.close()
        cluster.close()
    else:
        t1 = time.perf_counter()
        for days in hourly.values():
            refresh_hourly(stage, store, days)
        timings["hourly_s"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        rows = sum(build_month(stage, store, m, d, rules) for m, d in plan.months.items())
        timings["features_s"] = time.perf_counter() - t1
    timings["total_s"] = time.perf_counter() - t0
    return {
        "rows": rows,
        "hourly_days": len(plan.hourly_days),
        "months": len(plan.months),
        **timings,
    }


def update_one_day(stage: Path, store: Path) -> dict:
    """Stage the next day and bring the store up to date, as a daily run does after the extract."""
    day = stage_next(stage)
    changed = {str(t): [day] for t in SourceTable}
    out = build_store(stage, store, 0, changed)
    return {"day": day.isoformat(), **out}


def project_on(stage: Path, store: Path) -> dict:
    shutil.rmtree(store, ignore_errors=True)
    raw = stage_rows(stage)
    out = build_store(stage, store, 0)
    return {"rows_in": sum(raw.values()), "rows_out": out["rows"], "wall_s": out["total_s"]}


# --- the harness: each measurement in a child process, its whole tree's RSS sampled ---------

CHILD_JOBS: dict[str, Callable[..., dict]] = {
    "build": lambda a: build_store(Path(a.stage), Path(a.store), a.workers),
    "update": lambda a: update_one_day(Path(a.stage), Path(a.store)),
    "naive": lambda a: naive_features(Path(a.stage)),
    "project": lambda a: project_on(Path(a.stage), Path(a.store)),
}


def run_child(job: str, timeout: float, **kwargs: object) -> dict:
    """Run ``job`` in a child process; its result, with the peak RSS (MiB) of its process tree."""
    args = [sys.executable, __file__, "--child", job]
    for k, v in kwargs.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    root = psutil.Process(proc.pid)
    peak, start = 0, time.perf_counter()
    cpu: dict[int, float] = {}  # CPU seconds of each process of the tree, as last seen
    while proc.poll() is None:
        if time.perf_counter() - start > timeout:
            for p in [*root.children(recursive=True), root]:
                p.kill()
            raise TimeoutError(f"{job} took over {timeout:.0f} s")
        rss = 0
        for p in [root, *root.children(recursive=True)]:
            try:
                with p.oneshot():
                    rss += p.memory_info().rss
                    times = p.cpu_times()
                    cpu[p.pid] = max(cpu.get(p.pid, 0.0), times.user + times.system)
            except psutil.Error:
                pass
        peak = max(peak, rss)
        time.sleep(0.05)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise RuntimeError(f"{job} failed ({proc.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    return {
        **result,
        "peak_rss_mib": peak / 2**20,
        "cpu_s": sum(cpu.values()),
        "child_wall_s": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--stage", help="cached raw stage (default under --work)")
    parser.add_argument("--work", default="/tmp/ercot-dart-bench")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes")
    parser.add_argument("--slice-points", default="50", help="baseline slices, e.g. 50,250")
    parser.add_argument("--slice-days", type=int, default=59, help="days from the first")
    parser.add_argument("--skip", default="", help="comma list of: single,dask,update,baseline")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per measurement")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILD_JOBS[args.child](args), default=str))
        return

    work = Path(args.work)
    stage = Path(args.stage or work / f"stage-{args.points}x{args.days}")
    skip = set(filter(None, args.skip.split(",")))
    print(f"stage {stage}: generating if needed ...", flush=True)
    generated = generate(stage, args.points, args.days)
    unstage_next(stage)
    rows = stage_rows(stage)
    made = f"generated in {generated:.0f} s (not measured)" if generated else "cached"
    print(f"  {made}; rows: {rows}")
    results: list[tuple[str, dict]] = []

    def measure(label: str, job: str, **kw: object) -> dict:
        print(f"{label} ...", flush=True)
        out = run_child(job, args.timeout, **kw)
        print(f"  {out}", flush=True)
        results.append((label, out))
        return out

    stores = {}
    for label, workers in (("single", 0), ("dask", args.workers)):
        if label in skip:
            continue
        store = work / f"store-{args.points}x{args.days}-{label}"
        shutil.rmtree(store, ignore_errors=True)
        measure(f"full build, {label}", "build", stage=stage, store=store, workers=workers)
        stores[label] = store
    if "update" not in skip and stores:
        store = next(iter(stores.values()))
        try:
            measure("daily update (+1 day)", "update", stage=stage, store=store, workers=0)
        finally:
            unstage_next(stage)
    ratios = []
    for points in (
        [int(p) for p in str(args.slice_points).split(",")] if "baseline" not in skip else []
    ):
        first, last = START, START + timedelta(days=args.slice_days - 1)
        part = work / f"slice-{points}x{args.slice_days}"
        slice_stage(stage, part, points, first, last)
        where = f"{points} points x {args.slice_days} days"
        naive = measure(f"plain pandas, {where}", "naive", stage=part, workers=0)
        ours = measure(
            f"project, {where}", "project", stage=part, store=work / "store-slice", workers=0
        )
        ratio = (ours["rows_out"] / ours["wall_s"]) / (naive["rows_out"] / naive["wall_s"])
        cpu = naive["cpu_s"] / ours["cpu_s"]
        ratios.append(
            f"{where}: project / plain pandas = {ratio:.1f}x rows/s ({cpu:.1f}x by CPU time)"
        )

    print()
    print(
        f"machine: {psutil.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.0f} GiB; "
        f"load average before/after {LOAD_BEFORE} / {tuple(round(x, 2) for x in psutil.getloadavg())}"
    )
    print(
        f"stage: {args.points} points x {args.days} days, {sum(rows.values()):,} rows "
        f"(sced_lmp {rows['sced_lmp']:,}, rtm_spp {rows['rtm_spp']:,})"
    )
    print()
    print("| measurement | wall | CPU (tree) | peak RSS (tree) | rows | rows/s | detail |")
    print("|---|---|---|---|---|---|---|")
    for label, r in results:
        wall = r.get("total_s", r.get("wall_s"))
        n = r.get("rows", r.get("rows_out"))
        detail = {
            k: round(v, 1) if isinstance(v, float) else v
            for k, v in r.items()
            if k.endswith("_s") and k not in ("total_s", "wall_s")
        }
        print(
            f"| {label} | {wall:.1f} s | {r['cpu_s']:.0f} s | {r['peak_rss_mib']:,.0f} MiB | {n:,} | "
            f"{n / wall:,.0f} | {detail} |"
        )
    for line in ratios:
        print(f"\n{line}")
    print(f"\ncommand: .venv/bin/python benchmarks/features.py {' '.join(sys.argv[1:])}".rstrip())


LOAD_BEFORE = tuple(round(x, 2) for x in psutil.getloadavg())

if __name__ == "__main__":
    main()
