"""Where the stage keeps things, and how a file appears there whole or not at all.

    <stage_dir>/<table>/_manifest.json
    <stage_dir>/<table>/day=YYYY-MM-DD/part.parquet

Files are written under a temporary name starting with ``.`` and moved into place with
``os.replace`` (atomic on one file system): a reader sees the old file or the new one, never a
partial one. Names starting with ``.`` or ``_`` are skipped by pyarrow datasets and by
:func:`day_dirs`, so neither temporary files nor the manifest are ever read as data.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from ercot_dart.atomic import replacing, temp_path, write_text_atomically

__all__ = ["replacing", "temp_path", "write_text_atomically"]

PART = "part.parquet"
MANIFEST = "_manifest.json"
_DAY_PREFIX = "day="


def table_dir(stage_dir: Path, table: str) -> Path:
    return Path(stage_dir) / str(table)


def day_dir(stage_dir: Path, table: str, day: date) -> Path:
    return table_dir(stage_dir, table) / f"{_DAY_PREFIX}{day.isoformat()}"


def part_path(stage_dir: Path, table: str, day: date) -> Path:
    """The parquet file of one table-day."""
    return day_dir(stage_dir, table, day) / PART


def manifest_path(stage_dir: Path, table: str) -> Path:
    return table_dir(stage_dir, table) / MANIFEST


def day_dirs(stage_dir: Path, table: str) -> dict[date, Path]:
    """The table's day partitions on disk that hold a file, by day."""
    root = table_dir(stage_dir, table)
    if not root.is_dir():
        return {}
    out = {}
    with os.scandir(root) as entries:
        for entry in entries:
            if entry.name.startswith(_DAY_PREFIX) and entry.is_dir():
                part = Path(entry.path) / PART
                if part.is_file():
                    out[date.fromisoformat(entry.name.removeprefix(_DAY_PREFIX))] = part
    return out
