"""ERCOT's native hourly keys (settlement point, delivery date, hour ending, DST flag) as
integer arrays, and their UTC hour starts. Pure.

One int64 per key (a mixed radix) lets hourly values from different tables be grouped and
joined with numpy; the UTC conversion is done once per distinct hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ercot_dart.ercot.timeconv import hour_ending_to_utc, local_to_utc
from ercot_dart.features.codes import NOT_A_DAY, Codes, group, mixed_key, unmix_key

EPOCH = np.datetime64("1970-01-01", "ns")


@dataclass(frozen=True)
class Native:
    """Rows on ERCOT's native hourly keys; ``point`` indexes ``names``, ``day`` counts days
    since 1970-01-01 (local operating day), ``dst`` is the DST flag (True = ``Y``)."""

    names: NDArray[np.object_]
    point: Codes
    day: NDArray[np.int64]
    hour_ending: NDArray[np.int64]
    dst: NDArray[np.bool_]

    def recode(self, names: NDArray[np.object_]) -> Native:
        """The same rows with ``point`` indexing ``names`` (sorted, a superset of ours)."""
        where = np.searchsorted(names, self.names)
        return Native(names, where[self.point], self.day, self.hour_ending, self.dst)

    def take(self, rows: NDArray[np.bool_] | NDArray[np.intp]) -> Native:
        return Native(
            self.names, self.point[rows], self.day[rows], self.hour_ending[rows], self.dst[rows]
        )

    def bounds(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(lowest value, radix) of each key part, for :meth:`key`."""
        parts = (self.day, self.hour_ending)
        lo = [0, *(int(p.min()) if len(p) else 0 for p in parts), 0]
        hi = [len(self.names) - 1, *(int(p.max()) if len(p) else 0 for p in parts), 1]
        return np.array(lo, "int64"), np.array(hi, "int64") - np.array(lo, "int64") + 1

    def key(self, lo: NDArray[np.int64], radix: NDArray[np.int64]) -> NDArray[np.int64]:
        """One int64 per row, exact (a mixed radix over point, day, hour ending, flag)."""
        return mixed_key((self.point, self.day, self.hour_ending, self.dst), lo, radix)

    @classmethod
    def of_key(
        cls,
        key: NDArray[np.int64],
        names: NDArray[np.object_],
        lo: NDArray[np.int64],
        radix: NDArray[np.int64],
    ) -> Native:
        point, day, hour_ending, dst = unmix_key(key, lo, radix)
        return cls(names, point, day, hour_ending, dst.astype(bool))

    @staticmethod
    def concat(parts: list[Native], names: NDArray[np.object_]) -> Native:
        """Rows of ``parts`` (recoded to ``names``) one after the other."""
        parts = [p.recode(names) for p in parts]
        return Native(
            names,
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("point", "day", "hour_ending", "dst")
            ),
        )


def native_to_utc(
    day: NDArray[np.int64], hour_ending: NDArray[np.int64], dst: NDArray[np.bool_]
) -> NDArray[np.datetime64]:
    """UTC start (datetime64[ns], NaT for dropped rows) of native hours, as
    :func:`~ercot_dart.ercot.timeconv.hour_ending_to_utc` gives it.

    Converted once per distinct hour; when a DST rule may apply (hour ending 25, a ``Y`` flag,
    a local time that does not exist) the rows go through ``hour_ending_to_utc`` one by one,
    so its warnings count rows.
    """
    dated = day != NOT_A_DAY
    if not dated.all():  # no date, no hour
        out = np.full(len(day), np.datetime64("NaT"), "datetime64[ns]")
        out[dated] = native_to_utc(day[dated], hour_ending[dated], dst[dated])
        return out
    if len(day) and hour_ending.max() <= 24 and not dst.any():
        uniq, inverse = group(day * 24 + hour_ending - 1)  # local clock hours since 1970
        naive = uniq.astype("timedelta64[h]") + EPOCH
        utc = pd.DatetimeIndex(local_to_utc(naive, np.zeros(len(uniq), bool)))
        stamps = utc.tz_convert(None).as_unit("ns").to_numpy()
        if not np.isnat(stamps).any():
            return cast("NDArray[np.datetime64]", stamps[inverse])
    dates = pd.Series(EPOCH + day.astype("timedelta64[D]"))
    utc = hour_ending_to_utc(dates, pd.Series(hour_ending), pd.Series(dst))
    return cast(
        "NDArray[np.datetime64]", pd.DatetimeIndex(utc).tz_convert(None).as_unit("ns").to_numpy()
    )
