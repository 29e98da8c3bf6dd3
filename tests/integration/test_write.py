"""Idempotent writes: upserts on the natural key in SQLite and PostgreSQL, MERGE for SQL Server."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import sqlglot
from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import mssql
from sqlalchemy.exc import IntegrityError
from sqlglot import exp

from ercot_dart.db.tables import TABLES, natural_key
from ercot_dart.db.write import frame_to_rows, mssql_merge_sql, upsert_frame, upsert_rows
from ercot_dart.ercot.vocab import SourceTable

DAM = TABLES[SourceTable.DAM_SPP]
SCED = TABLES[SourceTable.SCED_LMP]
WIND = TABLES[SourceTable.WIND_POWER]
LOAD_FORECAST = TABLES[SourceTable.LOAD_FORECAST]
ALL = sorted(SourceTable, key=str)


def dam_frame(seed: int, days: int = 3, points: int = 4) -> pd.DataFrame:
    """DAM prices in the table's canonical form, from a seeded generator; starts on the
    fall-back day so both HE02 rows (N and Y) are there."""
    rng = np.random.default_rng(seed)
    rows = []
    for day in pd.date_range("2024-11-03", periods=days, freq="D"):
        hours = [(1, "N"), (2, "N"), (2, "Y"), *((h, "N") for h in range(3, 25))]
        if day != pd.Timestamp("2024-11-03"):
            hours = [(h, "N") for h in range(1, 25)]
        for he, flag in hours:
            for p in range(points):
                rows.append((day, f"{he:02d}:00", f"HB_{p:02d}", flag))
    frame = pd.DataFrame(rows, columns=["DeliveryDate", "HourEnding", "SettlementPoint", "DSTFlag"])
    frame["SettlementPointPrice"] = np.round(rng.gamma(4.0, 8.0, size=len(frame)), 2)
    return frame


def count(engine: Engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def stored(engine: Engine, table) -> list[dict]:
    """The table's rows as the driver returns them, in natural-key order."""
    key = [table.c[k] for k in natural_key(table)]
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table).order_by(*key)).mappings()]


def write(engine: Engine, table, frame: pd.DataFrame) -> int:
    with engine.begin() as conn:
        return upsert_frame(conn, table, frame)


def dam_price(engine: Engine, day: dt.date, he: str, point: str, flag: str = "N") -> float:
    with engine.connect() as conn:
        return conn.execute(
            select(DAM.c.SettlementPointPrice).where(
                DAM.c.DeliveryDate == day,
                DAM.c.HourEnding == he,
                DAM.c.SettlementPoint == point,
                DAM.c.DSTFlag == flag,
            )
        ).scalar_one()


def wind_frame(**values) -> pd.DataFrame:
    base = {
        "PostedDatetime": pd.to_datetime(["2024-11-02 09:55:55"]),
        "DELIVERY_DATE": pd.to_datetime(["2024-11-03"]),
        "HOUR_ENDING": [2],
        "DSTFlag": ["Y"],
    }
    return pd.DataFrame(base | values)


# --- SQLite and PostgreSQL ---------------------------------------------------------------


def test_same_rows_twice_add_nothing(db_engine):
    frame = dam_frame(seed=1)
    write(db_engine, DAM, frame)
    first = stored(db_engine, DAM)
    write(db_engine, DAM, frame)
    assert count(db_engine, DAM) == len(frame) == 3 * 24 * 4 + 4
    assert stored(db_engine, DAM) == first


def test_a_reposted_correction_replaces_the_stored_value(db_engine):
    frame = dam_frame(seed=2)
    write(db_engine, DAM, frame)
    correction = frame.iloc[[5]].assign(SettlementPointPrice=123.45)
    write(db_engine, DAM, correction)
    assert count(db_engine, DAM) == len(frame)
    row = correction.iloc[0]
    price = dam_price(
        db_engine, row.DeliveryDate.date(), row.HourEnding, row.SettlementPoint, row.DSTFlag
    )
    assert price == 123.45


def test_a_correction_leaves_the_other_rows_untouched(db_engine):
    frame = dam_frame(seed=3)
    write(db_engine, DAM, frame)
    before = stored(db_engine, DAM)
    write(db_engine, DAM, frame.iloc[[0]].assign(SettlementPointPrice=-5.0))
    changed = [b for b, a in zip(before, stored(db_engine, DAM), strict=True) if a != b]
    assert len(changed) == 1


def test_fall_back_hour_ending_02_n_and_y_are_two_rows(db_engine):
    write(db_engine, DAM, dam_frame(seed=4, days=1, points=1))
    day = dt.date(2024, 11, 3)
    assert count(db_engine, DAM) == 25
    assert dam_price(db_engine, day, "02:00", "HB_00", "N") != dam_price(
        db_engine, day, "02:00", "HB_00", "Y"
    )


def test_a_key_repeated_within_one_write_keeps_the_later_row(db_engine):
    frame = dam_frame(seed=5, days=1, points=1)
    repeated = pd.concat([frame, frame.iloc[[0]].assign(SettlementPointPrice=77.0)])
    with db_engine.begin() as conn:
        written = upsert_frame(conn, DAM, repeated)
    assert written == count(db_engine, DAM) == len(frame)
    assert dam_price(db_engine, dt.date(2024, 11, 3), "01:00", "HB_00") == 77.0


def test_upsert_of_no_rows_writes_nothing(db_engine):
    with db_engine.begin() as conn:
        assert upsert_rows(conn, DAM, []) == 0
    assert count(db_engine, DAM) == 0


def test_a_large_seeded_batch_written_twice_keeps_its_count(db_engine):
    frame = dam_frame(seed=6, days=30, points=8)
    assert write(db_engine, DAM, frame) == len(frame)
    write(db_engine, DAM, frame.sample(frac=1.0, random_state=6))
    assert count(db_engine, DAM) == len(frame) == 30 * 24 * 8 + 8


def test_writes_belong_to_the_callers_transaction(db_engine):
    with pytest.raises(RuntimeError), db_engine.begin() as conn:
        upsert_frame(conn, DAM, dam_frame(seed=7, days=1))
        raise RuntimeError("abort")
    assert count(db_engine, DAM) == 0


def test_nan_in_nullable_columns_is_stored_as_null(db_engine):
    write(db_engine, WIND, wind_frame(STWPF_SYSTEM_WIDE=[np.nan], WGRPP_SYSTEM_WIDE=[1234.5]))
    [row] = stored(db_engine, WIND)
    assert row["STWPF_SYSTEM_WIDE"] is None and row["WGRPP_SYSTEM_WIDE"] == 1234.5


def test_nullable_columns_absent_from_the_frame_are_null(db_engine):
    write(db_engine, WIND, wind_frame(STWPF_SYSTEM_WIDE=[900.0]))
    [row] = stored(db_engine, WIND)
    assert row["GEN_LZ_WEST"] is None and row["COP_HSL_PANHANDLE"] is None


def test_a_correction_may_set_a_forecast_value_to_null(db_engine):
    write(db_engine, WIND, wind_frame(STWPF_SYSTEM_WIDE=[900.0]))
    write(db_engine, WIND, wind_frame(STWPF_SYSTEM_WIDE=[np.nan]))
    assert stored(db_engine, WIND)[0]["STWPF_SYSTEM_WIDE"] is None


def test_nullable_float_dtype_missing_values_are_null(db_engine):
    frame = pd.DataFrame(
        {
            "PostedDatetime": pd.to_datetime(["2024-11-02 09:55:55"] * 2),
            "DeliveryDate": pd.to_datetime(["2024-11-03"] * 2),
            "HourEnding": ["02:00", "02:00"],
            "Coast": pd.array([15258.5449, None], dtype="Float64"),
            "Model": ["A3", "E"],
            "InUseFlag": ["N", "Y"],
            "DSTFlag": ["Y", "Y"],
        }
    )
    write(db_engine, LOAD_FORECAST, frame)
    coast = {r["Model"]: r["Coast"] for r in stored(db_engine, LOAD_FORECAST)}
    assert coast["A3"] == 15258.5449 and coast["E"] is None


def test_a_missing_flag_is_refused_not_stored_as_nan(db_engine):
    frame = dam_frame(seed=8, days=1, points=1).astype({"DSTFlag": "str"})
    frame.loc[3, "DSTFlag"] = np.nan
    with pytest.raises(IntegrityError):
        write(db_engine, DAM, frame)


def test_sced_runs_in_the_repeated_hour_are_kept_apart_by_the_flag(db_engine):
    frame = pd.DataFrame(
        {
            "SCEDTimestamp": pd.to_datetime(["2024-11-03 01:05:12"] * 2),
            "RepeatedHourFlag": ["N", "Y"],
            "SettlementPoint": ["HB_HOUSTON"] * 2,
            "LMP": [18.59, 23.02],
        }
    )
    write(db_engine, SCED, frame)
    write(db_engine, SCED, frame)
    assert [(r["RepeatedHourFlag"], r["LMP"]) for r in stored(db_engine, SCED)] == [
        ("N", 18.59),
        ("Y", 23.02),
    ]


def test_values_come_back_as_python_dates_datetimes_and_integers(db_engine):
    write(db_engine, WIND, wind_frame(STWPF_SYSTEM_WIDE=[900.0]))
    [row] = stored(db_engine, WIND)
    assert row["PostedDatetime"] == dt.datetime(2024, 11, 2, 9, 55, 55)
    assert type(row["DELIVERY_DATE"]) is dt.date and row["DELIVERY_DATE"] == dt.date(2024, 11, 3)
    assert row["HOUR_ENDING"] == 2 and isinstance(row["HOUR_ENDING"], int)
    assert row["DSTFlag"] == "Y"


# --- frame_to_rows: plain Python values for any DBAPI ------------------------------------


def test_frame_to_rows_turns_nan_into_none():
    rows = frame_to_rows(wind_frame(STWPF_SYSTEM_WIDE=[np.nan]), WIND)
    assert rows[0]["STWPF_SYSTEM_WIDE"] is None


def test_frame_to_rows_turns_missing_text_into_none():
    frame = wind_frame().astype({"DSTFlag": "str"})
    frame.loc[0, "DSTFlag"] = np.nan
    assert frame_to_rows(frame, WIND)[0]["DSTFlag"] is None


def test_frame_to_rows_turns_a_missing_nullable_integer_into_none():
    frame = wind_frame(HOUR_ENDING=pd.array([None], dtype="Int64"))
    assert frame_to_rows(frame, WIND)[0]["HOUR_ENDING"] is None


def test_frame_to_rows_gives_dates_for_date_columns_and_datetimes_for_timestamps():
    row = frame_to_rows(wind_frame(), WIND)[0]
    assert type(row["DELIVERY_DATE"]) is dt.date
    assert type(row["PostedDatetime"]) is dt.datetime


def test_frame_to_rows_stores_timezone_aware_times_as_central_wall_clock():
    frame = wind_frame(PostedDatetime=pd.to_datetime(["2024-11-02 14:55:55"]).tz_localize("UTC"))
    assert frame_to_rows(frame, WIND)[0]["PostedDatetime"] == dt.datetime(2024, 11, 2, 9, 55, 55)


def test_frame_to_rows_unwraps_numpy_scalars():
    frame = wind_frame(STWPF_SYSTEM_WIDE=pd.Series([np.float64(1.5)], dtype=object))
    value = frame_to_rows(frame, WIND)[0]["STWPF_SYSTEM_WIDE"]
    assert value == 1.5 and type(value) is float


def test_frame_to_rows_keeps_only_the_tables_columns():
    rows = frame_to_rows(wind_frame(not_a_column=["x"]), WIND)
    assert set(rows[0]) == {"PostedDatetime", "DELIVERY_DATE", "HOUR_ENDING", "DSTFlag"}


# --- SQL Server MERGE --------------------------------------------------------------------


def merge_of(name: SourceTable) -> str:
    return mssql_merge_sql(TABLES[name], f"#stage_{name}", mssql.dialect())


def parsed_merge(name: SourceTable) -> exp.Merge:
    statements = [s for s in sqlglot.parse(merge_of(name), read="tsql") if s is not None]
    assert len(statements) == 1
    assert isinstance(statements[0], exp.Merge)
    return statements[0]


def column_names(expressions) -> list[str]:
    return [c.name for c in expressions]


@pytest.mark.parametrize("name", ALL)
def test_merge_text_targets_the_table_from_the_stage_and_ends_with_semicolon(name):
    sql = merge_of(name)
    assert sql.startswith(f"MERGE INTO {name} WITH (HOLDLOCK) AS t USING #stage_{name} AS s ON ")
    assert sql.endswith(";") and sql.count(";") == 1


@pytest.mark.parametrize("name", ALL)
def test_merge_text_matches_on_the_full_natural_key(name):
    sql = merge_of(name)
    on = sql.split(" ON ", 1)[1].split(" WHEN ", 1)[0]
    assert on == " AND ".join(f"t.[{k}] = s.[{k}]" for k in natural_key(TABLES[name]))


@pytest.mark.parametrize("name", ALL)
def test_merge_text_updates_only_the_non_key_columns(name):
    table = TABLES[name]
    sql = merge_of(name)
    update = sql.split("WHEN MATCHED THEN UPDATE SET ", 1)[1].split(" WHEN NOT MATCHED", 1)[0]
    others = [c.name for c in table.columns if c.name not in natural_key(table)]
    assert update == ", ".join(f"t.[{c}] = s.[{c}]" for c in others)


@pytest.mark.parametrize("name", ALL)
def test_merge_text_inserts_every_column(name):
    names = [c.name for c in TABLES[name].columns]
    insert = ", ".join(f"[{c}]" for c in names)
    values = ", ".join(f"s.[{c}]" for c in names)
    assert f"WHEN NOT MATCHED BY TARGET THEN INSERT ({insert}) VALUES ({values});" in merge_of(name)


@pytest.mark.parametrize("name", ALL)
def test_merge_is_valid_tsql_with_the_key_in_its_on_clause(name):
    merge = parsed_merge(name)
    assert merge.this.name == str(name)
    assert merge.args["using"].name == f"stage_{name}"
    conditions = list(merge.args["on"].find_all(exp.EQ))
    assert sorted(c.this.name for c in conditions) == sorted(natural_key(TABLES[name]))
    assert all(c.this.table == "t" and c.expression.table == "s" for c in conditions)
    assert all(c.this.name == c.expression.name for c in conditions)


@pytest.mark.parametrize("name", ALL)
def test_merge_is_valid_tsql_updating_non_key_and_inserting_all_columns(name):
    table = TABLES[name]
    whens = parsed_merge(name).args["whens"].expressions
    update = next(w for w in whens if w.args["matched"]).args["then"]
    insert = next(w for w in whens if not w.args["matched"]).args["then"]
    others = [c.name for c in table.columns if c.name not in natural_key(table)]
    assert isinstance(update, exp.Update) and isinstance(insert, exp.Insert)
    assert column_names(e.this for e in update.expressions) == others
    assert column_names(insert.this.expressions) == [c.name for c in table.columns]
    assert column_names(insert.expression.expressions) == [c.name for c in table.columns]


def test_sqlglot_rejects_a_broken_merge_so_the_check_means_something():
    broken = merge_of(SourceTable.DAM_SPP).replace(" VALUES (", " VALUES ", 1)
    with pytest.raises(sqlglot.errors.ParseError):
        sqlglot.parse(broken, read="tsql")
