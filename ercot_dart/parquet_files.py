"""Data frames as the parquet files users read: strings as ``string`` (pandas' own string type
would write ``large_string``; the promised formats say ``string``), files written whole or not
at all."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ercot_dart.atomic import replacing, temp_path


def to_table(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as an arrow table, its ``large_string`` columns as ``string``."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if not any(pa.types.is_large_string(f.type) for f in table.schema):
        return table
    schema = pa.schema(
        [f.with_type(pa.string()) if pa.types.is_large_string(f.type) else f for f in table.schema],
        metadata=table.schema.metadata,
    )
    return table.cast(schema)


def write_predictions(where: Path | BinaryIO, frame: pd.DataFrame) -> None:
    """A prediction frame as parquet, timestamps in microseconds (the published format)."""
    pq.write_table(to_table(frame), where, coerce_timestamps="us", allow_truncated_timestamps=True)


def write_predictions_file(path: Path, frame: pd.DataFrame) -> None:
    """:func:`write_predictions` to ``path`` (``--out`` of predict and backtest), atomically."""
    with replacing(Path(path)) as tmp:
        write_predictions(tmp, frame)


def unwritable(path: Path) -> str | None:
    """Why no file can be written at ``path`` (its folder cannot be made, or written in), None
    when one can: checked before long work whose result goes there."""
    try:
        probe = temp_path(Path(path))
        probe.write_bytes(b"")
        probe.unlink()
    except (FileExistsError, NotADirectoryError):
        return f"{path} cannot be written: a file stands where its folder should be"
    except OSError as exc:
        return f"{path} cannot be written: {exc.strerror or exc}"
    return None
