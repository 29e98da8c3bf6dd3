"""The stage's SQL: plain SQLAlchemy Core selects that compile for SQLite, PostgreSQL and SQL Server.

Every query restricts the table's leading key column (the day column) with a half-open range,
``col >= :lo AND col < :hi``, so it reads only the rows of the days it asks for, by an index
range scan. Grouping by day then happens on rows already selected:

- SQLite stores DATE as ``YYYY-MM-DD`` and DATETIME as ``YYYY-MM-DD HH:MM:SS.ffffff`` text. Range
  bounds are compared as text against bare ``YYYY-MM-DD`` strings, which sort before any timestamp
  of that day whatever its fractional-second spelling. Fingerprints group by the key column itself
  (one group per SCED run or posting time), which SQLite aggregates as it walks the primary key;
  grouping by an expression of it (``substr``, ``date()``) made SQLite sort every row into a
  temporary B-tree first (3x slower on 3 M rows). The caller folds the groups into days.
- PostgreSQL and SQL Server compare native values and group by ``CAST(ts AS DATE)`` (a hash
  aggregate with one group per day).

Dates and timestamps are selected as text on SQLite, for pyarrow to parse in bulk (vectorised)
instead of SQLAlchemy building one Python object per value.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    DateTime,
    Select,
    String,
    cast,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.dialects import mssql
from sqlalchemy.engine import Dialect

from ercot_dart.stage.sources import FINGERPRINT_SCALE, StageSpec

_SQL_DATE = Date().with_variant(mssql.DATE(), "mssql")


def _text_temporal(dialect: Dialect) -> bool:
    return dialect.name == "sqlite"


def group_expr(spec: StageSpec, dialect: Dialect) -> ColumnElement[Any]:
    """What fingerprints group by: the day column's text on SQLite, its SQL DATE elsewhere.

    Either way each group lies within one operating day (see the module docstring).
    """
    col = spec.table.c[spec.day_column]
    if _text_temporal(dialect):
        return type_coerce(col, String)
    return cast(col, _SQL_DATE) if spec.day_is_timestamp else col


def day_range(
    spec: StageSpec, dialect: Dialect, lo: date | None, hi: date | None
) -> list[ColumnElement[bool]]:
    """Predicates selecting the operating days ``lo`` ≤ day < ``hi`` (either bound optional)."""
    col = spec.table.c[spec.day_column]
    out: list[ColumnElement[bool]] = []
    for bound, op in ((lo, "__ge__"), (hi, "__lt__")):
        if bound is None:
            continue
        if _text_temporal(dialect):
            out.append(getattr(type_coerce(col, String), op)(bound.isoformat()))
        elif spec.day_is_timestamp:
            out.append(getattr(col, op)(datetime.combine(bound, time())))
        else:
            out.append(getattr(col, op)(bound))
    return out


def _scaled(spec: StageSpec) -> ColumnElement[int]:
    """Per row: the value columns, summed, × 10^4, as an integer (NULLs count as 0)."""
    total: ColumnElement[Any] | None = None
    for name in spec.value_columns:
        value = func.coalesce(spec.table.c[name], literal_column("0"))
        total = value if total is None else total + value
    assert total is not None, f"{spec.name}: a stage spec names its value columns"
    return cast(total * literal_column(str(FINGERPRINT_SCALE)), BigInteger)


def fingerprint_select(
    spec: StageSpec, dialect: Dialect, lo: date | None = None, hi: date | None = None
) -> Select[Any, int, int]:
    """Per group within days [``lo``, ``hi``): ``group (a day or a time), rows, scaled sum``."""
    group = group_expr(spec, dialect)
    return (
        select(group.label("day"), func.count().label("n"), func.sum(_scaled(spec)).label("s"))
        .where(*day_range(spec, dialect, lo, hi))
        .group_by(group)
    )


def extract_select(
    spec: StageSpec, dialect: Dialect, lo: date, hi: date
) -> Select[*tuple[Any, ...]]:
    """Every column of the rows of days [``lo``, ``hi``), in natural-key order."""
    text = _text_temporal(dialect)
    columns = [
        type_coerce(c, String).label(c.name) if text and isinstance(c.type, Date | DateTime) else c
        for c in spec.table.columns
    ]
    key = [spec.table.c[k] for k in spec.key]
    return select(*columns).where(*day_range(spec, dialect, lo, hi)).order_by(*key)


def any_row_select(spec: StageSpec) -> Select[Any]:
    """One row if the table has any (``LIMIT 1`` / ``TOP 1``)."""
    return select(literal_column("1")).select_from(spec.table).limit(1)


def next_day(day: date) -> date:
    return day + timedelta(days=1)
