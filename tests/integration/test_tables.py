"""The nine source tables: names, natural keys, DDL on SQLite, PostgreSQL and SQL Server."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import Date, DateTime, Float, SmallInteger, String, inspect, select, text
from sqlalchemy.dialects import mssql, sqlite
from sqlalchemy.dialects.mssql import pyodbc as mssql_pyodbc
from sqlalchemy.schema import CreateTable

from ercot_dart.db.engine import create_tables, make_engine, missing_tables
from ercot_dart.db.tables import TABLES, metadata, natural_key
from ercot_dart.ercot.vocab import SourceTable

# The natural key each ERCOT report implies: its time columns (flag included, since the
# fall-back day repeats hour ending 02:00) plus the name of what is priced or forecast.
NATURAL_KEYS = {
    SourceTable.DAM_SPP: ["DeliveryDate", "HourEnding", "DSTFlag", "SettlementPoint"],
    SourceTable.RTM_SPP: [
        "DeliveryDate",
        "DeliveryHour",
        "DeliveryInterval",
        "DSTFlag",
        "SettlementPointName",
        "SettlementPointType",
    ],
    SourceTable.SCED_LMP: ["SCEDTimestamp", "RepeatedHourFlag", "SettlementPoint"],
    SourceTable.SCED_SYSTEM_LAMBDA: ["SCEDTimeStamp", "RepeatedHourFlag"],
    SourceTable.LOAD_FORECAST: ["PostedDatetime", "DeliveryDate", "HourEnding", "DSTFlag", "Model"],
    SourceTable.ACTUAL_LOAD: ["OperDay", "HourEnding", "DSTFlag"],
    SourceTable.WIND_POWER: ["PostedDatetime", "DELIVERY_DATE", "HOUR_ENDING", "DSTFlag"],
    SourceTable.SOLAR_POWER: ["PostedDatetime", "DELIVERY_DATE", "HOUR_ENDING", "DSTFlag"],
    SourceTable.DAM_AS_PRICES: ["DeliveryDate", "HourEnding", "DSTFlag", "AncillaryType"],
}

# MIS CSV headers, in the spec's order (PostedDatetime comes from the file name or the API).
MIS_HEADERS = {
    SourceTable.DAM_SPP: [
        "DeliveryDate",
        "HourEnding",
        "SettlementPoint",
        "SettlementPointPrice",
        "DSTFlag",
    ],
    SourceTable.RTM_SPP: [
        "DeliveryDate",
        "DeliveryHour",
        "DeliveryInterval",
        "SettlementPointName",
        "SettlementPointType",
        "SettlementPointPrice",
        "DSTFlag",
    ],
    SourceTable.SCED_LMP: ["SCEDTimestamp", "RepeatedHourFlag", "SettlementPoint", "LMP"],
    SourceTable.SCED_SYSTEM_LAMBDA: [
        "SCEDTimeStamp",
        "RepeatedHourFlag",
        "CappedSystemLambda",
        "UncappedSystemLambda",
    ],
    SourceTable.LOAD_FORECAST: [
        "PostedDatetime",
        "DeliveryDate",
        "HourEnding",
        "Coast",
        "East",
        "FarWest",
        "North",
        "NorthCentral",
        "SouthCentral",
        "Southern",
        "West",
        "SystemTotal",
        "Model",
        "InUseFlag",
        "DSTFlag",
    ],
    SourceTable.ACTUAL_LOAD: [
        "OperDay",
        "HourEnding",
        "COAST",
        "EAST",
        "FAR_WEST",
        "NORTH",
        "NORTH_C",
        "SOUTHERN",
        "SOUTH_C",
        "WEST",
        "TOTAL",
        "DSTFlag",
    ],
    SourceTable.WIND_POWER: [
        "PostedDatetime",
        "DELIVERY_DATE",
        "HOUR_ENDING",
        "SYSTEM_WIDE_GEN",
        "COP_HSL_SYSTEM_WIDE",
        "STWPF_SYSTEM_WIDE",
        "WGRPP_SYSTEM_WIDE",
        "GEN_LZ_SOUTH_HOUSTON",
        "COP_HSL_LZ_SOUTH_HOUSTON",
        "STWPF_LZ_SOUTH_HOUSTON",
        "WGRPP_LZ_SOUTH_HOUSTON",
        "GEN_LZ_WEST",
        "COP_HSL_LZ_WEST",
        "STWPF_LZ_WEST",
        "WGRPP_LZ_WEST",
        "GEN_LZ_NORTH",
        "COP_HSL_LZ_NORTH",
        "STWPF_LZ_NORTH",
        "WGRPP_LZ_NORTH",
        "SYSTEM_WIDE_HSL",
    ],
    SourceTable.SOLAR_POWER: [
        "PostedDatetime",
        "DELIVERY_DATE",
        "HOUR_ENDING",
        "SYSTEM_WIDE_GEN",
        "COP_HSL_SYSTEM_WIDE",
        "STPPF_SYSTEM_WIDE",
        "PVGRPP_SYSTEM_WIDE",
        "SYSTEM_WIDE_HSL",
        "DSTFlag",
    ],
    SourceTable.DAM_AS_PRICES: ["DeliveryDate", "HourEnding", "AncillaryType", "MCPC", "DSTFlag"],
}

ALL = sorted(SourceTable, key=str)


def mssql_ddl(table_name: SourceTable, dialect=None) -> str:
    return str(CreateTable(TABLES[table_name]).compile(dialect=dialect or mssql.dialect()))


def column_ddl(ddl: str, column: str) -> str:
    """The type and nullability SQL Server DDL gives ``column`` (``[X] DATE NOT NULL`` → ...)."""
    found = re.search(rf"\[{column}\] ([^,\n]+?),?\s*$", ddl, flags=re.MULTILINE)
    assert found, f"{column} not in DDL:\n{ddl}"
    return found.group(1).strip()


def expected_mssql_type(column) -> str:
    kind = column.type
    if isinstance(kind, Date):
        return "DATE"
    if isinstance(kind, DateTime):
        return "DATETIME"
    if isinstance(kind, Float):
        return "FLOAT"
    if isinstance(kind, SmallInteger):
        return "SMALLINT"
    if isinstance(kind, String):
        return f"VARCHAR({kind.length})"
    raise AssertionError(f"unexpected type {kind!r} of {column}")


# --- definitions -------------------------------------------------------------------------


def test_there_are_nine_tables_one_per_source_table():
    assert set(TABLES) == set(SourceTable)
    assert len(metadata.tables) == 9


@pytest.mark.parametrize("name", ALL)
def test_natural_key_is_the_one_the_report_implies(name):
    assert natural_key(TABLES[name]) == NATURAL_KEYS[name]


@pytest.mark.parametrize("name", ALL)
def test_columns_carry_the_mis_headers_in_order(name):
    columns = [c.name for c in TABLES[name].columns]
    positions = [columns.index(header) for header in MIS_HEADERS[name]]
    assert positions == sorted(positions)


@pytest.mark.parametrize("name", ALL)
def test_key_columns_are_not_nullable(name):
    table = TABLES[name]
    assert not any(table.c[k].nullable for k in natural_key(table))


@pytest.mark.parametrize("name", ALL)
def test_flags_are_one_character(name):
    for column in TABLES[name].columns:
        if column.name.endswith("Flag"):
            assert isinstance(column.type, String) and column.type.length == 1


def test_forecast_and_load_values_are_nullable_prices_are_not():
    assert TABLES[SourceTable.WIND_POWER].c["STWPF_SYSTEM_WIDE"].nullable
    assert TABLES[SourceTable.LOAD_FORECAST].c["Coast"].nullable
    assert not TABLES[SourceTable.DAM_SPP].c["SettlementPointPrice"].nullable
    assert not TABLES[SourceTable.SCED_LMP].c["LMP"].nullable


# --- SQLite and PostgreSQL ---------------------------------------------------------------


def test_all_nine_tables_are_created(db_engine):
    assert missing_tables(db_engine) == []
    assert set(inspect(db_engine).get_table_names()) >= {str(t) for t in SourceTable}


@pytest.mark.parametrize("name", ALL)
def test_created_primary_key_is_the_natural_key(db_engine, name):
    pk = inspect(db_engine).get_pk_constraint(str(name))
    assert pk["constrained_columns"] == NATURAL_KEYS[name]


def test_missing_tables_lists_all_nine_on_an_empty_database(db_engine):
    metadata.drop_all(db_engine)
    assert sorted(missing_tables(db_engine)) == sorted(str(t) for t in SourceTable)


def test_create_tables_twice_is_harmless_and_keeps_rows(db_engine):
    table = TABLES[SourceTable.SCED_SYSTEM_LAMBDA]
    row = {
        "SCEDTimeStamp": dt.datetime(2024, 11, 3, 1, 5, 12),
        "RepeatedHourFlag": "Y",
        "CappedSystemLambda": 17.0,
        "UncappedSystemLambda": 17.0,
    }
    with db_engine.begin() as conn:
        conn.execute(table.insert(), [row])
    create_tables(db_engine)
    create_tables(db_engine)
    with db_engine.connect() as conn:
        assert conn.execute(select(table)).mappings().all() == [row]


def test_create_tables_on_an_empty_database_creates_all_nine(db_engine):
    metadata.drop_all(db_engine)
    create_tables(db_engine)
    create_tables(db_engine)
    assert missing_tables(db_engine) == []


def test_sqlite_tables_are_clustered_on_their_key():
    ddl = str(CreateTable(TABLES[SourceTable.DAM_SPP]).compile(dialect=sqlite.dialect()))
    assert ddl.rstrip().endswith("WITHOUT ROWID")


def test_sqlite_engine_creates_its_folder_and_uses_wal(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'ercot.sqlite'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()
    assert (tmp_path / "nested" / "dir" / "ercot.sqlite").is_file()


def test_bare_postgresql_url_uses_psycopg_3():
    engine = make_engine("postgresql://u@127.0.0.1:1/none")
    assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")


# --- SQL Server DDL, compiled without a server ------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_mssql_ddl_types_match_the_columns(name):
    ddl = mssql_ddl(name)
    for column in TABLES[name].columns:
        null = "NULL" if column.nullable else "NOT NULL"
        assert column_ddl(ddl, column.name) == f"{expected_mssql_type(column)} {null}"


@pytest.mark.parametrize("name", ALL)
def test_mssql_ddl_primary_key_is_the_natural_key(name):
    ddl = mssql_ddl(name)
    columns = ", ".join(f"[{c}]" for c in NATURAL_KEYS[name])
    assert f"CONSTRAINT pk_{name} PRIMARY KEY ({columns})" in ddl


def test_mssql_ddl_dates_are_date_not_datetime():
    ddl = mssql_ddl(SourceTable.DAM_SPP)
    assert column_ddl(ddl, "DeliveryDate") == "DATE NOT NULL"


def test_mssql_ddl_uses_the_expected_type_names_across_tables():
    ddl = "\n".join(mssql_ddl(name) for name in ALL)
    for type_name in ("DATE", "DATETIME", "FLOAT", "SMALLINT", "VARCHAR(1)", "VARCHAR(5)"):
        assert f"] {type_name} " in ddl, type_name


@pytest.mark.parametrize("name", ALL)
def test_mssql_ddl_compiles_for_the_pyodbc_dialect(name):
    assert mssql_ddl(name, mssql_pyodbc.dialect()) == mssql_ddl(name)
