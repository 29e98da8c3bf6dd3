"""The extract stage: source tables → day partitions of parquet, incrementally, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa

from ercot_dart.db.tables import TABLES, natural_key
from ercot_dart.ercot.timeconv import sced_to_utc
from ercot_dart.ercot.values import parse_flag
from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.importer import import_paths
from ercot_dart.stage import MissingSourcesError, extract, extract_table, read_stage, spec

MIS = Path(__file__).resolve().parents[1] / "fixtures" / "mis"
DAM, SCED = SourceTable.DAM_SPP, SourceTable.SCED_LMP
DAYS = [date(2026, 9, 1) + timedelta(days=i) for i in range(10)]
POINTS = ("HB_HOUSTON", "HB_NORTH", "LZ_WEST")


def mis(day: date) -> str:
    return day.strftime("%m/%d/%Y")


def load(engine: sa.Engine, path: Path, header: str, lines: list[str]) -> None:
    path.write_text(header + "\n" + "".join(f"{line}\n" for line in lines))
    [result] = import_paths(engine, [path])
    assert result.ok, result.error


def load_dam(engine, tmp_path, days, seed=7, price: float | None = None) -> None:
    """Hourly DAM prices for ``days`` from a seeded generator (or all equal to ``price``)."""
    rng = np.random.default_rng(seed)
    lines = [
        f"{mis(d)},{h:02d}:00,{p},{price if price is not None else rng.gamma(4, 8):.2f},N"
        for d in days
        for h in range(1, 25)
        for p in POINTS
    ]
    name = f"dam_{days[0]}_{len(days)}_{seed}_{price}.csv"
    load(
        engine,
        tmp_path / name,
        "DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag",
        lines,
    )


def load_sced(engine, tmp_path, days, seed=11) -> None:
    """SCED LMPs every 15 minutes (at :07 past) of ``days``."""
    rng = np.random.default_rng(seed)
    lines = [
        f"{mis(d)} {m // 60:02d}:{m % 60:02d}:07,N,{p},{rng.normal(30, 5):10.2f}"
        for d in days
        for m in range(0, 1440, 15)
        for p in POINTS
    ]
    name = f"sced_{days[0]}_{len(days)}_{seed}.csv"
    load(engine, tmp_path / name, "SCEDTimestamp,RepeatedHourFlag,SettlementPoint,LMP", lines)


@pytest.fixture
def market(db_engine, tmp_path) -> sa.Engine:
    """DAM and SCED prices for ten days of September 2026."""
    load_dam(db_engine, tmp_path, DAYS)
    load_sced(db_engine, tmp_path, DAYS)
    return db_engine


def snapshot(stage: Path) -> dict[Path, int]:
    """Every file under the stage and its modification time (ns)."""
    return {p: p.stat().st_mtime_ns for p in stage.rglob("*") if p.is_file()}


def db_rows(engine: sa.Engine, table: SourceTable) -> list[tuple]:
    t = TABLES[table]
    with engine.connect() as conn:
        return [
            tuple(r) for r in conn.execute(sa.select(t).order_by(*(t.c[k] for k in natural_key(t))))
        ]


def stage_rows(stage: Path, table: SourceTable, start=None, end=None) -> list[tuple]:
    return [tuple(r.values()) for r in read_stage(stage, table, start, end).to_pylist()]


def set_dam_price(engine, tmp_path, day: date, price: float) -> None:
    load(
        engine,
        tmp_path / f"fix_{day}_{price}.csv",
        "DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag",
        [f"{mis(day)},17:00,HB_HOUSTON,{price},N"],
    )


def test_first_run_stages_every_table_day_by_day(db_engine, tmp_path):
    import_paths(db_engine, [MIS], posted_at=pd.Timestamp("2026-09-28 09:55"))
    result = extract(db_engine, tmp_path / "stage")
    assert result.missing == []
    for table in SourceTable:
        rows = db_rows(db_engine, table)
        assert result.rows[table] == len(rows) > 0
        assert stage_rows(tmp_path / "stage", table) == rows  # same values, natural-key order
        assert read_stage(tmp_path / "stage", table).schema == spec(table).schema


def test_stage_columns_keep_ercot_names_with_typed_arrow_types(market, tmp_path):
    extract(market, tmp_path / "stage")
    dam = read_stage(tmp_path / "stage", DAM)
    sced = read_stage(tmp_path / "stage", SCED)
    assert dam.schema.names == [
        "DeliveryDate",
        "HourEnding",
        "SettlementPoint",
        "SettlementPointPrice",
        "DSTFlag",
    ]
    assert dam.schema.field("DeliveryDate").type == pa.date32()
    assert dam.schema.field("SettlementPointPrice").type == pa.float64()
    assert sced.schema.field("SCEDTimestamp").type == pa.timestamp("ns")  # naive local
    assert spec(SourceTable.RTM_SPP).schema.field("DeliveryHour").type == pa.int16()
    assert sced.column("SCEDTimestamp")[0].as_py().isoformat() == "2026-09-01T00:00:07"


def test_layout_is_one_parquet_file_per_table_day_and_a_manifest(market, tmp_path):
    stage = tmp_path / "stage"
    extract(market, stage)
    for table in (DAM, SCED):
        days = sorted(p.name for p in (stage / table).iterdir() if p.is_dir())
        assert days == [f"day={d.isoformat()}" for d in DAYS]
        assert all((stage / table / d / "part.parquet").is_file() for d in days)
        manifest = json.loads((stage / table / "_manifest.json").read_text())
        assert manifest["watermark"] == DAYS[-1].isoformat()
        assert sorted(manifest["days"]) == [d.isoformat() for d in DAYS]
    assert not [p for p in stage.rglob("*") if p.name.endswith(".tmp")]


def test_second_run_with_nothing_new_extracts_nothing_and_rewrites_no_file(market, tmp_path):
    stage = tmp_path / "stage"
    extract(market, stage)
    before = snapshot(stage)
    again = extract(market, stage)
    assert again.total_rows == 0
    assert all(days == [] for days in again.days.values())
    assert snapshot(stage) == before


def test_a_new_day_extracts_exactly_that_day(market, tmp_path):
    stage = tmp_path / "stage"
    extract(market, stage)
    before = snapshot(stage)
    new_day = DAYS[-1] + timedelta(days=1)
    load_dam(market, tmp_path, [new_day], seed=3)
    load_sced(market, tmp_path, [new_day], seed=4)
    result = extract(market, stage)
    assert result.days[DAM] == result.days[SCED] == [new_day]
    assert result.rows[DAM] == 24 * len(POINTS)
    assert result.rows[SCED] == 96 * len(POINTS)
    assert result.watermarks[DAM] == new_day
    after = snapshot(stage)
    untouched = {p: t for p, t in before.items() if p.name == "part.parquet"}
    assert {p: after[p] for p in untouched} == untouched


def test_a_correction_inside_the_lookback_is_re_extracted(market, tmp_path):
    stage = tmp_path / "stage"
    extract(market, stage, lookback_days=3)
    corrected = DAYS[-2]
    set_dam_price(market, tmp_path, corrected, 999.25)
    result = extract(market, stage, lookback_days=3)
    assert result.days[DAM] == [corrected]
    assert result.days[SCED] == []
    assert stage_rows(stage, DAM, corrected, corrected) == [
        r for r in db_rows(market, DAM) if r[0] == corrected
    ]
    assert (
        999.25
        in read_stage(stage, DAM, corrected, corrected).column("SettlementPointPrice").to_pylist()
    )


def test_a_correction_older_than_the_lookback_waits_for_an_explicit_start(market, tmp_path):
    # Documented limit: only the last lookback_days before the watermark are re-checked.
    stage = tmp_path / "stage"
    extract(market, stage, lookback_days=3)
    old = DAYS[1]
    set_dam_price(market, tmp_path, old, 888.5)
    assert extract(market, stage, lookback_days=3).total_rows == 0
    assert 888.5 not in read_stage(stage, DAM, old, old).column("SettlementPointPrice").to_pylist()
    # --start re-checks from that day: the correction is found, and only its day is rewritten.
    result = extract(market, stage, start=DAYS[0], lookback_days=3)
    assert result.days[DAM] == [old] and result.days[SCED] == []


def test_start_and_end_bound_what_is_extracted(market, tmp_path):
    stage = tmp_path / "stage"
    result = extract(market, stage, start=DAYS[2], end=DAYS[4])
    assert result.days[DAM] == DAYS[2:5]
    assert stage_rows(stage, DAM) == [r for r in db_rows(market, DAM) if DAYS[2] <= r[0] <= DAYS[4]]
    # an open run then checks from the watermark (DAYS[4]) minus the lookback (3 days): DAYS[1]
    # is new there too; DAYS[0] lies before the window and waits for an explicit start
    assert extract(market, stage, lookback_days=3).days[DAM] == [DAYS[1], *DAYS[5:]]


def test_read_stage_returns_the_days_in_range_in_order(market, tmp_path):
    stage = tmp_path / "stage"
    extract(market, stage)
    part = read_stage(stage, SCED, DAYS[3], DAYS[5])
    days = pd.Series(part.column("SCEDTimestamp").to_pandas()).dt.date
    assert sorted(set(days)) == DAYS[3:6] and days.is_monotonic_increasing
    assert read_stage(stage, SCED, date(2030, 1, 1), None).num_rows == 0
    assert read_stage(stage, SCED, columns=["LMP"]).schema.names == ["LMP"]


def test_a_day_gone_from_the_database_is_removed_from_the_stage(market, tmp_path):
    stage = tmp_path / "stage"
    extract(market, stage)
    gone = DAYS[-1]
    with market.begin() as conn:
        conn.execute(sa.delete(TABLES[DAM]).where(TABLES[DAM].c.DeliveryDate == gone))
    result = extract_table(market, stage, DAM)
    assert result.removed == [gone]
    assert not (stage / "dam_spp" / f"day={gone}").exists()
    assert result.watermark == DAYS[-2]


def test_rows_fall_in_the_partition_of_their_operating_day(db_engine, tmp_path):
    load_dam(db_engine, tmp_path, [date(2026, 9, 29)])
    load(
        db_engine,
        tmp_path / "sced.csv",
        "SCEDTimestamp,RepeatedHourFlag,SettlementPoint,LMP",
        ["09/29/2026 23:59:58,N,HB_NORTH,20", "09/30/2026 00:00:03,N,HB_NORTH,21"],
    )
    # a load forecast posted on 09/28 for delivery on 09/29 belongs to 09/28, its posting day
    import_paths(db_engine, [MIS / "np3-565-cd.csv"], posted_at=pd.Timestamp("2026-09-28 23:55"))
    stage = tmp_path / "stage"
    result = extract(db_engine, stage)
    assert result.days[SCED] == [date(2026, 9, 29), date(2026, 9, 30)]
    assert result.days[SourceTable.LOAD_FORECAST] == [date(2026, 9, 28)]
    forecast = read_stage(stage, SourceTable.LOAD_FORECAST, date(2026, 9, 28), date(2026, 9, 28))
    assert set(forecast.column("DeliveryDate").to_pylist()) == {date(2026, 9, 29)}


def test_missing_optional_tables_are_reported_and_the_run_goes_on(market, tmp_path):
    TABLES[SourceTable.RTM_SPP].drop(market)  # absent; the other six are present but empty
    result = extract(market, tmp_path / "stage")
    assert sorted(result.missing) == sorted(set(SourceTable) - {DAM, SCED})
    assert result.rows[DAM] > 0 and result.rows[SCED] > 0


@pytest.mark.parametrize(
    ("gone", "named"),
    [((DAM,), "dam_spp"), ((SCED, SourceTable.RTM_SPP), "rtm_spp or sced_lmp")],
)
def test_missing_required_tables_raise_an_error_naming_them(market, tmp_path, gone, named):
    for table in gone:
        TABLES[table].drop(market)
    with pytest.raises(MissingSourcesError, match=named):
        extract(market, tmp_path / "stage")
    assert not (tmp_path / "stage").exists()


def test_a_failed_run_leaves_whole_files_and_the_next_run_finishes(market, tmp_path, monkeypatch):
    import ercot_dart.stage.fetch as fetch

    stage = tmp_path / "stage"
    real, calls = fetch.rows_to_table, []

    def failing(rows, s):
        calls.append(1)
        if len(calls) == 12:
            raise RuntimeError("connection lost")
        return real(rows, s)

    monkeypatch.setattr(fetch, "rows_to_table", failing)
    with pytest.raises(RuntimeError, match="connection lost"):
        extract(market, stage, tables=[DAM], chunk_rows=30, chunk_days=2)
    assert not [p for p in stage.rglob("*") if p.name.endswith(".tmp")]
    staged = json.loads((stage / "dam_spp" / "_manifest.json").read_text())["days"]
    assert 0 < len(staged) < len(DAYS)
    for day, (rows, _) in staged.items():
        assert (
            read_stage(stage, DAM, date.fromisoformat(day), date.fromisoformat(day)).num_rows
            == rows
        )
    monkeypatch.setattr(fetch, "rows_to_table", real)
    resumed = extract(market, stage, tables=[DAM])
    assert resumed.days[DAM] == [d for d in DAYS if d.isoformat() not in staged]
    assert stage_rows(stage, DAM) == db_rows(market, DAM)


def test_dst_days_keep_23_and_25_hours_of_real_dam_prices(db_engine, real_api_dir, tmp_path):
    [result] = import_paths(db_engine, [real_api_dir / "da_lmp_HB_HOUSTON.csv"])
    assert result.ok
    stage = tmp_path / "stage"
    extract(db_engine, stage, tables=[DAM])
    for day, hours in ((date(2024, 3, 10), 23), (date(2024, 11, 3), 25), (date(2024, 7, 1), 24)):
        part = read_stage(stage, DAM, day, day).to_pandas()
        assert len(part) == hours
        assert set(part["DeliveryDate"]) == {day}
    fall_back = read_stage(stage, DAM, date(2024, 11, 3), date(2024, 11, 3)).to_pandas()
    assert sorted(fall_back.loc[fall_back["HourEnding"] == "02:00", "DSTFlag"]) == ["N", "Y"]


def test_real_sced_fall_back_day_is_one_partition_of_25_hours(
    sqlite_engine, real_api_dir, tmp_path
):
    import_paths(sqlite_engine, [real_api_dir / "rtm_LMP_HB_NORTH.parquet"])
    stage = tmp_path / "stage"
    extract(sqlite_engine, stage, tables=[SCED])
    day = read_stage(stage, SCED, date(2024, 11, 3), date(2024, 11, 3)).to_pandas()
    utc = sced_to_utc(day["SCEDTimestamp"], parse_flag(day["RepeatedHourFlag"]))
    assert utc.dt.floor("h").nunique() == 25
    spring = read_stage(stage, SCED, date(2024, 3, 10), date(2024, 3, 10)).to_pandas()
    assert spring["SCEDTimestamp"].dt.hour.nunique() == 23


def test_tables_extracted_in_parallel_match_a_sequential_run(db_engine, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    import_paths(db_engine, [MIS], posted_at=pd.Timestamp("2026-09-28 09:55"))
    with ThreadPoolExecutor(4) as pool:
        parallel = list(
            pool.map(lambda t: extract_table(db_engine, tmp_path / "p", t), SourceTable)
        )
    sequential = extract(db_engine, tmp_path / "s")
    assert {r.table: r.rows for r in parallel} == sequential.rows
    for table in SourceTable:
        assert read_stage(tmp_path / "p", table).equals(read_stage(tmp_path / "s", table))
        assert (tmp_path / "p" / table / "_manifest.json").read_text() == (
            tmp_path / "s" / table / "_manifest.json"
        ).read_text()


def test_progress_reports_days_done_out_of_days_planned(market, tmp_path):
    calls = []
    extract(market, tmp_path / "stage", tables=[DAM], progress=lambda *a: calls.append(a))
    assert calls[0] == (DAM, 0, len(DAYS))
    assert calls[-1] == (DAM, len(DAYS), len(DAYS))
    assert len(calls) == len(DAYS) + 1
