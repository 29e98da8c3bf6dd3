"""Extract the source tables into the raw parquet stage, incrementally, one table at a time.

A run, per table: fingerprint each operating day of a window in SQL (one ``GROUP BY day`` query
over a key range), compare with the manifest, and extract only the days that are new or changed,
streaming them in date chunks into one parquet file per day. Tables are independent (each has its
own manifest), so :func:`extract_table` can run in parallel, one task per table.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect

from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.stage.convert import as_date
from ercot_dart.stage.fetch import gc_paused, stream_days
from ercot_dart.stage.layout import day_dirs
from ercot_dart.stage.manifest import Fingerprint, load_manifest, save_manifest
from ercot_dart.stage.partitions import DayWriter, remove_day
from ercot_dart.stage.plan import make_plan, window
from ercot_dart.stage.queries import any_row_select, fingerprint_select, next_day
from ercot_dart.stage.sources import StageSpec, check_required, spec

Progress = Callable[[SourceTable, int, int], None]
"""Called as ``progress(table, days_done, days_planned)``: once planned, then after each day."""

CHUNK_DAYS = 7
CHUNK_ROWS = 100_000


@dataclass
class TableExtract:
    """What one run did to one table."""

    table: SourceTable
    rows: int = 0
    days: list[date] = field(default_factory=list)
    """Operating days (re)written, in order."""
    removed: list[date] = field(default_factory=list)
    """Staged days deleted because the database no longer has them."""
    watermark: date | None = None
    """Latest operating day staged after the run."""
    missing: bool = False
    """The table is absent from the database or empty; nothing was done."""


@dataclass
class ExtractResult:
    """What one run did to every table it was asked for."""

    rows: dict[SourceTable, int]
    days: dict[SourceTable, list[date]]
    missing: list[SourceTable]
    watermarks: dict[SourceTable, date | None]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @classmethod
    def of(cls, tables: Iterable[TableExtract]) -> ExtractResult:
        tables = list(tables)
        return cls(
            rows={t.table: t.rows for t in tables},
            days={t.table: t.days for t in tables},
            missing=[t.table for t in tables if t.missing],
            watermarks={t.table: t.watermark for t in tables},
        )


def source_missing(engine: Engine, table: SourceTable) -> bool:
    """Whether ``table`` is absent from the database or has no rows."""
    s = spec(table)
    if not inspect(engine).has_table(s.table.name):
        return True
    with engine.connect() as conn:
        return conn.execute(any_row_select(s)).first() is None


def missing_sources(engine: Engine, tables: Iterable[SourceTable]) -> list[SourceTable]:
    """The tables among ``tables`` that are absent or empty."""
    return [SourceTable(t) for t in tables if source_missing(engine, SourceTable(t))]


def extract(
    engine: Engine,
    stage_dir: Path,
    *,
    start: date | None = None,
    end: date | None = None,
    lookback_days: int = 3,
    tables: Iterable[SourceTable] | None = None,
    progress: Progress | None = None,
    chunk_days: int = CHUNK_DAYS,
    chunk_rows: int = CHUNK_ROWS,
) -> ExtractResult:
    """Bring the stage up to date with the source database.

    Args:
        engine: the source database (SQLite, PostgreSQL or SQL Server).
        stage_dir: root folder of the stage.
        start, end: first and last operating day to check (inclusive). Without ``start`` a run
            checks from ``lookback_days`` before each table's watermark.
        lookback_days: days before the watermark re-checked for corrections.
        tables: the tables to extract (default all nine).
        progress: see :data:`Progress`.
        chunk_days: most days one extract query spans.
        chunk_rows: rows fetched and converted per batch (bounds memory).

    Returns:
        Rows and days extracted, missing tables and watermarks, per table.

    Raises:
        MissingSourcesError: ``dam_spp``, or both ``rtm_spp`` and ``sced_lmp``, are missing/empty.
    """
    wanted = [SourceTable(t) for t in (tables if tables is not None else SourceTable)]
    missing = missing_sources(engine, wanted)
    check_required(missing, wanted)
    return ExtractResult.of(
        extract_table(
            engine,
            stage_dir,
            table,
            start=start,
            end=end,
            lookback_days=lookback_days,
            progress=progress,
            chunk_days=chunk_days,
            chunk_rows=chunk_rows,
        )
        for table in wanted
    )


def extract_table(
    engine: Engine,
    stage_dir: Path,
    table: SourceTable,
    *,
    start: date | None = None,
    end: date | None = None,
    lookback_days: int = 3,
    progress: Progress | None = None,
    chunk_days: int = CHUNK_DAYS,
    chunk_rows: int = CHUNK_ROWS,
) -> TableExtract:
    """Bring one table's stage up to date (arguments as :func:`extract`).

    Idempotent: run twice, the second run finds every fingerprint unchanged and writes nothing.
    A missing or empty table is reported (``missing=True``), not raised.
    """
    _validate(start, end, lookback_days, chunk_days, chunk_rows)
    s = spec(table)
    stage_dir = Path(stage_dir)
    manifest = load_manifest(stage_dir, s)
    result = TableExtract(s.name, watermark=manifest.watermark)
    if source_missing(engine, s.name):
        result.missing = True
        return result
    lo, hi = window(manifest.watermark, start, end, lookback_days)
    with engine.connect() as conn:
        current = fingerprints(conn, s, lo, hi)
        plan = make_plan(manifest.days, current, day_dirs(stage_dir, s.name), lo, hi, chunk_days)
        if progress:
            progress(s.name, 0, len(plan.extract))

        def done(day: date, rows: int) -> None:
            manifest.days[day] = current[day]
            result.days.append(day)
            result.rows += rows
            if progress:
                progress(s.name, len(result.days), len(plan.extract))

        wanted = set(plan.extract)
        try:
            for chunk_lo, chunk_hi in plan.chunks:
                _extract_chunk(conn, s, stage_dir, chunk_lo, chunk_hi, wanted, done, chunk_rows)
            for day in plan.remove:
                remove_day(stage_dir, s.name, day)
                del manifest.days[day]
                result.removed.append(day)
        finally:  # keep what was done, even when a later chunk fails
            if result.days or result.removed:
                save_manifest(stage_dir, manifest)
    result.watermark = manifest.watermark
    return result


def fingerprints(
    conn: Connection, s: StageSpec, lo: date | None, hi: date | None
) -> dict[date, Fingerprint]:
    """(rows, scaled sum) of each operating day ``lo`` ≤ day ≤ ``hi`` that has rows."""
    stmt = fingerprint_select(s, conn.dialect, lo, None if hi is None else next_day(hi))
    days: dict[date, Fingerprint] = {}
    for group, n, total in conn.execute(stmt):
        day = as_date(group)
        rows, scaled = days.get(day, (0, 0))
        days[day] = (rows + int(n), scaled + int(total or 0))
    return dict(sorted(days.items()))


def _extract_chunk(
    conn: Connection,
    s: StageSpec,
    stage_dir: Path,
    lo: date,
    hi: date,
    days: Collection[date],
    done: Callable[[date, int], None],
    chunk_rows: int,
) -> None:
    """Stream the rows of days [``lo``, ``hi``) into their day files, ``chunk_rows`` at a time."""
    with gc_paused(), DayWriter(stage_dir, s, days, done) as writer:
        for batch in stream_days(conn, s, lo, hi, chunk_rows):
            writer.write(batch)


def _validate(
    start: date | None, end: date | None, lookback_days: int, chunk_days: int, chunk_rows: int
) -> None:
    if start is not None and end is not None and start > end:
        raise ValueError(f"start {start} is after end {end}: give start <= end")
    if lookback_days < 0:
        raise ValueError(f"lookback_days must be >= 0, got {lookback_days}")
    if chunk_days < 1 or chunk_rows < 1:
        raise ValueError(f"chunk_days and chunk_rows must be >= 1, got {chunk_days}, {chunk_rows}")
