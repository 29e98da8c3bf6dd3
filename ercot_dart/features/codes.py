"""Columns of source rows as numpy arrays, from pandas frames or arrow tables alike. Pure.

Text columns (names, flags, hour endings, dates) take few distinct values over many rows:
each is parsed once per distinct value and gathered back by code. Arrow columns read with
dictionary encoding already are (codes, values); anything else is factorised first.
"""

from __future__ import annotations

from typing import Any, TypeAlias, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ercot_dart.ercot.values import parse_hour_ending

# pandas and pyarrow have no type stubs here: their values are Any, and the casts below say
# what each conversion to numpy yields.
Frame: TypeAlias = pd.DataFrame | pa.Table
"""Source rows: a pandas frame (any parseable dtypes) or an arrow table (stage types)."""

Codes: TypeAlias = NDArray[np.signedinteger[Any]]
"""Each row's index into the distinct values of its column: intp from pandas, arrow's own index
type (int8 .. int64) from a dictionary column."""

NOT_A_DAY = np.iinfo("int64").min


def is_empty(frame: Frame | None) -> bool:
    if frame is None:
        return True
    return bool(frame.num_rows == 0 if isinstance(frame, pa.Table) else frame.empty)


def as_day(values: pd.Series) -> pd.Series:
    """Dates (datetime64, ``datetime.date`` or ISO text) → naive midnight datetime64[ns]."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.normalize().astype("datetime64[ns]")
    return pd.to_datetime(values.astype(str), format="%Y-%m-%d").astype("datetime64[ns]")


def flag_of(values: pd.Series) -> NDArray[np.bool_]:
    """``Y``/``N`` flags (any case, padded) or booleans → bool."""
    if pd.api.types.is_bool_dtype(values):
        return cast("NDArray[np.bool_]", values.to_numpy(bool))
    return cast("NDArray[np.bool_]", (values.astype(str).str.strip().str.upper() == "Y").to_numpy())


def hour_of(values: pd.Series) -> NDArray[np.int64]:
    """Hour endings (``HH:MM`` text or integers) → int64."""
    if pd.api.types.is_integer_dtype(values):
        return cast("NDArray[np.int64]", values.to_numpy("int64"))
    return cast("NDArray[np.int64]", parse_hour_ending(values).to_numpy("int64"))


def distinct(frame: Frame, column: str) -> tuple[pd.Series, Codes]:
    """(the distinct values of one column, each row's index into them)."""
    if isinstance(frame, pd.DataFrame):
        codes, uniq = pd.factorize(frame[column], use_na_sentinel=False)
        return pd.Series(uniq), codes.astype("intp")
    col = frame.column(column)
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(col)
    if col.num_chunks == 0:
        return pd.Series([], dtype=object), np.zeros(0, "intp")
    col = col.unify_dictionaries()
    uniq = col.chunk(0).dictionary.to_pandas()
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in col.chunks])
    if col.null_count:
        missing = np.concatenate(
            [c.indices.is_null().to_numpy(zero_copy_only=False) for c in col.chunks]
        )
        codes = np.where(missing, len(uniq), codes)
        uniq = pd.concat([uniq, pd.Series([None], dtype=uniq.dtype)], ignore_index=True)
    return uniq, codes


def names_of(frame: Frame, column: str) -> tuple[NDArray[np.object_], Codes]:
    """(distinct names as an object array of ``str``, each row's index into them)."""
    uniq, codes = distinct(frame, column)
    return np.asarray([str(v) for v in uniq.tolist()], dtype=object), codes


def sorted_codes(values: pd.Series) -> tuple[NDArray[np.object_], NDArray[np.intp]]:
    """(the distinct values, sorted, as an object array; each row's index into them)."""
    codes, uniq = pd.factorize(values)
    names = np.asarray(uniq, dtype=object)
    order = np.argsort(names, kind="stable")
    rank = np.empty(len(order), np.intp)
    rank[order] = np.arange(len(order))
    return names[order], rank[codes]


def _arrow(frame: Frame, column: str) -> pa.ChunkedArray | None:
    return frame.column(column) if isinstance(frame, pa.Table) else None


def flags(frame: Frame, column: str) -> NDArray[np.bool_]:
    """A flag column as bool (True = ``Y``)."""
    col = _arrow(frame, column)
    if col is not None and pa.types.is_boolean(col.type):
        return cast("NDArray[np.bool_]", col.to_numpy(zero_copy_only=False).astype(bool))
    if col is None and pd.api.types.is_bool_dtype(frame[column]):
        return cast("NDArray[np.bool_]", frame[column].to_numpy(bool))
    if col is not None and pa.types.is_dictionary(col.type):
        seen = {v for c in col.chunks for v in c.dictionary.to_pylist()}
        if not flag_of(pd.Series(sorted(seen, key=str), dtype=object)).any():
            return np.zeros(len(col), bool)  # no ``Y`` anywhere: the rows need no look
    uniq, codes = distinct(frame, column)
    return flag_of(uniq)[codes]


def hour_endings(frame: Frame, column: str) -> NDArray[np.int64]:
    """An hour-ending column (``HH:MM`` text or integers) as int64."""
    col = _arrow(frame, column)
    if col is not None and pa.types.is_integer(col.type):
        return cast("NDArray[np.int64]", col.to_numpy().astype("int64"))
    if col is None and pd.api.types.is_integer_dtype(frame[column]):
        return cast("NDArray[np.int64]", frame[column].to_numpy("int64"))
    uniq, codes = distinct(frame, column)
    try:
        return hour_of(uniq)[codes]
    except ValueError:
        # report the first bad row, not the first bad distinct value
        return hour_of(frame[column] if col is None else col.to_pandas())


def day_numbers(frame: Frame, column: str) -> NDArray[np.int64]:
    """A date column as days since 1970-01-01 (int64; ``NOT_A_DAY`` where missing)."""
    col = _arrow(frame, column)
    if col is not None and (pa.types.is_date(col.type) or pa.types.is_timestamp(col.type)):
        days = pc.cast(col, pa.date32()).cast(pa.int32()).fill_null(0)
        out: NDArray[np.int64] = days.to_numpy().astype("int64")
        if col.null_count:
            out[col.is_null().to_numpy(zero_copy_only=False)] = NOT_A_DAY
        return out
    uniq, codes = distinct(frame, column)
    day: NDArray[np.datetime64] = as_day(uniq).to_numpy("datetime64[ns]").astype("datetime64[D]")
    numbers = day.astype(np.int64)
    numbers[np.isnat(day)] = NOT_A_DAY
    return numbers[codes]


def nanos(frame: Frame, column: str) -> NDArray[np.int64]:
    """A timestamp column (naive) as int64 nanoseconds (NaT as numpy's NaT integer)."""
    col = _arrow(frame, column)
    if col is not None and pa.types.is_timestamp(col.type):
        if col.type != pa.timestamp("ns"):
            col = pc.cast(col, pa.timestamp("ns"))
        return cast("NDArray[np.int64]", col.to_numpy(zero_copy_only=False).view("int64"))
    stamps = pd.to_datetime(frame[column]).to_numpy("datetime64[ns]")
    return cast("NDArray[np.int64]", stamps.view("int64"))


def values(frame: Frame, column: str) -> NDArray[np.float64]:
    """A numeric column as float64 (NaN where missing)."""
    col = _arrow(frame, column)
    if col is not None:
        return cast("NDArray[np.float64]", col.to_numpy(zero_copy_only=False).astype("float64"))
    return cast("NDArray[np.float64]", frame[column].astype("float64").to_numpy())


def group(key: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.intp]]:
    """``np.unique(key, return_inverse=True)``, in linear time when the keys are dense."""
    if not len(key):
        return key, np.zeros(0, "intp")
    lo, hi = int(key.min()), int(key.max())
    if hi - lo > 4 * len(key) + (1 << 20):
        return np.unique(key, return_inverse=True)
    present = np.bincount(key - lo, minlength=hi - lo + 1) > 0
    slot = np.cumsum(present) - 1
    return np.flatnonzero(present) + lo, slot[key - lo]


def mixed_key(
    parts: tuple[NDArray[np.integer[Any] | np.bool_], ...],
    lo: NDArray[np.int64],
    radix: NDArray[np.int64],
) -> NDArray[np.int64]:
    """One int64 per row from integer (or bool) ``parts`` (each within ``lo .. lo + radix - 1``)."""
    if float(np.prod(radix.astype("float64"))) >= 2.0**62:
        raise OverflowError("key space too large for one int64")
    key = parts[0].astype("int64")  # a copy, then in place: no temporaries to allocate
    key -= int(lo[0])
    for part, low, r in zip(parts[1:], lo[1:], radix[1:], strict=True):
        key *= int(r)
        key += part
        key -= int(low)
    return key


def unmix_key(
    key: NDArray[np.int64], lo: NDArray[np.int64], radix: NDArray[np.int64]
) -> list[NDArray[np.int64]]:
    """The parts of :func:`mixed_key`."""
    parts = []
    for low, r in zip(lo[::-1], radix[::-1], strict=True):
        key, part = np.divmod(key, int(r))
        part += int(low)
        parts.append(part)
    return parts[::-1]
