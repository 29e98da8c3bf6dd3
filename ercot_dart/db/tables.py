"""The nine ERCOT source tables as SQLAlchemy Core tables.

Columns carry ERCOT's own names (MIS CSV headers) so files load without renaming. Values are
stored normalised, one canonical form per column, so that the natural key is unique whatever
format a file spelled it in:

- dates are SQL ``DATE``; SCED and posting timestamps are naive local (America/Chicago) ``DATETIME``;
- string hour endings are ``HH:MM`` (``01:00`` .. ``24:00``); integer hour endings stay integers;
- flags (DSTFlag, RepeatedHourFlag, InUseFlag) are ``Y`` / ``N``.

Each table's primary key is its natural key, so importing the same data twice adds nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
)
from sqlalchemy.dialects import mssql

from ercot_dart.ercot.vocab import SourceTable

metadata = MetaData()

# SQLAlchemy renders a generic Date as DATETIME for SQL Server whenever it does not know the
# server version (DDL compiled offline, for a DBA); the explicit variant is DATE everywhere.
_DATE = Date().with_variant(mssql.DATE(), "mssql")

# SQLite stores a composite primary key best as a clustered (WITHOUT ROWID) table. A dialect
# option travels in Table's **kw (typed Any), not in one of its typed keywords.
_SQLITE: dict[str, Any] = {"sqlite_with_rowid": False}


def _flag(name: str) -> Column[str]:
    return Column(name, String(1), nullable=False)


def _mw(name: str) -> Column[float]:
    return Column(name, Float, nullable=True)


dam_spp = Table(
    SourceTable.DAM_SPP,
    metadata,
    Column("DeliveryDate", _DATE, nullable=False),
    Column("HourEnding", String(5), nullable=False),
    Column("SettlementPoint", String(64), nullable=False),
    Column("SettlementPointPrice", Float, nullable=False),
    _flag("DSTFlag"),
    PrimaryKeyConstraint(
        "DeliveryDate", "HourEnding", "DSTFlag", "SettlementPoint", name="pk_dam_spp"
    ),
    **_SQLITE,
)

rtm_spp = Table(
    SourceTable.RTM_SPP,
    metadata,
    Column("DeliveryDate", _DATE, nullable=False),
    Column("DeliveryHour", SmallInteger, nullable=False),
    Column("DeliveryInterval", SmallInteger, nullable=False),
    Column("SettlementPointName", String(64), nullable=False),
    Column("SettlementPointType", String(8), nullable=False),
    Column("SettlementPointPrice", Float, nullable=False),
    _flag("DSTFlag"),
    PrimaryKeyConstraint(
        "DeliveryDate",
        "DeliveryHour",
        "DeliveryInterval",
        "DSTFlag",
        "SettlementPointName",
        "SettlementPointType",
        name="pk_rtm_spp",
    ),
    **_SQLITE,
)

sced_lmp = Table(
    SourceTable.SCED_LMP,
    metadata,
    Column("SCEDTimestamp", DateTime, nullable=False),
    _flag("RepeatedHourFlag"),
    Column("SettlementPoint", String(64), nullable=False),
    Column("LMP", Float, nullable=False),
    PrimaryKeyConstraint(
        "SCEDTimestamp", "RepeatedHourFlag", "SettlementPoint", name="pk_sced_lmp"
    ),
    **_SQLITE,
)

sced_system_lambda = Table(
    SourceTable.SCED_SYSTEM_LAMBDA,
    metadata,
    Column("SCEDTimeStamp", DateTime, nullable=False),
    _flag("RepeatedHourFlag"),
    # Before RTC+B (2025-12-05) the report had one SystemLambda column: it is stored here.
    Column("CappedSystemLambda", Float, nullable=True),
    Column("UncappedSystemLambda", Float, nullable=True),
    PrimaryKeyConstraint("SCEDTimeStamp", "RepeatedHourFlag", name="pk_sced_system_lambda"),
    **_SQLITE,
)

LOAD_FORECAST_ZONES = (
    "Coast",
    "East",
    "FarWest",
    "North",
    "NorthCentral",
    "SouthCentral",
    "Southern",
    "West",
    "SystemTotal",
)

load_forecast = Table(
    SourceTable.LOAD_FORECAST,
    metadata,
    Column("PostedDatetime", DateTime, nullable=False),
    Column("DeliveryDate", _DATE, nullable=False),
    Column("HourEnding", String(5), nullable=False),
    *(_mw(zone) for zone in LOAD_FORECAST_ZONES),
    Column("Model", String(8), nullable=False),
    _flag("InUseFlag"),
    _flag("DSTFlag"),
    PrimaryKeyConstraint(
        "PostedDatetime", "DeliveryDate", "HourEnding", "DSTFlag", "Model", name="pk_load_forecast"
    ),
    **_SQLITE,
)

ACTUAL_LOAD_ZONES = (
    "COAST",
    "EAST",
    "FAR_WEST",
    "NORTH",
    "NORTH_C",
    "SOUTHERN",
    "SOUTH_C",
    "WEST",
    "TOTAL",
)

actual_load = Table(
    SourceTable.ACTUAL_LOAD,
    metadata,
    Column("OperDay", _DATE, nullable=False),
    Column("HourEnding", String(5), nullable=False),
    *(_mw(zone) for zone in ACTUAL_LOAD_ZONES),
    _flag("DSTFlag"),
    PrimaryKeyConstraint("OperDay", "HourEnding", "DSTFlag", name="pk_actual_load"),
    **_SQLITE,
)

# NP4-732-CD reports wind by load-zone region; NP4-742-CD (the Public API's regional variant)
# by geographic region. Both load into wind_power; columns a report lacks stay NULL.
WIND_LOAD_ZONE_REGIONS = ("LZ_SOUTH_HOUSTON", "LZ_WEST", "LZ_NORTH")
WIND_GEO_REGIONS = ("PANHANDLE", "COASTAL", "SOUTH", "WEST", "NORTH")
WIND_MEASURES = ("GEN", "COP_HSL", "STWPF", "WGRPP")

WIND_COLUMNS = (
    "SYSTEM_WIDE_GEN",
    "COP_HSL_SYSTEM_WIDE",
    "STWPF_SYSTEM_WIDE",
    "WGRPP_SYSTEM_WIDE",
    *(f"{m}_{r}" for r in WIND_LOAD_ZONE_REGIONS for m in WIND_MEASURES),
    "SYSTEM_WIDE_HSL",
    *(f"{m}_{r}" for r in WIND_GEO_REGIONS for m in WIND_MEASURES),
)

SOLAR_GEO_REGIONS = ("CenterWest", "NorthWest", "FarWest", "FarEast", "SouthEast", "CenterEast")
SOLAR_MEASURES = ("GEN", "COP_HSL", "STPPF", "PVGRPP")

SOLAR_COLUMNS = (
    "SYSTEM_WIDE_GEN",
    "COP_HSL_SYSTEM_WIDE",
    "STPPF_SYSTEM_WIDE",
    "PVGRPP_SYSTEM_WIDE",
    "SYSTEM_WIDE_HSL",
    *(f"{m}_{r}" for r in SOLAR_GEO_REGIONS for m in SOLAR_MEASURES),
)


def _renewable(name: str, columns: tuple[str, ...]) -> Table:
    return Table(
        name,
        metadata,
        Column("PostedDatetime", DateTime, nullable=False),
        Column("DELIVERY_DATE", _DATE, nullable=False),
        Column("HOUR_ENDING", SmallInteger, nullable=False),
        *(_mw(c) for c in columns),
        _flag("DSTFlag"),
        PrimaryKeyConstraint(
            "PostedDatetime", "DELIVERY_DATE", "HOUR_ENDING", "DSTFlag", name=f"pk_{name}"
        ),
        **_SQLITE,
    )


wind_power = _renewable(SourceTable.WIND_POWER, WIND_COLUMNS)
solar_power = _renewable(SourceTable.SOLAR_POWER, SOLAR_COLUMNS)

dam_as_prices = Table(
    SourceTable.DAM_AS_PRICES,
    metadata,
    Column("DeliveryDate", _DATE, nullable=False),
    Column("HourEnding", String(5), nullable=False),
    Column("AncillaryType", String(16), nullable=False),
    Column("MCPC", Float, nullable=False),
    _flag("DSTFlag"),
    PrimaryKeyConstraint(
        "DeliveryDate", "HourEnding", "DSTFlag", "AncillaryType", name="pk_dam_as_prices"
    ),
    **_SQLITE,
)

TABLES: dict[SourceTable, Table] = {SourceTable(t.name): t for t in metadata.sorted_tables}


def natural_key(table: Table) -> list[str]:
    """The columns of a table's natural key (its primary key), in key order."""
    return [c.name for c in table.primary_key.columns]
