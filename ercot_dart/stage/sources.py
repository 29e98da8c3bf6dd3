"""What the stage needs to know of each source table: its day column, fingerprint and arrow schema.

The operating day of a row is the value of the table's leading primary-key column, read as a
local (America/Chicago) date: ``DeliveryDate`` / ``OperDay`` as they are, SCED timestamps and
forecast posting times by their local date (a forecast vintage belongs to the day it was posted).
Because that column leads the natural key, a day is a contiguous range of the key: grouping and
range predicates on it are index range scans in every backend.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pyarrow as pa
from sqlalchemy import BigInteger, Date, DateTime, Float, Integer, SmallInteger, String, Table
from sqlalchemy.types import TypeEngine

from ercot_dart.db.tables import TABLES, natural_key
from ercot_dart.ercot.vocab import SourceTable

# Columns summed (each scaled by 10^4 and cast to an integer, per row) into a day's fingerprint:
# the value a correction would change. Integer sums are exact, so a fingerprint does not depend
# on the order in which the database happens to add the rows.
_VALUE_COLUMNS: dict[SourceTable, tuple[str, ...]] = {
    SourceTable.DAM_SPP: ("SettlementPointPrice",),
    SourceTable.RTM_SPP: ("SettlementPointPrice",),
    SourceTable.SCED_LMP: ("LMP",),
    SourceTable.SCED_SYSTEM_LAMBDA: ("CappedSystemLambda", "UncappedSystemLambda"),
    SourceTable.LOAD_FORECAST: ("SystemTotal",),
    SourceTable.ACTUAL_LOAD: ("TOTAL",),
    # NP4-742/745 (regional) rows carry no generation columns, NP4-732/737 rows do: sum both kinds.
    SourceTable.WIND_POWER: ("SYSTEM_WIDE_GEN", "STWPF_SYSTEM_WIDE", "COP_HSL_SYSTEM_WIDE"),
    SourceTable.SOLAR_POWER: ("SYSTEM_WIDE_GEN", "STPPF_SYSTEM_WIDE", "COP_HSL_SYSTEM_WIDE"),
    SourceTable.DAM_AS_PRICES: ("MCPC",),
}

FINGERPRINT_SCALE = 10_000
"""Values are fingerprinted to 10^-4 of their unit ($/MWh, MW): smaller corrections go unseen."""

REQUIRED = SourceTable.DAM_SPP
"""The day-ahead price is the target's first half: without it there is nothing to forecast."""

REAL_TIME = (SourceTable.RTM_SPP, SourceTable.SCED_LMP)
"""The target's second half: at least one of them (SCED LMP stands in for RTM SPP)."""


class MissingSourcesError(RuntimeError):
    """A source the pipeline cannot do without is absent from the database or empty."""


@dataclass(frozen=True)
class StageSpec:
    """How one source table is staged."""

    table: Table
    day_column: str
    day_is_timestamp: bool
    value_columns: tuple[str, ...]
    schema: pa.Schema

    @property
    def name(self) -> SourceTable:
        return SourceTable(self.table.name)

    @property
    def key(self) -> list[str]:
        return natural_key(self.table)

    @property
    def fingerprint_rule(self) -> str:
        """The fingerprint's definition, stored in the manifest: a new rule re-extracts all."""
        sums = " + ".join(self.value_columns)
        return f"count(*), sum(int(({sums}) * {FINGERPRINT_SCALE}))"


def arrow_type(sql_type: TypeEngine[Any]) -> pa.DataType:
    """The arrow type a SQL column is staged as."""
    for kind, arrow in (
        (DateTime, pa.timestamp("ns")),  # naive local (America/Chicago), as stored
        (Date, pa.date32()),
        (SmallInteger, pa.int16()),
        (BigInteger, pa.int64()),
        (Integer, pa.int64()),
        (Float, pa.float64()),
        (String, pa.string()),
    ):
        if isinstance(sql_type, kind):
            return arrow
    raise TypeError(f"no arrow type for SQL type {sql_type!r}")


@cache
def spec(table: SourceTable | str) -> StageSpec:
    """The stage spec of one source table."""
    name = SourceTable(table)
    sql = TABLES[name]
    day = natural_key(sql)[0]
    schema = pa.schema(
        [pa.field(c.name, arrow_type(c.type), nullable=c.nullable) for c in sql.columns]
    )
    return StageSpec(
        table=sql,
        day_column=day,
        day_is_timestamp=isinstance(sql.c[day].type, DateTime),
        value_columns=_VALUE_COLUMNS[name],
        schema=schema,
    )


def check_required(missing: Iterable[SourceTable], requested: Iterable[SourceTable]) -> None:
    """Raise :class:`MissingSourcesError` if a required source among ``requested`` is missing.

    Required: ``dam_spp``, and one of ``rtm_spp`` / ``sced_lmp`` (when either is requested).
    """
    missing, requested = set(missing), set(requested)
    absent = []
    if REQUIRED in requested and REQUIRED in missing:
        absent.append(REQUIRED.value)
    real_time = [t for t in REAL_TIME if t in requested]
    if real_time and all(t in missing for t in real_time):
        absent.append(" or ".join(t.value for t in real_time))
    if absent:
        raise MissingSourcesError(
            f"required source table(s) missing or empty: {', '.join(absent)}; "
            "import them first (ercot-dart import PATH...)"
        )
