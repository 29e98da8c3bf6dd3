"""The feature store on disk: parquet partitioned by month, written whole or not at all.

    <store>/YYYY-MM/part.parquet           features, one row per (settlement point, delivery hour)
    <store>/_hourly/day=YYYY-MM-DD/part.parquet   hourly prices per operating day (a cache)
    <store>/_state.json                     what the last build covered

The month is the month of the row's local delivery day, so a DST day's 23 or 25 rows per point
stay together. Names starting with ``_`` are not part of the dataset: pyarrow skips them, so
``pd.read_parquet(<store>)`` reads the features and nothing else. The month folders are not
named ``month=YYYY-MM``: a hive key would add a ``month`` column that clashes with the calendar
feature of that name. Stores written that way are still read, and are renamed by the next
features build (:func:`migrate_layout`).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from numpy.typing import NDArray

from ercot_dart.parquet_files import to_table
from ercot_dart.stage.layout import day_dirs, replacing, write_text_atomically

if TYPE_CHECKING:  # the store is also read where prices are never computed (serving)
    from ercot_dart.features.hourly import CodedPrices

HOURLY = "_hourly"
PART = "part.parquet"


_LEGACY = "month="
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def month_path(store: Path, month: str) -> Path:
    """Where a month's partition is written."""
    return Path(store) / month / PART


def _month_files(store: Path) -> dict[str, Path]:
    """Each month's partition, by month; a month under its old folder name (``month=``) too."""
    root = Path(store)
    if not root.is_dir():
        return {}
    found: dict[str, Path] = {}
    for folder in sorted(root.iterdir(), key=lambda f: f.name.startswith(_LEGACY)):
        month = folder.name.removeprefix(_LEGACY)
        if _MONTH.match(month) and month not in found and (folder / PART).is_file():
            found[month] = folder / PART
    return found


def month_file(store: Path, month: str) -> Path:
    """The month's partition as it is on disk (:func:`month_path`, or an older store's)."""
    return _month_files(store).get(month, month_path(store, month))


def migrate_layout(store: Path) -> int:
    """Rename an older store's ``month=YYYY-MM`` folders to ``YYYY-MM`` (each rename atomic);
    returns how many. A writer calls it before building; readers read both names."""
    root = Path(store)
    moved = 0
    for folder in sorted(root.glob(_LEGACY + "*")) if root.is_dir() else []:
        target = root / folder.name.removeprefix(_LEGACY)
        if target.exists():  # a newer partition of the month is there already
            shutil.rmtree(folder)
        else:
            folder.rename(target)
        moved += 1
    return moved


def hourly_path(store: Path, day: date) -> Path:
    return Path(store) / HOURLY / f"day={day.isoformat()}" / PART


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` to ``path`` atomically (a reader never sees a partial file).

    Only the non-float columns (keys, times) are dictionary-encoded and carry statistics (the
    ones readers filter on): trying dictionaries on a hundred float feature columns doubled the
    write time for files a third smaller.
    """
    table = to_table(frame)
    keys = [f.name for f in table.schema if not pa.types.is_floating(f.type)]
    write_table(path, table, use_dictionary=keys, write_statistics=keys)


def write_table(path: Path, table: pa.Table, **options: object) -> None:
    """Write an arrow table to ``path`` atomically (zstd; ``options`` for the parquet writer)."""
    with replacing(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", **options)


HOURLY_SCHEMA = pa.schema(
    [
        ("settlement_point", pa.string()),
        ("delivery_date", pa.timestamp("ns")),
        ("hour_ending", pa.int64()),
        ("dst_flag", pa.bool_()),
        ("dam_price", pa.float64()),
        ("rt_price", pa.float64()),
        ("rt_samples", pa.int64()),
        ("rt_source", pa.string()),
        ("interval_start_utc", pa.timestamp("ns", "UTC")),
        ("dart", pa.float64()),
        ("point_type", pa.string()),
    ]
)
"""The hourly cache's columns: :func:`~ercot_dart.features.hourly.hourly_prices` with each
point's ``point_type``; missing values are nulls."""


def hourly_tables(
    prices: CodedPrices, point_type: NDArray[np.object_]
) -> list[tuple[date, pa.Table]]:
    """The hourly prices of each operating day as a cache table, rows by point and hour.

    Args:
        prices: hourly prices (sorted by point and hour).
        point_type: the type of each of ``prices.names``.
    """
    from ercot_dart.features.hourly import RT_SOURCES

    rows = np.argsort(prices.day, kind="stable")  # by day, each day still by point and hour
    day = prices.day[rows]
    point = prices.point[rows]
    no_rt = prices.rt_source[rows] < 0
    dam, rt = prices.dam_price[rows], prices.rt_price[rows]

    def text(
        codes: NDArray[np.integer[Any]],
        labels: NDArray[np.object_],
        missing: NDArray[np.bool_] | None = None,
    ) -> pa.Array:
        dictionary = pa.array(list(labels), pa.string())
        indices = pa.array(codes, pa.int32(), mask=missing)
        return pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string())

    def real(values: NDArray[np.float64]) -> pa.Array:
        return pa.array(values, pa.float64(), mask=np.isnan(values))

    whole = pa.Table.from_arrays(
        [
            text(point, prices.names),
            pa.array((day * _NS_PER_DAY).view("datetime64[ns]"), pa.timestamp("ns")),
            pa.array(prices.hour_ending[rows], pa.int64()),
            pa.array(prices.dst[rows], pa.bool_()),
            real(dam),
            real(rt),
            pa.array(prices.rt_samples[rows], pa.int64(), mask=no_rt),
            text(np.maximum(prices.rt_source[rows], 0), RT_SOURCES, no_rt),
            pa.array(prices.utc[rows].view("datetime64[ns]"), pa.timestamp("ns", "UTC")),
            real(dam - rt),
            text(point, point_type),
        ],
        schema=HOURLY_SCHEMA,
    )
    starts = np.flatnonzero(np.concatenate(([True], day[1:] != day[:-1])))
    ends = np.append(starts[1:], len(day))
    return [
        (_EPOCH + timedelta(days=int(day[s])), whole.slice(s, e - s))
        for s, e in zip(starts, ends, strict=True)
    ]


_EPOCH = date(1970, 1, 1)
_NS_PER_DAY = 86_400_000_000_000


def hourly_days(store: Path) -> dict[date, Path]:
    """The operating days in the hourly cache."""
    return day_dirs(Path(store), HOURLY)


def read_hourly(
    store: Path, start: date, end: date, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Hourly prices of operating days ``start``..``end`` from the cache (``columns``: all
    by default)."""
    days = (start + timedelta(days=k) for k in range((end - start).days + 1))
    files = [p for d in days if (p := hourly_path(store, d)).is_file()]
    if not files:
        return pd.DataFrame()
    return read_files(files, columns).to_pandas()


def read_files(
    files: Sequence[Path], columns: Sequence[str] | None = None, dictionary: Sequence[str] = ()
) -> pa.Table:
    """Parquet files as one table (a chunk per file), ``dictionary`` columns dictionary-encoded.
    File by file: for many small files, less overhead than a dataset. Files written by other
    versions may type a column differently (``string``/``large_string``): types are unified."""
    return pa.concat_tables(
        [
            pq.ParquetFile(f, read_dictionary=list(dictionary) or None).read(
                columns=list(columns) if columns else None, use_threads=False
            )
            for f in files
        ],
        promote_options="permissive",
    )


def months(store: Path) -> list[str]:
    """The months present in the store, in order."""
    return sorted(_month_files(store))


def read_month(
    store: Path, month: str, columns: Sequence[str] | None = None
) -> pd.DataFrame | None:
    """One month's partition (``columns``: all by default); None if there is none."""
    path = month_file(store, month)
    return pd.read_parquet(path, columns=columns) if path.is_file() else None


def read_features(
    store: Path,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rows of the store whose ``interval_start_utc`` is in ``[start, end)`` (UTC)."""
    files = [str(f) for _, f in sorted(_month_files(store).items())]
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


def save_state(store: Path, state: dict[str, Any]) -> None:
    write_text_atomically(Path(store) / "_state.json", json.dumps(state, indent=2, default=str))


def load_state(store: Path) -> dict[str, Any]:
    path = Path(store) / "_state.json"
    state: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
    return state
