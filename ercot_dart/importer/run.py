"""Import ERCOT files into the source tables: one transaction per file, idempotent.

A bad file is rejected whole with one message naming the file, the line and the column, and
the database keeps nothing of it; the other files of the same call still import.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ercot_dart.db.engine import create_tables
from ercot_dart.db.write import upsert_frame
from ercot_dart.ercot.timeconv import DstWarning
from ercot_dart.importer.normalize import HOUR_KEYS, RowError, normalize
from ercot_dart.importer.reports import ReportSpec, UnknownReportError, identify, norm
from ercot_dart.importer.sources import SUFFIXES, Chunk, SourceError, iter_chunks, parts

# ERCOT MIS file names carry the posting time: cdr.<id>.<...>.YYYYMMDD.HHMMSS.<REPORT>...
_MIS_POSTED = re.compile(r"\.(\d{8})\.(\d{6})\.")
_FORECAST_TABLES = {"load_forecast", "wind_power", "solar_power"}


@dataclass
class ImportResult:
    """What happened to one file."""

    path: Path
    report: str = ""
    table: str = ""
    rows: int = 0
    skipped: str = ""
    error: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error


class ImportFileError(ValueError):
    """A file rejected whole; the message names the file, the line and the column."""


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the importable files under folders named, in a stable order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES))
        else:
            out.append(path)
    return out


def posted_from_name(name: str) -> pd.Timestamp | None:
    """The posting time an ERCOT MIS file name carries (naive local), if any."""
    match = _MIS_POSTED.search(name)
    if not match:
        return None
    return pd.to_datetime(match.group(1) + match.group(2), format="%Y%m%d%H%M%S")


def import_paths(
    engine: Engine,
    paths: Iterable[Path],
    *,
    posted_at: pd.Timestamp | None = None,
    chunk_rows: int = 200_000,
    progress: Callable[[ImportResult], None] | None = None,
) -> list[ImportResult]:
    """Import every file; returns one result per file (failed files have ``error`` set).

    Args:
        engine: the source database; the nine tables are created if missing.
        paths: files or folders (folders are searched for .csv, .zip, .parquet, .xlsx).
        posted_at: posting time (naive local) for forecast files whose name and columns carry none.
        chunk_rows: rows parsed and written per batch (bounds memory).
        progress: called with each file's result as it finishes.
    """
    create_tables(engine)
    results = []
    for path in expand_paths(paths):
        result = import_file(engine, path, posted_at=posted_at, chunk_rows=chunk_rows)
        results.append(result)
        if progress:
            progress(result)
    return results


def import_file(
    engine: Engine, path: Path, *, posted_at: pd.Timestamp | None = None, chunk_rows: int = 200_000
) -> ImportResult:
    """Import one file in one transaction; on any error nothing of it is kept."""
    result = ImportResult(path)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DstWarning)
            _import(engine, path, result, posted_at, chunk_rows)
        result.warnings += [f"{path.name}: {w.message}" for w in caught if w.category is DstWarning]
    except ImportFileError as exc:
        result.error = str(exc)
        result.rows = 0
    return result


def _import(
    engine: Engine, path: Path, result: ImportResult, posted_at: pd.Timestamp | None, rows: int
) -> None:
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    # each part on its own: a zip archive may hold several reports
    specs = [(member, _identify(path, member)) for member in _parts(path)]
    result.report = ", ".join(dict.fromkeys(spec.report.value for _, spec in specs))
    wanted = [(member, spec) for member, spec in specs if spec.table is not None]
    if not wanted:
        result.skipped = "; ".join(dict.fromkeys(spec.skip_reason for _, spec in specs))
        return
    for member, spec in specs:
        if spec.table is None:
            result.warnings.append(f"{_label(path, member)}: skipped: {spec.skip_reason}")
    result.table = ", ".join(dict.fromkeys(spec.sql_table.name for _, spec in wanted))
    posted = [_posting_time(path, member, spec, posted_at, rows, result) for member, spec in wanted]
    try:
        with engine.begin() as conn:
            for (member, spec), posting in zip(wanted, posted, strict=True):
                for chunk in _chunks(path, rows, member):
                    try:
                        frame = normalize(chunk.frame, spec, posting)
                    except RowError as exc:
                        raise ImportFileError(_where(path, chunk, exc)) from None
                    upsert_frame(conn, spec.sql_table, frame)
                    result.rows += len(frame)
    except SQLAlchemyError as exc:
        # only a DBAPIError carries the driver's own exception (.orig)
        cause = getattr(exc, "orig", None) or exc
        raise ImportFileError(f"{path}: the database refused the rows: {cause}") from None


def _label(path: Path, member: str | None) -> str:
    """How messages name a file, or a member of a zip archive."""
    return f"{path}!{member}" if member else str(path)


def _parts(path: Path) -> list[str | None]:
    try:
        return parts(path)
    except SourceError as exc:
        raise ImportFileError(f"{path}: {exc}") from None


def _chunks(path: Path, rows: int, member: str | None = None) -> Iterator[Chunk]:
    try:
        yield from iter_chunks(path, rows, member)
    except SourceError as exc:
        raise ImportFileError(f"{_label(path, member)}: {exc}") from None


def _identify(path: Path, member: str | None) -> ReportSpec:
    for chunk in _chunks(path, 1, member):
        try:
            return identify(list(chunk.frame.columns))
        except UnknownReportError as exc:
            raise ImportFileError(f"{_label(path, member)}, line 1: {exc}") from None
    raise ImportFileError(f"{_label(path, member)}: no rows below the header")


def _where(path: Path, chunk: Chunk, exc: RowError) -> str:
    inside = f"{path}!{chunk.member}" if chunk.member != path.name else str(path)
    if exc.position is None:
        return f"{inside}: {exc}"
    return f"{inside}, {chunk.unit} {chunk.line_of(exc.position)}, {exc}"


def _posting_time(
    path: Path,
    member: str | None,
    spec: ReportSpec,
    posted_at: pd.Timestamp | None,
    rows: int,
    result: ImportResult,
) -> pd.Timestamp | None:
    """Posting time of a forecast file (or zip member): its column, else its name (the member's,
    then the archive's), else ``posted_at``, else the end of its last delivery hour
    (conservative: never usable before it could be known)."""
    if spec.table is None or spec.table.value not in _FORECAST_TABLES:
        return None
    header = {norm(c) for c in next(_chunks(path, 1, member)).frame.columns}
    if "posteddatetime" in header:
        return None
    posted = posted_from_name(member or "") or posted_from_name(path.name) or posted_at
    if posted is not None:
        return posted
    last_end = _last_delivery_end(path, member, spec, rows)
    result.warnings.append(
        f"{_label(Path(path.name), member)}: no posting time in its name or columns; taken as {last_end} (the end of its "
        "last delivery hour) so it is never used before it could be known; pass --posted-at to set it"
    )
    return last_end


def _last_delivery_end(path: Path, member: str | None, spec: ReportSpec, rows: int) -> pd.Timestamp:
    date_col, he_col, _ = HOUR_KEYS[spec.table.value]  # type: ignore[union-attr]
    latest: pd.Timestamp | None = None
    epoch = pd.Timestamp("2000-01-01")
    for chunk in _chunks(path, rows, member):
        try:
            frame = normalize(chunk.frame, spec, epoch)
        except RowError as exc:
            raise ImportFileError(_where(path, chunk, exc)) from None
        if frame.empty:
            continue
        hours = frame[he_col].astype(str).str.slice(0, 2).astype(int)
        ends = pd.to_datetime(frame[date_col]) + pd.to_timedelta(hours, unit="h")
        latest = ends.max() if latest is None else max(latest, ends.max())
    if latest is None:
        raise ImportFileError(f"{_label(path, member)}: no rows below the header")
    return latest
