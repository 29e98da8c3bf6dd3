"""The feature store on disk: parquet partitioned by month, written whole or not at all.

    <store>/month=YYYY-MM/part.parquet     features, one row per (settlement point, delivery hour)
    <store>/_hourly/day=YYYY-MM-DD/part.parquet   hourly prices per operating day (a cache)
    <store>/_state.json                     what the last build covered

The month is the month of the row's local delivery day, so a DST day's 23 or 25 rows per point
stay together. Names starting with ``_`` are not part of the dataset: pyarrow skips them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ercot_dart.stage.layout import day_dirs, replacing, write_text_atomically

HOURLY = "_hourly"
PART = "part.parquet"


def month_path(store: Path, month: str) -> Path:
    return Path(store) / f"month={month}" / PART


def hourly_path(store: Path, day: date) -> Path:
    return Path(store) / HOURLY / f"day={day.isoformat()}" / PART


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` to ``path`` atomically (a reader never sees a partial file)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with replacing(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def hourly_days(store: Path) -> dict[date, Path]:
    """The operating days in the hourly cache."""
    return day_dirs(Path(store), HOURLY)


def read_hourly(store: Path, start: date, end: date) -> pd.DataFrame:
    """Hourly prices of operating days ``start``..``end`` from the cache."""
    files = [str(p) for d, p in sorted(hourly_days(store).items()) if start <= d <= end]
    if not files:
        return pd.DataFrame()
    return ds.dataset(files, format="parquet").to_table().to_pandas()


def months(store: Path) -> list[str]:
    """The months present in the store, in order."""
    root = Path(store)
    if not root.is_dir():
        return []
    return sorted(p.parent.name.removeprefix("month=") for p in root.glob("month=*/" + PART))


def read_month(store: Path, month: str) -> pd.DataFrame | None:
    path = month_path(store, month)
    return pd.read_parquet(path) if path.is_file() else None


def read_features(
    store: Path,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rows of the store whose ``interval_start_utc`` is in ``[start, end)`` (UTC)."""
    files = [str(month_path(store, m)) for m in months(store)]
    if not files:
        raise FileNotFoundError(f"no feature store at {store}: run `ercot-dart features` first")
    # months built while a source was missing lack its columns: read them as nulls
    schema = pa.unify_schemas([pq.read_schema(f) for f in files], promote_options="permissive")
    dataset = ds.dataset(files, format="parquet", schema=schema)
    flt = None
    col = ds.field("interval_start_utc")
    if start is not None:
        flt = col >= pa.scalar(pd.Timestamp(start).tz_convert("UTC"), pa.timestamp("ns", "UTC"))
    if end is not None:
        upper = col < pa.scalar(pd.Timestamp(end).tz_convert("UTC"), pa.timestamp("ns", "UTC"))
        flt = upper if flt is None else flt & upper
    return dataset.to_table(columns=list(columns) if columns else None, filter=flt).to_pandas()


def save_state(store: Path, state: dict) -> None:
    write_text_atomically(Path(store) / "_state.json", json.dumps(state, indent=2, default=str))


def load_state(store: Path) -> dict:
    path = Path(store) / "_state.json"
    return json.loads(path.read_text()) if path.is_file() else {}
