"""The benchmark's raw stage, for ``benchmarks/features.py``: a synthetic market written
straight into stage partitions (no database), the day kept aside for the daily update, and
slices of a few settlement points for the plain pandas baseline."""

from __future__ import annotations

import json
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.stage.layout import day_dir, day_dirs
from ercot_dart.stage.partitions import read_stage, write_frame
from ercot_dart.synth import iter_market_days

START = date(2025, 1, 1)
SEED = 7
NEXT = "_next"  # beside the tables: the day added by the daily update (not staged yet)
MARKER = "_bench.json"


def generate(stage: Path, points: int, days: int) -> float:
    """Write the synthetic stage (days 1..days) and the next day aside; seconds taken, 0 if cached."""
    params = {"points": points, "days": days, "start": START.isoformat(), "seed": SEED}
    marker = stage / MARKER
    if marker.is_file() and json.loads(marker.read_text()) == params:
        return 0.0
    shutil.rmtree(stage, ignore_errors=True)
    t = time.perf_counter()
    last = START + timedelta(days=days - 1)
    for market in iter_market_days(START, last + timedelta(days=1), points, SEED):
        root = stage if market.day <= last else stage / NEXT
        for table, frame in market.frames.items():
            written = write_frame(root, table, frame)
            if set(written) - {market.day}:
                raise RuntimeError(f"{table} of {market.day} holds rows of {sorted(written)}")
        if market.day.day == 1:
            print(f"  generated {market.day}  {time.perf_counter() - t:.0f} s", flush=True)
    marker.write_text(json.dumps(params))
    return time.perf_counter() - t


def stage_rows(stage: Path) -> dict[str, int]:
    return {
        str(t): sum(pq.ParquetFile(p).metadata.num_rows for p in day_dirs(stage, t).values())
        for t in SourceTable
    }


def next_day(stage: Path) -> date:
    return max(day_dirs(stage / NEXT, SourceTable.DAM_SPP))


def unstage_next(stage: Path) -> None:
    """Take the incremental day out of the stage again (a previous run added it)."""
    day = next_day(stage)
    for t in SourceTable:
        shutil.rmtree(day_dir(stage, t, day), ignore_errors=True)


def stage_next(stage: Path) -> date:
    """Add the incremental day to the stage, as an extract of one new day would."""
    day = next_day(stage)
    for t in SourceTable:
        src = day_dir(stage / NEXT, t, day)
        if src.is_dir():
            shutil.copytree(src, day_dir(stage, t, day), dirs_exist_ok=True)
    return day


def slice_stage(stage: Path, out: Path, points: int, first: date, last: date) -> list[str]:
    """A stage holding ``points`` settlement points (hubs and load zones first) of days
    ``first``..``last``, cut from ``stage``; the names kept."""
    names = read_stage(stage, SourceTable.DAM_SPP, first, first, columns=["SettlementPoint"])
    ranked = sorted(
        set(names.column(0).to_pylist()), key=lambda n: (n[:3] not in {"HB_", "LZ_"}, n)
    )
    keep = ranked[:points]
    marker = out / MARKER
    params = {"from": str(stage), "points": keep, "first": str(first), "last": str(last)}
    if marker.is_file() and json.loads(marker.read_text()) == params:
        return keep
    shutil.rmtree(out, ignore_errors=True)
    point_column = {
        SourceTable.DAM_SPP: "SettlementPoint",
        SourceTable.RTM_SPP: "SettlementPointName",
        SourceTable.SCED_LMP: "SettlementPoint",
    }
    for table in SourceTable:
        rows = read_stage(stage, table, first, last)
        if table in point_column:
            rows = rows.filter(
                pc.is_in(rows.column(point_column[table]), pa.array(keep, pa.string()))
            )
        write_frame(out, table, rows.to_pandas())
    marker.write_text(json.dumps(params))
    return keep
