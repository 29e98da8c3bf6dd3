"""Extract rate (rows/s) of the parquet stage from SQLite and PostgreSQL, against pandas.read_sql.

Bulk-loads the same synthetic ``sced_lmp`` (``--rows`` rows: ``--points`` settlement points per
SCED run, a run every 5 minutes) into a fresh SQLite file and into a throwaway PostgreSQL schema
(``DART_TEST_POSTGRES_URL`` or ``postgresql://postgres@127.0.0.1:5432/test``; skipped if
unreachable), then, for each backend, in child processes (so each peak RSS is its own):
  - ercot-dart's ``extract`` of the table into an empty stage (typed, sorted day files);
  - the baseline: ``pandas.read_sql`` of the whole table in one go (typed select, no file written);
  - a second ``extract`` with nothing new (fingerprints only).
Prints rows/s, peak RSS and the ratio extract / read_sql.

    .venv/bin/python benchmarks/extract.py --rows 3000000
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa

PG_URL = os.environ.get("DART_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

CHILD_EXTRACT = """
import resource, sys, time
from pathlib import Path
from ercot_dart.db.engine import make_engine
from ercot_dart.stage import extract
engine = make_engine(sys.argv[1])
t = time.perf_counter()
r = extract(engine, Path(sys.argv[2]), tables=['dam_spp', 'sced_lmp'])
print(r.rows['sced_lmp'], time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

CHILD_READ_SQL = """
import resource, sys, time
import pandas as pd, sqlalchemy as sa
from ercot_dart.db.engine import make_engine
from ercot_dart.db.tables import sced_lmp
engine = make_engine(sys.argv[1])
t = time.perf_counter()
with engine.connect() as conn:
    frame = pd.read_sql(sa.select(sced_lmp), conn)
assert str(frame['SCEDTimestamp'].dtype).startswith('datetime64'), frame.dtypes
print(len(frame), time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def sced_rows(rows: int, points: int) -> Iterator[tuple[str, str, str, float]]:
    """Synthetic SCED LMP rows in canonical stored form, in key order."""
    start = datetime(2025, 1, 1, 0, 0, 13)
    names = [f"RN_{p:05d}" for p in range(points)]
    run = 0
    written = 0
    while written < rows:
        stamp = (start + timedelta(minutes=5 * run)).strftime("%Y-%m-%d %H:%M:%S.%f")
        for p, name in enumerate(names[: rows - written]):
            yield stamp, "N", name, round(20 + (p * 7 + run) % 97 / 3, 2)
        written += min(points, rows - written)
        run += 1


def dam_row(conn: sa.Connection) -> None:
    """One dam_spp row: the stage requires a day-ahead table."""
    conn.execute(
        sa.text(
            'INSERT INTO dam_spp ("DeliveryDate", "HourEnding", "SettlementPoint", '
            "\"SettlementPointPrice\", \"DSTFlag\") VALUES (:d, '01:00', 'HB_HOUSTON', 20.0, 'N')"
        ),
        {"d": "2025-01-01"},
    )


def load_sqlite(url: str, rows: int, points: int) -> None:
    from ercot_dart.db.engine import create_tables, make_engine

    engine = make_engine(url)
    create_tables(engine)
    with engine.begin() as conn:
        conn.connection.driver_connection.executemany(
            'INSERT INTO sced_lmp ("SCEDTimestamp", "RepeatedHourFlag", "SettlementPoint", "LMP") '
            "VALUES (?, ?, ?, ?)",
            sced_rows(rows, points),
        )
        dam_row(conn)
    engine.dispose()


def load_postgres(url: str, rows: int, points: int) -> None:
    from ercot_dart.db.engine import create_tables, make_engine

    engine = make_engine(url)
    create_tables(engine)
    with engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(
            'COPY sced_lmp ("SCEDTimestamp", "RepeatedHourFlag", "SettlementPoint", "LMP") FROM STDIN'
        ) as copy:
            buf = io.StringIO()
            for i, row in enumerate(sced_rows(rows, points)):
                buf.write("\t".join(map(str, row)) + "\n")
                if i % 500_000 == 499_999:
                    copy.write(buf.getvalue())
                    buf = io.StringIO()
            copy.write(buf.getvalue())
        dam_row(conn)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE sced_lmp")
        conn.commit()
    engine.dispose()


def child(code: str, *args: str) -> tuple[int, float, float]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise RuntimeError(out.stderr)
    rows, seconds, peak_mb = out.stdout.split()
    return int(rows), float(seconds), float(peak_mb)


def run_backend(name: str, url: str, stage: str) -> None:
    rows, secs, peak = child(CHILD_EXTRACT, url, stage)
    again_rows, again_secs, _ = child(CHILD_EXTRACT, url, stage)
    base_rows, base_secs, base_peak = child(CHILD_READ_SQL, url)
    assert rows == base_rows, (rows, base_rows)
    print(
        f"{name:10s} extract     : {rows:,} rows in {secs:,.1f} s ({rows / secs:,.0f} rows/s), peak RSS {peak:,.0f} MiB"
    )
    print(
        f"{name:10s} read_sql    : {base_rows:,} rows in {base_secs:,.1f} s ({base_rows / base_secs:,.0f} rows/s), peak RSS {base_peak:,.0f} MiB (read only, one frame)"
    )
    print(
        f"{name:10s} re-run      : {again_rows:,} rows in {again_secs:,.2f} s (nothing new: fingerprints only)"
    )
    print(
        f"{name:10s} ratio       : extract is {base_secs / secs:.2f}x the speed of read_sql, "
        f"{peak / base_peak:.2f}x its peak memory"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--points", type=int, default=1_000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    print(f"sced_lmp: {args.rows:,} rows, {args.points:,} points per SCED run")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite"
        load_sqlite(url, args.rows, args.points)
        run_backend("sqlite", url, f"{tmp}/stage-sqlite")
        if not args.skip_postgres:
            postgres(args, f"{tmp}/stage-postgres")


def postgres(args: argparse.Namespace, stage: str) -> None:
    from ercot_dart.db.engine import make_engine

    schema = f"bench_extract_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as exc:
        print(f"postgres   : skipped ({PG_URL} unreachable: {exc.orig})")
        return
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    url_s = url.render_as_string(hide_password=False)
    try:
        load_postgres(url_s, args.rows, args.points)
        run_backend("postgres", url_s, stage)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


if __name__ == "__main__":
    main()
