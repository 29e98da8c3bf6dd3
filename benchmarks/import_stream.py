"""Import of a large MIS CSV: wall time and peak memory, against reading it whole with pandas.

Writes an NP6-788-CD (SCED LMP) CSV of ``--rows`` rows in ERCOT's MIS format, then in two child
processes (so each peak RSS is its own):
  - ercot-dart's importer, streaming it into a fresh SQLite file;
  - the baseline: ``pandas.read_csv`` of the whole file (no parsing, no database).
Prints both, and the ratio of peak memory, which should stay flat as the file grows.

    .venv/bin/python benchmarks/import_stream.py --rows 5000000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD_IMPORT = """
import resource, sys, time
from pathlib import Path
from ercot_dart.db.engine import make_engine
from ercot_dart.importer import import_paths
t = time.perf_counter()
[r] = import_paths(make_engine('sqlite:///' + sys.argv[2]), [Path(sys.argv[1])])
assert r.ok, r.error
print(r.rows, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

CHILD_PANDAS = """
import resource, sys, time
import pandas as pd
t = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
print(len(frame), time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def write_csv(path: Path, rows: int, points: int = 1000) -> None:
    with path.open("w") as fh:
        fh.write("SCEDTimestamp,RepeatedHourFlag,SettlementPoint,LMP\n")
        written = 0
        run = 0
        while written < rows:
            day, minute = divmod(run * 5, 1440)
            stamp = f"{1 + day // 28:02d}/{1 + day % 28:02d}/2025 {minute // 60:02d}:{minute % 60:02d}:13"
            n = min(points, rows - written)
            fh.writelines(
                f"{stamp},N,RN_{p:04d},{20 + (p * 7 + run) % 97 / 3:12.2f}\n" for p in range(n)
            )
            written += n
            run += 1


def child(code: str, *args: str) -> tuple[int, float, float]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    rows, seconds, peak_mb = out.stdout.split()
    return int(rows), float(seconds), float(peak_mb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "np6-788-cd.csv"
        write_csv(csv, args.rows)
        size_mb = csv.stat().st_size / 2**20
        rows, secs, peak = child(CHILD_IMPORT, str(csv), str(Path(tmp) / "db.sqlite"))
        base_rows, base_secs, base_peak = child(CHILD_PANDAS, str(csv))
    print(f"file: {args.rows:,} rows, {size_mb:,.0f} MiB")
    print(
        f"ercot-dart import : {rows:,} rows in {secs:,.1f} s ({rows / secs:,.0f} rows/s), peak RSS {peak:,.0f} MiB"
    )
    print(
        f"pandas.read_csv   : {base_rows:,} rows in {base_secs:,.1f} s, peak RSS {base_peak:,.0f} MiB (read only)"
    )
    print(f"peak memory ratio import / read_csv: {peak / base_peak:.2f}")


if __name__ == "__main__":
    main()
