"""Day partitions of the stage: written one table-day at a time, atomically; read by day range."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Collection, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.stage.convert import split_days
from ercot_dart.stage.layout import day_dir, day_dirs, part_path, temp_path
from ercot_dart.stage.sources import StageSpec, spec

if TYPE_CHECKING:
    import pandas as pd


class DayWriter:
    """Writes batches (sorted by day) into one parquet file per operating day.

    A day's file is built under a temporary name, in as many row groups as batches, and moved
    into place when the next day begins or the writer closes; memory holds one batch, not one day.
    On an error the day being written is discarded and its previous file, if any, stays.

    Args:
        stage_dir: root of the stage.
        spec: the table's stage spec.
        days: the days to write; rows of any other day are ignored.
        on_day: called with each day and its row count once its file is in place.
    """

    def __init__(
        self,
        stage_dir: Path,
        spec: StageSpec,
        days: Collection[date],
        on_day: Callable[[date, int], None],
    ) -> None:
        self._stage_dir, self._spec, self._days, self._on_day = stage_dir, spec, days, on_day
        self._day: date | None = None
        self._rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._tmp: Path | None = None

    def write(self, batch: pa.Table) -> None:
        for day, part in split_days(batch, self._spec):
            if day not in self._days:
                continue
            if day != self._day:
                self._finish()
                self._open(day)
            assert self._writer is not None
            self._writer.write_table(part)
            self._rows += part.num_rows

    def close(self) -> None:
        self._finish()

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            assert self._tmp is not None
            self._tmp.unlink(missing_ok=True)
        self._writer, self._day = None, None

    def __enter__(self) -> DayWriter:
        return self

    def __exit__(self, kind, *_) -> None:  # type: ignore[no-untyped-def]
        if kind is None:
            self.close()
        else:
            self.abort()

    def _open(self, day: date) -> None:
        self._tmp = temp_path(part_path(self._stage_dir, self._spec.name, day))
        self._writer = pq.ParquetWriter(self._tmp, self._spec.schema)
        self._day, self._rows = day, 0

    def _finish(self) -> None:
        if self._writer is None:
            return
        assert self._tmp is not None and self._day is not None
        self._writer.close()
        os.replace(self._tmp, part_path(self._stage_dir, self._spec.name, self._day))
        self._on_day(self._day, self._rows)
        self._writer, self._day = None, None


def write_frame(stage_dir: Path, table: SourceTable | str, frame: pd.DataFrame) -> dict[date, int]:
    """Write rows held in a data frame as the table's day partitions (replacing those days).

    For data that does not come from a database (synthetic markets, benchmarks): columns are
    the table's ERCOT columns in any order and any compatible dtype; absent nullable columns are
    written as nulls. Rows are typed to the stage schema and sorted by the natural key.

    Returns:
        Rows written per operating day.
    """
    s = spec(table)
    n = len(frame)
    arrays = [
        pa.array(frame[f.name], from_pandas=True).cast(f.type)
        if f.name in frame.columns
        else pa.nulls(n, f.type)
        for f in s.schema
    ]
    rows = pa.Table.from_arrays(arrays, schema=s.schema).sort_by([(k, "ascending") for k in s.key])
    written: dict[date, int] = {}
    days = {day for day, _ in split_days(rows, s)}
    with DayWriter(Path(stage_dir), s, days, written.__setitem__) as writer:
        writer.write(rows)
    return written


def remove_day(stage_dir: Path, table: SourceTable, day: date) -> None:
    """Delete one table-day partition (its rows left the source database)."""
    shutil.rmtree(day_dir(stage_dir, table, day), ignore_errors=True)


def read_stage(
    stage_dir: Path,
    table: SourceTable | str,
    start: date | None = None,
    end: date | None = None,
    *,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """The staged rows of ``table`` for operating days ``start`` ≤ day ≤ ``end``, in day order.

    Args:
        stage_dir: root of the stage.
        table: source table name.
        start, end: first and last operating day (inclusive); None for no bound.
        columns: columns to read (default all, in the table's order).

    Returns:
        An arrow table with the table's ERCOT columns and staged types; empty if no day matches.
    """
    s = spec(table)
    files = [
        str(path)
        for day, path in sorted(day_dirs(Path(stage_dir), s.name).items())
        if (start is None or day >= start) and (end is None or day <= end)
    ]
    schema = s.schema if columns is None else pa.schema([s.schema.field(c) for c in columns])
    if not files:
        return schema.empty_table()
    # A list of files (not a partitioned directory) keeps the day order and adds no 'day' column.
    return ds.dataset(files, format="parquet", schema=s.schema).to_table(columns=schema.names)
