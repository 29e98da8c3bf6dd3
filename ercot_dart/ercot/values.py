"""Parsers for ERCOT's value formats (pure, vectorised).

Each parser accepts every spelling the spec lists and raises :class:`ValueFormatError` naming the
position and the value of the first one it cannot read, so a caller can point at file, line and
column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


class ValueFormatError(ValueError):
    """A value is in no format ERCOT uses. ``position`` is its 0-based row in the input."""

    def __init__(self, position: int, value: Any, expected: str) -> None:
        self.position = position
        self.value = value
        self.expected = expected
        super().__init__(f"{value!r} is not {expected}")


def _first_bad(mask: np.ndarray, values: pd.Series, expected: str) -> None:
    if mask.any():
        pos = int(np.flatnonzero(mask)[0])
        raise ValueFormatError(pos, values.iloc[pos], expected)


def _as_str(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates as ``MM/DD/YYYY``, ``YYYY-MM-DD``, SQL DATE or timestamp → naive midnight datetime64."""
    values = values.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.dt.tz_localize(None) if values.dt.tz is not None else values
        return out.dt.normalize().astype("datetime64[ns]")
    text = _as_str(values)
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    mis = pd.to_datetime(text, format="%m/%d/%Y", errors="coerce")
    out = iso.fillna(mis)
    if out.isna().any():
        # SQL DATE / datetime objects, or ISO dates carrying a time of day
        obj = pd.to_datetime(values.where(out.isna()), errors="coerce", format="mixed")
        out = out.fillna(obj)
    _first_bad(out.isna().to_numpy(), values, "a date (MM/DD/YYYY or YYYY-MM-DD)")
    return out.dt.normalize().astype("datetime64[ns]")


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
    values = values.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.dt.tz_localize(None) if values.dt.tz is not None else values
        return out.astype("datetime64[ns]")
    text = _as_str(values)
    out = pd.to_datetime(text, format="%m/%d/%Y %H:%M:%S", errors="coerce")
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M"):
        if not out.isna().any():
            break
        out = out.fillna(pd.to_datetime(text.where(out.isna()), format=fmt, errors="coerce"))
    if out.isna().any():
        out = out.fillna(pd.to_datetime(values.where(out.isna()), errors="coerce", format="mixed"))
    _first_bad(out.isna().to_numpy(), values, "a timestamp (MM/DD/YYYY HH:MM:SS or ISO)")
    return out.astype("datetime64[ns]")


def format_hour_ending(hours: pd.Series) -> pd.Series:
    """Integer hour endings → ``HH:MM`` strings (``01:00`` .. ``24:00``)."""
    return hours.astype("int64").map("{:02d}:00".format)


def format_flag(flags: pd.Series) -> pd.Series:
    """Booleans → ``Y`` / ``N``."""
    return pd.Series(np.where(flags.to_numpy(bool), "Y", "N"), index=flags.index)
