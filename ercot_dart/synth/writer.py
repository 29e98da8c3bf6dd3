"""Write the synthetic market into the source database, one transaction per operating day.

A day is written whole or not at all; every table is upserted on its natural key, so running
the same synthesis twice leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import Engine

from ercot_dart.db.engine import create_tables
from ercot_dart.db.tables import TABLES
from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.synth.market import iter_market_days
from ercot_dart.synth.params import MarketParams
from ercot_dart.synth.sqlite_fast import sqlite_upsert_frame


def write_market(
    engine: Engine,
    start: date,
    end: date,
    points: int,
    seed: int,
    progress: Callable[[date], None] | None = None,
    *,
    params: MarketParams | None = None,
) -> dict[str, int]:
    """Synthesize ``start``..``end`` (inclusive) into all nine source tables.

    Args:
        engine: the source database; missing tables are created.
        start: first operating day.
        end: last operating day (inclusive).
        points: number of distinct settlement point names.
        seed: seed of the market; the same arguments write the same rows.
        progress: called with each day once it is committed.
        params: market parameters (posting cadence, ...); the calibrated defaults when None.

    Returns:
        Rows upserted per table. A rerun upserts the same rows again (and reports them) but
        adds none: the natural keys already hold them.
    """
    create_tables(engine)
    written = {str(t): 0 for t in SourceTable}
    for market_day in iter_market_days(start, end, points, seed, params):
        with engine.begin() as conn:
            for table, frame in market_day.frames.items():
                written[str(table)] += sqlite_upsert_frame(conn, TABLES[table], frame)
        if progress is not None:
            progress(market_day.day)
    return written
