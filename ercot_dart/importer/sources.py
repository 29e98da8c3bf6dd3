"""Stream ERCOT files as chunks of rows: CSV (plain or zipped), parquet and xlsx.

Every reader yields :class:`Chunk`s of bounded size, so memory stays flat on a multi-GB file,
and remembers where each row came from, so an error can name the line.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

SUFFIXES = (".csv", ".zip", ".parquet", ".xlsx")


@dataclass(frozen=True)
class Chunk:
    """Rows of one file (or zip member). ``first_line`` is the line/row of the first row."""

    member: str
    frame: pd.DataFrame
    first_line: int
    unit: str  # "line" for CSV, "row" for parquet and xlsx
    lines: tuple[int, ...] | None = None  # explicit line numbers where rows were skipped

    def line_of(self, position: int) -> int:
        """The file line (or sheet row) of the row at ``position`` in this chunk."""
        return self.lines[position] if self.lines else self.first_line + position


class SourceError(ValueError):
    """A file that cannot be read as a table at all (empty, not CSV, corrupt archive)."""


def header_of(path: Path) -> list[str]:
    """The column names of a file, read without loading it."""
    for chunk in iter_chunks(path, rows=1):
        return list(chunk.frame.columns)
    raise SourceError("the file has a header but no rows")


def parts(path: Path) -> list[str | None]:
    """What of ``path`` is read as one table: each CSV member of a zip archive (by name), else
    the file itself (None)."""
    if path.suffix.lower() != ".zip":
        return [None]
    with _open_zip(path) as archive:
        return list(_csv_members(archive))


def iter_chunks(path: Path, rows: int = 200_000, member: str | None = None) -> Iterator[Chunk]:
    """Chunks of at most about ``rows`` rows of ``path``, by its suffix; of a zip archive, its
    CSV ``member`` only when one is named (:func:`parts`), else every CSV member in turn."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("rb") as fh:
            yield from _csv_chunks(fh, path.name, rows)
    elif suffix == ".zip":
        yield from _zip_chunks(path, rows, member)
    elif suffix == ".parquet":
        yield from _parquet_chunks(path, rows)
    elif suffix == ".xlsx":
        yield from _xlsx_chunks(path, rows)
    else:
        raise SourceError(
            f"unsupported file type {suffix!r} (expected one of {', '.join(SUFFIXES)})"
        )


def _csv_chunks(fh: IO[bytes], member: str, rows: int) -> Iterator[Chunk]:
    first = fh.readline()
    if not first.strip():
        raise SourceError("the file is empty")
    try:
        header = next(csv.reader([first.decode("utf-8-sig")]))
    except UnicodeDecodeError as exc:
        raise SourceError("line 1 is not UTF-8 text: not a CSV file") from exc
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        raise SourceError(f"line 1 repeats a column name: {', '.join(header)}")
    stream = io.BufferedReader(_Prefixed(first, fh))
    # Every column as text: the parsers decide, and can name the offending line.
    try:
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(block_size=1 << 22, use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header}, strings_can_be_null=True
            ),
        )
        line = 2
        buffered: list[pa.RecordBatch] = []
        count = 0
        for batch in reader:
            while batch.num_rows:
                take = batch.slice(0, rows - count)
                buffered.append(take)
                count += take.num_rows
                batch = batch.slice(take.num_rows)
                if count >= rows:
                    yield Chunk(member, pa.Table.from_batches(buffered).to_pandas(), line, "line")
                    line += count
                    buffered, count = [], 0
    except pa.ArrowInvalid as exc:
        raise SourceError(_csv_problem(str(exc))) from None
    if buffered:
        yield Chunk(member, pa.Table.from_batches(buffered).to_pandas(), line, "line")


class _Prefixed(io.RawIOBase):
    """A raw stream that replays the already-read header line before the rest of ``fh``."""

    def __init__(self, prefix: bytes, fh: IO[bytes]) -> None:
        self._prefix = prefix
        self._fh = fh

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._fh.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise SourceError("not a readable zip archive") from exc


def _csv_members(archive: zipfile.ZipFile) -> list[str]:
    members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
    if not members:
        raise SourceError("the zip archive holds no .csv file")
    return members


def _zip_chunks(path: Path, rows: int, member: str | None) -> Iterator[Chunk]:
    with _open_zip(path) as archive:
        for name in _csv_members(archive) if member is None else [member]:
            try:
                with archive.open(name) as fh:
                    yield from _csv_chunks(fh, name, rows)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # bytes of it damaged
                raise SourceError(f"{name} is damaged in the archive: {exc}") from None


def _parquet_chunks(path: Path, rows: int) -> Iterator[Chunk]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise SourceError(f"not a readable parquet file: {exc}") from exc
    # pandas' index columns (e.g. __index_level_0__) are not data
    names = [n for n in parquet.schema_arrow.names if not n.startswith("__index_level_")]
    row = 1
    for batch in parquet.iter_batches(batch_size=rows, columns=names):
        yield Chunk(path.name, batch.to_pandas(), row, "row")
        row += batch.num_rows


def _xlsx_chunks(path: Path, rows: int) -> Iterator[Chunk]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a bad file
        raise SourceError(f"not a readable xlsx workbook: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = next(values, None)
        if header is None:
            raise SourceError("the workbook's first sheet is empty")
        names = [str(h).strip() for h in header if h is not None]
        width = len(names)
        buffer: list[tuple[Any, ...]] = []
        lines: list[int] = []
        for number, record in enumerate(values, start=2):
            if all(v is None for v in record[:width]):
                continue  # blank rows (often trailing) carry nothing
            buffer.append(tuple(record[:width]))
            lines.append(number)
            if len(buffer) >= rows:
                yield _sheet_chunk(path.name, buffer, names, lines)
                buffer, lines = [], []
        if buffer:
            yield _sheet_chunk(path.name, buffer, names, lines)
    finally:
        book.close()


def _sheet_chunk(
    member: str, rows: list[tuple[Any, ...]], names: list[str], lines: list[int]
) -> Chunk:
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    return Chunk(member, frame, lines[0], "row", tuple(lines))


def _csv_problem(message: str) -> str:
    """pyarrow's CSV error as 'line N: ...' (its row numbers count the header as row 1)."""
    match = re.search(r"Row #(\d+): (.*?)(?::\s*(.*))?$", message, re.S)
    if not match:
        return f"not a well-formed CSV file: {message}"
    line, problem, text = match.groups()
    shown = f" ({text.strip()[:120]!r})" if text else ""
    return f"line {line}: {problem.lower()}{shown}"
