"""Scale of the synthetic market: a year of 1,000 settlement points into a fresh SQLite file.

Prints wall time, rows per table, rows/s and peak resident memory (sampled every 0.2 s, and
the kernel's high-water mark), and, as a baseline from the same run on the same disk, the
rate of a raw ``sqlite3`` ``executemany`` of one day's price rows into the same schema (plain
INSERT of pre-built tuples: the floor any writer pays). The ratio of the two is the number to
compare across machines.

    .venv/bin/python benchmarks/synth_scale.py                      # 2025, 1,000 points
    .venv/bin/python benchmarks/synth_scale.py --end 2025-01-31     # a month
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import numpy as np

from ercot_dart.db.engine import create_tables, make_engine
from ercot_dart.db.tables import TABLES
from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.synth import iter_market_days, write_market

try:
    import psutil
except ImportError:  # the kernel's high-water mark still answers
    psutil = None


class PeakMemory:
    """Samples this process's resident set size in a background thread."""

    def __init__(self, every: float = 0.2) -> None:
        self.peak = 0
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        process = psutil.Process() if psutil else None
        while not self._stop.is_set():
            if process is not None:
                self.peak = max(self.peak, process.memory_info().rss)
            self._stop.wait(self._every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def max_rss_bytes() -> int:
    """The kernel's high-water mark of this process's resident memory (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def raw_baseline(folder: Path, day: date, points: int, seed: int) -> tuple[int, float]:
    """Rows and seconds of a plain sqlite3 executemany of one day's price rows."""
    frames = next(iter_market_days(day, day, points, seed)).frames
    path = folder / "baseline.sqlite"
    create_tables(make_engine("sqlite:///" + str(path)))
    batches = []
    for table in (SourceTable.SCED_LMP, SourceTable.RTM_SPP, SourceTable.DAM_SPP):
        frame = frames[table]
        columns = []
        for name in frame.columns:
            values = frame[name]
            if np.issubdtype(values.dtype, np.datetime64):
                unit = "D" if name.endswith("Date") else "us"
                text = np.datetime_as_string(values.to_numpy(f"datetime64[{unit}]"), unit=unit)
                columns.append(np.char.replace(text, "T", " ").tolist())
            else:
                columns.append(values.tolist())
        marks = ", ".join("?" for _ in frame.columns)
        names = ", ".join(f'"{c}"' for c in frame.columns)
        batches.append(
            (f"INSERT INTO {table} ({names}) VALUES ({marks})", list(zip(*columns, strict=True)))
        )
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    start = time.perf_counter()
    with con:
        for sql, rows in batches:
            con.executemany(sql, rows)
    seconds = time.perf_counter() - start
    con.close()
    return sum(len(rows) for _, rows in batches), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=date.fromisoformat, default=date(2025, 1, 1))
    parser.add_argument("--end", type=date.fromisoformat, default=date(2025, 12, 31))
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="folder for the SQLite file")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="synth_scale_", dir=args.dir))
    path = folder / "ercot.sqlite"
    engine = make_engine("sqlite:///" + str(path))
    started = time.perf_counter()
    n_days = (args.end - args.start).days + 1

    def progress(day: date) -> None:
        done = (day - args.start).days + 1
        if done % 10 == 0 or done == n_days:
            elapsed = time.perf_counter() - started
            print(
                f"  {day}  {done}/{n_days} days  {elapsed:7.0f} s  "
                f"~{elapsed / done * n_days / 60:5.1f} min total",
                flush=True,
            )

    print(f"synth {args.start}..{args.end}, {args.points} points, seed {args.seed} -> {path}")
    with PeakMemory() as memory:
        written = write_market(engine, args.start, args.end, args.points, args.seed, progress)
    wall = time.perf_counter() - started
    engine.dispose()
    total = sum(written.values())
    raw_rows, raw_seconds = raw_baseline(folder, date(2025, 7, 1), args.points, args.seed)

    print(f"\nwall time        {wall:,.0f} s ({wall / 60:.1f} min) for {n_days} days")
    for table in TABLES:
        print(f"  {table:<20} {written[str(table)]:>14,} rows")
    print(f"  {'total':<20} {total:>14,} rows  = {total / wall:,.0f} rows/s")
    peak = max(memory.peak, max_rss_bytes())
    print(f"peak RSS         {peak / 2**20:,.0f} MiB (sampled {memory.peak / 2**20:,.0f} MiB)")
    print(f"database size    {path.stat().st_size / 2**30:.2f} GiB")
    print(
        f"raw baseline     {raw_rows:,} rows in {raw_seconds:.2f} s = {raw_rows / raw_seconds:,.0f} rows/s"
    )
    print(
        f"ratio            synth end-to-end runs at {total / wall / (raw_rows / raw_seconds):.2f}x "
        "the raw insert rate"
    )


if __name__ == "__main__":
    main()
