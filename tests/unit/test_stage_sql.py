"""The stage's selects are plain Core that compiles to valid T-SQL for SQL Server (no server here)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlglot
from sqlalchemy.dialects import mssql, postgresql, sqlite
from sqlglot import exp

from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.stage.queries import any_row_select, extract_select, fingerprint_select
from ercot_dart.stage.sources import spec

MSSQL = mssql.dialect()
LO, HI = date(2024, 11, 1), date(2024, 11, 4)


def tsql(stmt) -> exp.Select:
    """The statement compiled for SQL Server with its values inlined, parsed back as T-SQL."""
    text = str(stmt.compile(dialect=MSSQL, compile_kwargs={"literal_binds": True}))
    [parsed] = sqlglot.parse(text, read="tsql")
    assert isinstance(parsed, exp.Select), text
    return parsed


@pytest.mark.parametrize("table", list(SourceTable))
def test_fingerprint_select_compiles_for_sql_server_grouping_by_day(table):
    s = spec(table)
    sql = str(fingerprint_select(s, MSSQL, LO, HI).compile(dialect=MSSQL))
    parsed = tsql(fingerprint_select(s, MSSQL, LO, HI))
    group = parsed.args["group"].sql(dialect="tsql")
    if s.day_is_timestamp:
        assert f"CAST({table}.[{s.day_column}] AS DATE)" in sql
        assert "CAST" in group
    else:
        assert s.day_column in group
    assert "substr" not in sql.lower() and "LIMIT" not in sql


@pytest.mark.parametrize("table", list(SourceTable))
def test_extract_select_compiles_for_sql_server_in_natural_key_order(table):
    s = spec(table)
    parsed = tsql(extract_select(s, MSSQL, LO, HI))
    assert [c.name for c in parsed.args["order"].expressions] == s.key
    assert [c.alias_or_name for c in parsed.expressions] == list(s.schema.names)
    assert parsed.args["where"] is not None


def test_any_row_select_is_top_1_on_sql_server_and_limit_elsewhere():
    s = spec(SourceTable.DAM_SPP)
    assert tsql(any_row_select(s)).sql(dialect="tsql").startswith("SELECT TOP 1 ")
    assert "LIMIT" in str(any_row_select(s).compile(dialect=sqlite.dialect()))


def test_range_predicates_stay_on_the_bare_key_column_so_indexes_serve_them():
    # sargable everywhere: no function wraps the leading key column in WHERE
    s = spec(SourceTable.SCED_LMP)
    for dialect in (MSSQL, postgresql.dialect(), sqlite.dialect()):
        where = str(extract_select(s, dialect, LO, HI).whereclause.compile(dialect=dialect))
        assert "CAST" not in where.upper() and "substr" not in where.lower()
