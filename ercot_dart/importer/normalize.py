"""Turn a chunk of an ERCOT report into rows of its source table (pure: no I/O).

Every value is parsed by its table column's type, DST rows are repaired by the time layer's
rules, and the result is in the table's canonical formats (see ``ercot_dart.db.tables``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Date, DateTime, Float, SmallInteger, String, Table

from ercot_dart.db.tables import natural_key
from ercot_dart.ercot import values as v
from ercot_dart.ercot.timeconv import keep_last_duplicates, repair_hour_ending
from ercot_dart.ercot.vocab import Report
from ercot_dart.importer.reports import ReportSpec

FLAGS = ("DSTFlag", "RepeatedHourFlag", "InUseFlag")
# (date column, hour-ending column, flag column) of the tables keyed by hour ending
HOUR_KEYS = {
    "dam_spp": ("DeliveryDate", "HourEnding", "DSTFlag"),
    "dam_as_prices": ("DeliveryDate", "HourEnding", "DSTFlag"),
    "load_forecast": ("DeliveryDate", "HourEnding", "DSTFlag"),
    "actual_load": ("OperDay", "HourEnding", "DSTFlag"),
    "wind_power": ("DELIVERY_DATE", "HOUR_ENDING", "DSTFlag"),
    "solar_power": ("DELIVERY_DATE", "HOUR_ENDING", "DSTFlag"),
    "rtm_spp": ("DeliveryDate", "DeliveryHour", "DSTFlag"),
}


@dataclass
class RowError(ValueError):
    """A value (or a whole column) that cannot be read. ``position`` is None for a missing column."""

    column: str
    reason: str
    position: int | None = None
    value: object = None

    def __str__(self) -> str:
        if self.position is None:
            return f"column {self.column}: {self.reason}"
        return f"column {self.column}: {self.value!r} is not {self.reason}"


def normalize(frame: pd.DataFrame, spec: ReportSpec, posted: pd.Timestamp | None) -> pd.DataFrame:
    """Rows of ``spec``'s table from one chunk of its report.

    Args:
        frame: the chunk, columns as the file names them.
        spec: the report the file was recognised as.
        posted: naive local posting time for reports whose rows carry none.

    Raises:
        RowError: naming the column (and the row position within the chunk) of the first
            value that cannot be read.
    """
    if spec.report is Report.LOAD_ARCHIVE:
        frame = _split_archive_hour(frame)
    table = spec.sql_table
    mapping = spec.column_map(frame.columns)
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for source, target in mapping.items():
        out[target] = _parse(frame[source], table, target, source)
    n = len(frame)
    for column in table.columns:
        name = column.name
        if name in out.columns:
            continue
        if name in FLAGS:
            out[name] = np.zeros(n, bool)
        elif name == "PostedDatetime" and posted is not None:
            out[name] = pd.Series(np.full(n, posted.to_datetime64(), "datetime64[ns]"))
        elif column.nullable:
            out[name] = np.full(n, np.nan)
        else:
            raise RowError(name, "missing: the file has no such column")
    keep = np.ones(n, bool)
    if table.name in HOUR_KEYS:
        date_col, he_col, flag_col = HOUR_KEYS[table.name]
        fixed = repair_hour_ending(out[date_col], out[he_col], out[flag_col])
        out[he_col], out[flag_col], keep = fixed.hour_ending, fixed.repeated, fixed.keep
    for name in FLAGS:
        if name in out.columns:
            out[name] = v.format_flag(out[name])
    if "HourEnding" in out.columns:  # the string-typed hour endings; HOUR_ENDING stays an integer
        out["HourEnding"] = v.format_hour_ending(out["HourEnding"])
    out = out.loc[keep, [c.name for c in table.columns]]
    return keep_last_duplicates(out, natural_key(table), table.name)


def _parse(values: pd.Series, table: Table, column: str, source: str) -> pd.Series:
    sql_type = table.c[column].type
    try:
        if column in FLAGS:
            return v.parse_flag(values)
        if column in ("HourEnding", "HOUR_ENDING", "DeliveryHour"):
            return v.parse_hour_ending(values)
        if column == "DeliveryInterval":
            return v.parse_int(values, 1, 4, "a 15-minute interval (1..4)")
        if isinstance(sql_type, DateTime):
            return v.parse_timestamps(values)
        if isinstance(sql_type, Date):
            return v.parse_dates(values)
        if isinstance(sql_type, Float):
            return v.parse_number(values, nullable=bool(table.c[column].nullable))
        if isinstance(sql_type, SmallInteger):
            return v.parse_int(values, -32768, 32767, "an integer")
        if isinstance(sql_type, String):
            return _parse_text(values, sql_type.length)
    except v.ValueFormatError as exc:
        raise RowError(source, exc.expected, exc.position, exc.value) from None
    raise TypeError(f"no parser for {table.name}.{column} ({sql_type})")


def _parse_text(values: pd.Series, length: int | None) -> pd.Series:
    text = values.reset_index(drop=True).astype("string").str.strip()
    bad = text.isna() | (text == "")
    if length:
        bad |= text.str.len() > length
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        expected = f"a name of 1 to {length} characters" if length else "a name"
        given = values.iloc[pos]
        raise v.ValueFormatError(pos, "" if pd.isna(given) else given, expected)  # an empty cell
    return text.astype(object)


def _split_archive_hour(frame: pd.DataFrame) -> pd.DataFrame:
    """The load archive's ``Hour Ending`` (``MM/DD/YYYY HH:MM``, the repeated fall-back hour
    suffixed `` DST``) → OperDay, HourEnding and DSTFlag columns."""
    source = next(c for c in frame.columns if c.strip().lower() == "hour ending")
    raw = frame[source].reset_index(drop=True)
    text = raw.astype("string").str.strip()
    parts = text.str.extract(r"^(\S+)\s+(\d{1,2}:\d{2})(\s+DST)?$")
    bad = parts[0].isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise RowError(source, "an hour ending (MM/DD/YYYY HH:MM[ DST])", pos, raw.iloc[pos])
    out = frame.drop(columns=[source]).reset_index(drop=True)
    out["OperDay"] = parts[0]
    out["HourEnding"] = parts[1]
    out["DSTFlag"] = np.where(parts[2].notna(), "Y", "N")
    return out
