"""Importing the real ERCOT data in ``shared/data/ercot-real``: counts, DST days, idempotence."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import sqlalchemy as sa

from ercot_dart.ercot.timeconv import hour_ending_to_utc, sced_to_utc
from ercot_dart.ercot.values import parse_flag, parse_hour_ending
from ercot_dart.importer import import_paths
from tests.helpers import table_counts, table_dump

EXPECTED = {
    "dam_spp": 5 * 10_128 + 40,
    "rtm_spp": 28,
    "sced_lmp": 5 * (123_296 - 1) + 39,  # each hub file repeats one row exactly
    "sced_system_lambda": 1,
    "load_forecast": 16,
    "actual_load": 8_784 + 1_416 + 2,
    "wind_power": 2 * 8_783 + 2,
    "solar_power": 2 * (8_783 - 1) + 2,  # the non-existent 03:00 of 2024-03-10 is dropped
    "dam_as_prices": 10,
}


@pytest.fixture(scope="module")
def real_db(tmp_path_factory, shared_dir):
    from ercot_dart.db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('real') / 'real.sqlite'}")
    results = import_paths(engine, [shared_dir / "data" / "ercot-real"])
    assert all(r.ok for r in results), [r.error for r in results if r.error]
    return engine


def test_row_counts_per_table(real_db):
    assert table_counts(real_db) == EXPECTED


@pytest.mark.parametrize(
    ("day", "hours"), [("2024-03-10", 23), ("2024-11-03", 25), ("2024-07-01", 24)]
)
def test_dst_days_have_their_hours(real_db, day, hours):
    with real_db.connect() as conn:
        dam = pd.read_sql(
            sa.text(
                'SELECT "DeliveryDate", "HourEnding", "DSTFlag" FROM dam_spp '
                'WHERE "SettlementPoint" = \'HB_HOUSTON\' AND "DeliveryDate" = :d'
            ),
            conn,
            params={"d": day},
        )
        load = conn.execute(
            sa.text('SELECT count(*) FROM actual_load WHERE "OperDay" = :d'), {"d": day}
        ).scalar_one()
    utc = hour_ending_to_utc(
        dam["DeliveryDate"], parse_hour_ending(dam["HourEnding"]), parse_flag(dam["DSTFlag"])
    )
    assert utc.nunique() == hours == len(dam) == load
    assert (utc.sort_values().diff().dropna() == pd.Timedelta(hours=1)).all()


def test_sced_fall_back_day_spans_25_distinct_hours(real_db):
    with real_db.connect() as conn:
        sced = pd.read_sql(
            sa.text(
                'SELECT "SCEDTimestamp", "RepeatedHourFlag" FROM sced_lmp '
                "WHERE \"SettlementPoint\" = 'HB_NORTH' AND \"SCEDTimestamp\" >= '2024-11-03' "
                "AND \"SCEDTimestamp\" < '2024-11-04'"
            ),
            conn,
        )
    utc = sced_to_utc(sced["SCEDTimestamp"], parse_flag(sced["RepeatedHourFlag"]))
    assert utc.is_unique
    assert utc.dt.floor("h").nunique() == 25


def test_reimporting_everything_adds_nothing(real_db, shared_dir):
    import_paths(
        real_db, [shared_dir / "data" / "ercot-real" / "public-api-2024" / "da_lmp_HB_PAN.csv"]
    )
    assert table_counts(real_db) == EXPECTED


def test_a_corrupted_copy_is_rejected_and_changes_nothing(real_db, shared_dir, tmp_path):
    source = shared_dir / "data" / "ercot-real" / "public-api-2024" / "da_lmp_HB_WEST.csv"
    lines = source.read_text().splitlines(keepends=True)
    date, hour, point, _price, flag = lines[5000].split(",")
    lines[5000] = ",".join([date, hour, point, "17.1.6", flag])  # a corrupted price
    broken = tmp_path / "da_lmp_HB_WEST.csv"
    broken.write_text("".join(lines))
    before = table_dump(real_db)
    [result] = import_paths(real_db, [broken])
    assert "da_lmp_HB_WEST.csv" in result.error and "line 5001" in result.error
    assert "settlementPointPrice" in result.error and "'17.1.6'" in result.error
    assert table_dump(real_db) == before


def test_real_files_import_into_postgres(pg_engine, shared_dir, tmp_path):
    hub = shared_dir / "data" / "ercot-real" / "public-api-2024"
    copy = tmp_path / "rtm_LMP_HB_PAN.parquet"
    shutil.copy(hub / "rtm_LMP_HB_PAN.parquet", copy)
    paths = [hub / "da_lmp_HB_PAN.csv", hub / "Native_Load_2025.xlsx", copy]
    results = import_paths(pg_engine, paths)
    assert all(r.ok for r in results), [r.error for r in results]
    import_paths(pg_engine, paths)
    counts = table_counts(pg_engine)
    assert (counts["dam_spp"], counts["actual_load"], counts["sced_lmp"]) == (
        10_128,
        1_416,
        123_295,
    )
