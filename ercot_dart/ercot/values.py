"""Parsers for ERCOT's value formats (pure, vectorised).

Each parser accepts every spelling the spec lists and raises :class:`ValueFormatError` naming the
position and the value of the first one it cannot read, so a caller can point at file, line and
column.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ercot_dart.ercot.timeconv import CENTRAL


class ValueFormatError(ValueError):
    """A value is in no format ERCOT uses. ``position`` is its 0-based row in the input."""

    def __init__(self, position: int, value: Any, expected: str) -> None:
        self.position = position
        self.value = value
        self.expected = expected
        super().__init__(f"{value!r} is not {expected}")


def _first_bad(mask: NDArray[np.bool_], values: pd.Series, expected: str) -> None:
    if mask.any():
        pos = int(np.flatnonzero(mask)[0])
        raise ValueFormatError(pos, values.iloc[pos], expected)


def _as_str(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


# Spellings a time of day may take: MIS, Public API, SQL text (SQLite stores DATETIME as
# ``YYYY-MM-DD HH:MM:SS.ffffff``) and the load archive's ``MM/DD/YYYY HH:MM``.
_TIMESTAMP_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S.%f",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
)
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")


def _naive_local(value: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_convert(CENTRAL).tz_localize(None) if stamp.tz is not None else stamp


def _parse_datetimes(values: pd.Series, formats: tuple[str, ...], expected: str) -> pd.Series:
    """Text in one of ``formats``, or date/datetime objects → naive local datetime64[ns].

    Only the listed spellings are read: pandas' free-form guessing would turn an hour ending
    such as ``1:00`` into today's date. Timezone-aware values are converted to Central first.
    """
    values = values.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(values):
        if values.dt.tz is not None:
            values = values.dt.tz_convert(CENTRAL).dt.tz_localize(None)
        return values.astype("datetime64[ns]")
    text = _as_str(values)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in formats:
        missing = out.isna()
        if not missing.any():
            break
        parsed = pd.to_datetime(text.where(missing), format=fmt, errors="coerce")
        out = out.fillna(parsed.astype("datetime64[ns]"))
    missing = out.isna()
    if missing.any():  # SQL DATE / datetime objects (from a database or a parquet file)
        rest = values[missing]
        objects = rest[rest.map(lambda x: isinstance(x, dt.date | np.datetime64)).astype(bool)]
        if len(objects):
            out[objects.index] = [_naive_local(x) for x in objects]
    _first_bad(out.isna().to_numpy(), values, expected)
    return out


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates as ``MM/DD/YYYY``, ``YYYY-MM-DD``, SQL DATE or timestamp → naive midnight datetime64."""
    out = _parse_datetimes(
        values, _DATE_FORMATS + _TIMESTAMP_FORMATS, "a date (MM/DD/YYYY or YYYY-MM-DD)"
    )
    return out.dt.normalize()


def parse_hour_ending(values: pd.Series) -> pd.Series:
    """Hour endings ``01:00``, ``1:00``, ``24:00`` or integers → int64 (1..25; 25 is repaired later)."""
    values = values.reset_index(drop=True)
    if pd.api.types.is_integer_dtype(values) or pd.api.types.is_float_dtype(values):
        num = pd.to_numeric(values, errors="coerce")
    else:
        text = _as_str(values)
        hours = text.str.extract(r"^(\d{1,2})(?::00)?(?:\.0+)?$", expand=False)
        num = pd.to_numeric(hours, errors="coerce")
    num = num.astype("float64")
    bad = num.isna() | (num < 1) | (num > 25) | (num != np.floor(num))
    _first_bad(bad.to_numpy(), values, "an hour ending (01:00..24:00, 1:00..24:00 or 1..24)")
    return num.astype("int64")


def parse_int(values: pd.Series, low: int, high: int, expected: str) -> pd.Series:
    """Integers in ``[low, high]`` (DeliveryHour, DeliveryInterval), possibly space-padded text."""
    values = values.reset_index(drop=True)
    num = pd.to_numeric(_as_str(values) if values.dtype == object else values, errors="coerce")
    num = num.astype("float64")
    bad = num.isna() | (num < low) | (num > high) | (num != np.floor(num))
    _first_bad(bad.to_numpy(), values, expected)
    return num.astype("int64")


_TRUE = {"Y", "YES", "TRUE", "T", "1"}
_FALSE = {"N", "NO", "FALSE", "F", "0", ""}


def parse_flag(values: pd.Series) -> pd.Series:
    """Flags ``Y``/``N`` or booleans (``True``/``False``) → bool. Missing means ``N``."""
    values = values.reset_index(drop=True)
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(False).astype(bool)
    text = _as_str(values).str.upper().fillna("")
    is_true = text.isin(_TRUE)
    bad = ~(is_true | text.isin(_FALSE))
    _first_bad(bad.to_numpy(), values, "a flag (Y/N or True/False)")
    return is_true.astype(bool)


def parse_number(values: pd.Series, *, nullable: bool = True) -> pd.Series:
    """Numbers, possibly space-padded text → float64. Empty cells are NaN when ``nullable``."""
    values = values.reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        out = values.astype("float64")
        blank = out.isna().to_numpy()
        bad = np.zeros(len(out), bool) if nullable else blank
    else:
        text = _as_str(values)
        out = pd.to_numeric(text, errors="coerce").astype("float64")
        blank = (text.isna() | (text == "")).to_numpy()
        bad = out.isna().to_numpy() & (~blank if nullable else np.ones(len(out), bool))
    bad = bad | np.isinf(out.to_numpy())
    _first_bad(bad, values, "a number" if nullable else "a number (required)")
    return out


def parse_timestamps(values: pd.Series) -> pd.Series:
    """Local timestamps ``MM/DD/YYYY HH:MM:SS``, ``YYYY-MM-DDTHH:MM:SS`` or datetimes → naive datetime64."""
    return _parse_datetimes(
        values,
        _TIMESTAMP_FORMATS + _DATE_FORMATS,
        "a timestamp (MM/DD/YYYY HH:MM:SS or ISO)",
    )


def format_hour_ending(hours: pd.Series) -> pd.Series:
    """Integer hour endings → ``HH:MM`` strings (``01:00`` .. ``24:00``)."""
    return hours.astype("int64").map("{:02d}:00".format)


def format_flag(flags: pd.Series) -> pd.Series:
    """Booleans → ``Y`` / ``N``."""
    return pd.Series(np.where(flags.to_numpy(bool), "Y", "N"), index=flags.index)
