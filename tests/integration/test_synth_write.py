"""write_market into SQLite: all nine tables, deterministic, idempotent, DST days intact."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from ercot_dart.db.engine import create_tables, make_engine
from ercot_dart.db.tables import TABLES, natural_key
from ercot_dart.db.write import upsert_frame
from ercot_dart.ercot.vocab import SourceTable as T
from ercot_dart.synth import iter_market_days, write_market
from ercot_dart.synth.calibration import hourly_from_frames, load_synthetic_hourly
from ercot_dart.synth.sqlite_fast import sqlite_upsert_frame

START, END = date(2025, 11, 1), date(2025, 11, 3)  # 2025-11-02 is the fall-back day


def _engine(path: Path) -> Engine:
    engine = make_engine("sqlite:///" + str(path))
    create_tables(engine)
    return engine


def _rows(path: Path, table: str) -> list[tuple]:
    """Every stored value with its SQLite storage class, in natural-key order."""
    columns = [c.name for c in TABLES[T(table)].columns]
    typed = ", ".join(f'"{c}", typeof("{c}")' for c in columns)
    order = ", ".join(f'"{k}"' for k in natural_key(TABLES[T(table)]))
    with sqlite3.connect(path) as con:
        return con.execute(f"SELECT {typed} FROM {table} ORDER BY {order}").fetchall()


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as con:
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in T}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, dict[str, int], list[date]]:
    path = tmp_path_factory.mktemp("synth") / "a.sqlite"
    seen: list[date] = []
    counts = write_market(_engine(path), START, END, 20, 5, progress=seen.append)
    return path, counts, seen


def test_all_nine_tables_are_filled(written) -> None:
    path, counts, _ = written
    stored = _counts(path)
    assert all(stored[t] > 0 for t in T)
    assert stored == counts


def test_progress_is_reported_for_each_day(written) -> None:
    assert written[2] == [START, date(2025, 11, 2), END]


def test_the_fall_back_day_is_stored_with_25_hours_and_100_intervals(written) -> None:
    path = written[0]
    with sqlite3.connect(path) as con:
        hours = con.execute(
            "SELECT COUNT(DISTINCT HourEnding || DSTFlag) FROM dam_spp WHERE DeliveryDate = '2025-11-02'"
        ).fetchone()[0]
        intervals = con.execute(
            "SELECT COUNT(*) FROM rtm_spp WHERE DeliveryDate = '2025-11-02' "
            "AND SettlementPointName = 'HB_HOUSTON'"
        ).fetchone()[0]
        repeated = con.execute(
            "SELECT COUNT(*) FROM sced_system_lambda WHERE RepeatedHourFlag = 'Y'"
        ).fetchone()[0]
    assert (hours, intervals) == (25, 100)
    assert repeated >= 12


def test_the_same_seed_writes_the_same_bytes(written, tmp_path: Path) -> None:
    other = tmp_path / "b.sqlite"
    write_market(_engine(other), START, END, 20, 5)
    for table in T:
        assert _rows(other, table) == _rows(written[0], table), table


def test_running_twice_adds_nothing(written, tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    engine = _engine(path)
    write_market(engine, START, START, 20, 5)
    before = _counts(path)
    again = write_market(engine, START, START, 20, 5)
    assert _counts(path) == before
    assert again == before  # the rerun upserts the same rows onto themselves


def test_the_sqlite_fast_path_stores_what_upsert_frame_stores(tmp_path: Path) -> None:
    fast, slow = tmp_path / "fast.sqlite", tmp_path / "slow.sqlite"
    engines = {fast: (_engine(fast), sqlite_upsert_frame), slow: (_engine(slow), upsert_frame)}
    for market_day in iter_market_days(date(2025, 3, 9), date(2025, 3, 9), 18, 2):
        for engine, write in engines.values():
            with engine.begin() as conn:
                for table, frame in market_day.frames.items():
                    write(conn, TABLES[table], frame)
    for table in T:
        assert _rows(fast, table) == _rows(slow, table), table


def test_the_database_holds_the_generators_hub_prices(written) -> None:
    path = written[0]
    days = list(iter_market_days(START, END, 20, 5))
    from_frames = hourly_from_frames(
        pd.concat([d.frames[T.DAM_SPP] for d in days]),
        pd.concat([d.frames[T.RTM_SPP] for d in days]),
    )
    from_db = load_synthetic_hourly(make_engine("sqlite:///" + str(path)))
    pd.testing.assert_frame_equal(from_db, from_frames, check_dtype=False)
    assert len(from_db) == 5 * (24 + 25 + 24)
