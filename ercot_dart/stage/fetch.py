"""Stream a day range of one table out of the database as typed arrow batches."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pyarrow as pa
from sqlalchemy import Connection

from ercot_dart.stage.convert import rows_to_table
from ercot_dart.stage.queries import extract_select
from ercot_dart.stage.sources import StageSpec

_lock = threading.Lock()
_paused = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Keep Python's cyclic garbage collector off while bulk rows are fetched.

    Every fetched row is a tuple the collector tracks; with hundreds of thousands alive per batch
    the collector keeps re-scanning them (and every object the process holds), which measured
    2-3x slower than the fetch itself. Rows hold no reference cycles, so nothing is lost; the
    collector resumes when the last concurrent user (threads may extract tables in parallel) ends.
    """
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()


def stream_days(
    conn: Connection, spec: StageSpec, lo: date, hi: date, chunk_rows: int
) -> Iterator[pa.Table]:
    """The rows of operating days [``lo``, ``hi``) in natural-key order, ``chunk_rows`` at a time.

    ``yield_per`` streams in every backend (PostgreSQL through a server-side cursor), so memory
    holds one batch, never the whole range. Run it inside :func:`gc_paused`.
    """
    result = conn.execution_options(yield_per=chunk_rows).execute(
        extract_select(spec, conn.dialect, lo, hi)
    )
    for rows in result.partitions():
        yield rows_to_table(rows, spec)
