"""Source rows → one hourly price table keyed by (settlement point, delivery hour). Pure.

Real-time prices come to hourly on ERCOT's native keys (delivery date, hour ending, DST flag),
are joined there with the DAM, and only then converted to UTC interval starts:

- ``rtm_spp``: the hourly price is the mean of the hour's 15-minute settlement point prices
  (the spec's target). A load zone appears twice (types LZ and LZEW): the LZ row is used.
- ``sced_lmp``: stands in where ``rtm_spp`` has no price for a point and hour. A SCED run
  belongs to the hour its timestamp falls in (local clock, the RepeatedHourFlag telling the two
  01:xx hours of the fall-back day apart); the hourly price is the plain mean of the runs in
  that hour. A run that straddles an hour boundary (e.g. 00:58:40) counts wholly in the hour
  it starts in: SCED prices are set for the interval that starts at the run.

``rt_source`` says which table each hour's real-time price came from.

Inputs are pandas frames or arrow tables (the stage, read with dictionary-encoded strings).
Text columns are handled through their distinct values (:mod:`ercot_dart.features.codes`), so
100 million SCED rows sharing a thousand names and a few hundred run times cost integer work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ercot_dart.ercot.timeconv import fall_back_dates
from ercot_dart.features.codes import (
    NOT_A_DAY,
    Frame,
    day_numbers,
    distinct,
    flags,
    group,
    hour_endings,
    is_empty,
    names_of,
    nanos,
    values,
)
from ercot_dart.features.native import EPOCH, Native, native_to_utc

NATIVE = ["settlement_point", "delivery_date", "hour_ending", "dst_flag"]
# Where a name carries two types (a load zone as LZ and LZEW), the first type listed wins.
_TYPE_ORDER = ["HU", "SH", "AH", "LZ", "LZ_DC", "RN", "PCCRN", "LCCRN", "PUN", "LZEW", "LZ_DCEW"]
_NS_PER_HOUR = 3_600_000_000_000
_NAT = np.iinfo("int64").min
ScalarT = TypeVar("ScalarT", bound=np.generic)

__all__ = ["NATIVE", "CodedPrices", "hourly_prices", "hourly_prices_coded", "point_types"]


def dam_native(dam: Frame) -> tuple[Native, NDArray[np.float64]]:
    """``dam_spp`` rows → native keys and ``SettlementPointPrice`` ($/MWh)."""
    names, point = names_of(dam, "SettlementPoint")
    key = Native(
        names=names,
        point=point,
        day=day_numbers(dam, "DeliveryDate"),
        hour_ending=hour_endings(dam, "HourEnding"),
        dst=flags(dam, "DSTFlag"),
    )
    dated = key.day != NOT_A_DAY
    return key.take(dated), values(dam, "SettlementPointPrice")[dated]


def rtm_hourly(rtm: Frame) -> tuple[Native, NDArray[np.float64], NDArray[np.intp]]:
    """``rtm_spp`` 15-minute rows → native keys, hourly mean price ($/MWh) and interval count.

    Only each name's preferred type counts (a load zone's LZ rows, not its LZEW twin)."""
    names, point = names_of(rtm, "SettlementPointName")
    types, type_code = distinct(rtm, "SettlementPointType")
    order = {t: i for i, t in enumerate(_TYPE_ORDER)}
    type_rank = np.array([order.get(str(t).strip(), len(_TYPE_ORDER)) for t in types], "int64")
    rank = type_rank[type_code]
    best = np.full(len(names), np.iinfo("int64").max)
    np.minimum.at(best, point, rank)
    day = day_numbers(rtm, "DeliveryDate")
    keep = (rank == best[point]) & (day != NOT_A_DAY)
    rows = Native(
        names=names,
        point=point[keep],
        day=day[keep],
        hour_ending=hour_endings(rtm, "DeliveryHour")[keep],
        dst=flags(rtm, "DSTFlag")[keep],
    )
    lo, radix = rows.bounds()
    uniq, inverse = group(rows.key(lo, radix))
    # pandas' grouped mean (compensated summation), as the hourly average was first defined;
    # grouping by a categorical of the codes spares pandas factorising them again
    by = pd.Categorical.from_codes(inverse, categories=pd.RangeIndex(len(uniq)))
    price = pd.Series(values(rtm, "SettlementPointPrice")[keep])
    mean = price.groupby(by, observed=False).mean().to_numpy()
    hours = Native.of_key(uniq, names, lo, radix)
    return hours, mean, np.bincount(inverse, minlength=len(uniq))


def sced_hourly(sced: Frame) -> tuple[Native, NDArray[np.float64], NDArray[np.intp]]:
    """``sced_lmp`` rows → native key of the hour each run falls in, plain mean of the runs'
    LMPs ($/MWh) and their count."""
    stamps = nanos(sced, "SCEDTimestamp")
    names, point = names_of(sced, "SettlementPoint")
    lmp = values(sced, "LMP")
    dst = flags(sced, "RepeatedHourFlag")
    if (stamps == _NAT).any():
        known = stamps != _NAT
        stamps, point, lmp, dst = stamps[known], point[known], lmp[known], dst[known]
    # a run's rows share its timestamp: the hour is found once per run (any row order works)
    starts = np.flatnonzero(np.concatenate(([True], stamps[1:] != stamps[:-1])))
    run_hour = stamps[starts] // _NS_PER_HOUR  # local clock hours since 1970
    lengths = np.diff(np.append(starts, len(stamps)))
    if dst.any():  # the flag only means something in 01:xx of the fall-back day
        at = np.flatnonzero(dst)
        hour = np.repeat(run_hour, lengths)[at]
        day = hour // 24
        days = pd.Series(EPOCH + day.astype("timedelta64[D]"))
        dst[at] = (hour - day * 24 == 1) & fall_back_dates(days)
    # bins: (hour, flag) × point, laid out densely
    n = max(len(names), 1)
    lo = int(run_hour.min()) if len(run_hour) else 0
    key = np.repeat((run_hour - lo) * 2 * n, lengths) + point
    if dst.any():
        key += dst * n
    uniq, sums, counts = _bin_sums(key, lmp)
    code, point = uniq // n + 2 * lo, uniq % n
    hour, dst = code // 2, (code % 2).astype(bool)
    day = hour // 24
    return Native(names, point, day, hour - day * 24 + 1, dst), sums / counts, counts


def _bin_sums(
    key: NDArray[np.int64], weights: NDArray[np.float64]
) -> tuple[NDArray[np.signedinteger[Any]], NDArray[np.float64], NDArray[np.intp]]:
    """(distinct keys, sum of the weights of each, count of each); sums in row order."""
    # numpy's stub types bincount as intp whatever the weights; weighted, the sums are float64
    if len(key) and int(key.max()) < 4 * len(key) + (1 << 22):
        counts = np.bincount(key)
        sums = cast("NDArray[np.float64]", np.bincount(key, weights=weights))
        present = np.flatnonzero(counts)
        return present, sums[present], counts[present]
    uniq, inverse = group(key)
    sums = cast("NDArray[np.float64]", np.bincount(inverse, weights=weights, minlength=len(uniq)))
    return uniq, sums, np.bincount(inverse, minlength=len(uniq))


RT_SOURCES: NDArray[np.object_] = np.array(["rtm_spp", "sced_lmp"], dtype=object)


@dataclass(frozen=True)
class CodedPrices:
    """Hourly prices as arrays, one entry per (point, delivery hour), sorted by point and hour.

    ``point`` indexes the sorted ``names``; ``rt_source`` indexes :data:`RT_SOURCES` (−1: no
    real-time price); ``rt_samples`` is −1 where there is no real-time price; ``utc`` is the
    hour's UTC start in ns.
    """

    names: NDArray[np.object_]
    point: NDArray[np.int64]
    day: NDArray[np.int64]
    hour_ending: NDArray[np.int64]
    dst: NDArray[np.bool_]
    dam_price: NDArray[np.float64]
    rt_price: NDArray[np.float64]
    rt_samples: NDArray[np.int64]
    rt_source: NDArray[np.int8]
    utc: NDArray[np.int64]

    @property
    def dart(self) -> NDArray[np.float64]:
        return self.dam_price - self.rt_price

    def frame(self) -> pd.DataFrame:
        """The :func:`hourly_prices` frame."""
        no_rt = self.rt_source < 0
        samples = self.rt_samples
        if no_rt.any():
            samples = np.where(no_rt, np.nan, samples)
        source = RT_SOURCES[np.maximum(self.rt_source, 0)]
        source[no_rt] = None
        return pd.DataFrame(
            {
                "settlement_point": pd.array(self.names[self.point], dtype="str"),
                "delivery_date": (EPOCH + self.day.astype("timedelta64[D]")).astype(
                    "datetime64[ns]"
                ),
                "hour_ending": self.hour_ending,
                "dst_flag": self.dst,
                "dam_price": self.dam_price,
                "rt_price": self.rt_price,
                "rt_samples": samples,
                "rt_source": pd.array(source, dtype="str"),
                "interval_start_utc": pd.DatetimeIndex(self.utc.view("datetime64[ns]")).tz_localize(
                    "UTC"
                ),
                "dart": self.dart,
            }
        )


def hourly_prices_coded(dam: Frame | None, rtm: Frame | None, sced: Frame | None) -> CodedPrices:
    """:func:`hourly_prices` as arrays (see :class:`CodedPrices`)."""
    empty = Native(np.zeros(0, object), *(np.zeros(0, "int64"),) * 3, np.zeros(0, bool))
    dam_key, dam_price = (empty, np.zeros(0)) if is_empty(dam) else dam_native(dam)
    # real-time hours, rtm_spp first: where both have an hour, the settlement price wins
    real_time = [
        (code, *hourly(frame))
        for code, (frame, hourly) in enumerate(((rtm, rtm_hourly), (sced, sced_hourly)))
        if not is_empty(frame)
    ]
    keys = [dam_key, *(k for _, k, _, _ in real_time)]
    names = np.unique(np.concatenate([k.names for k in keys]))
    every = Native.concat(keys, names)
    lo, radix = every.bounds()
    key = every.key(lo, radix)
    dam_keys, rt_key = key[: len(dam_price)], key[len(dam_price) :]
    rt_price = np.concatenate([np.zeros(0), *(m for _, _, m, _ in real_time)])
    rt_samples = np.concatenate([np.zeros(0, "int64"), *(c for _, _, _, c in real_time)])
    rt_source = np.concatenate(
        [np.zeros(0, "int8"), *(np.full(len(m), code, "int8") for code, _, m, _ in real_time)]
    )
    if len(real_time) == 2:
        fallback = rt_source == 1
        fallback[fallback] = ~np.isin(rt_key[fallback], rt_key[~fallback])
        kept = (rt_source == 0) | fallback
        rt_key, rt_price = rt_key[kept], rt_price[kept]
        rt_samples, rt_source = rt_samples[kept], rt_source[kept]
    # outer join on the key: every DAM row, then the real-time hours no DAM row has
    space = int(np.prod(radix))
    rt_of_dam = _lookup(rt_key, dam_keys, space)
    alone = np.flatnonzero(~np.isin(rt_key, dam_keys))
    native = Native.of_key(np.concatenate([dam_keys, rt_key[alone]]), names, lo, radix)
    rt_row = np.concatenate([rt_of_dam, alone])
    dam_all = np.concatenate([dam_price, np.full(len(alone), np.nan)])
    utc = native_to_utc(native.day, native.hour_ending, native.dst).view("int64")
    order = _by_point_and_hour(np.concatenate([dam_keys, rt_key[alone]]), native.point, utc, space)
    pick, has_rt = rt_row[order], rt_row[order] >= 0
    safe = np.where(has_rt, pick, 0)

    def real_time_column(values: NDArray[ScalarT], missing: float | int) -> NDArray[ScalarT]:
        return (
            np.where(has_rt, values[safe], missing) if len(values) else np.full(len(order), missing)
        )

    return CodedPrices(
        names=names,
        point=native.point[order],
        day=native.day[order],
        hour_ending=native.hour_ending[order],
        dst=native.dst[order],
        dam_price=dam_all[order],
        rt_price=real_time_column(rt_price, np.nan),
        rt_samples=real_time_column(rt_samples, -1),
        rt_source=real_time_column(rt_source, -1).astype("int8"),
        utc=utc[order],
    )


def _dense(space: int, size: int) -> bool:
    """Whether arrays over the whole key space are cheaper than sorting ``size`` keys."""
    return space <= 4 * size + (1 << 22)


def _lookup(keys: NDArray[np.int64], wanted: NDArray[np.int64], space: int) -> NDArray[np.intp]:
    """Index in ``keys`` (distinct, in ``0..space-1``) of each of ``wanted``; −1 where absent."""
    if _dense(space, len(keys) + len(wanted)):
        slot = np.full(space, -1)
        slot[keys] = np.arange(len(keys))
        return slot[wanted]
    if not len(keys):
        return np.full(len(wanted), -1)
    by_key = np.argsort(keys, kind="stable")
    at = np.minimum(np.searchsorted(keys[by_key], wanted), len(keys) - 1)
    return np.where(keys[by_key[at]] == wanted, by_key[at], -1)


def _by_point_and_hour(
    key: NDArray[np.int64], point: NDArray[np.int64], utc: NDArray[np.int64], space: int
) -> NDArray[np.intp]:
    """The rows with an hour (``utc`` not NaT) in point, hour order (stable).

    Keys order rows by point, day, hour ending and flag, which is the UTC order unless a DST
    repair moved an hour: ordering by key (linear time, when keys are distinct) is kept
    only if it checks out, else the rows are sorted.
    """
    keep = np.flatnonzero(utc != _NAT)
    if _dense(space, len(key)):
        slot = np.full(space, -1)
        slot[key[keep]] = keep
        order = slot[slot >= 0]
        p, t = point[order], utc[order]
        if (
            len(order) == len(keep)
            and ((p[1:] > p[:-1]) | ((p[1:] == p[:-1]) & (t[1:] > t[:-1]))).all()
        ):
            return order
    return keep[np.lexsort((utc[keep], point[keep]))]


def hourly_prices(dam: Frame | None, rtm: Frame | None, sced: Frame | None) -> pd.DataFrame:
    """DAM and real-time prices joined on native keys, then placed on UTC hour starts.

    Args:
        dam: ``dam_spp`` rows.
        rtm: ``rtm_spp`` rows (may be empty).
        sced: ``sced_lmp`` rows (may be empty); used where ``rtm_spp`` has no price.

    Returns:
        One row per (settlement_point, interval_start_utc) with ``dam_price``, ``rt_price``,
        ``rt_source`` and ``dart`` = DAM − real-time ($/MWh; NaN where either is missing), plus
        the native keys ``delivery_date``, ``hour_ending``, ``dst_flag``; sorted by point and hour.
    """
    return hourly_prices_coded(dam, rtm, sced).frame()


def point_types(rtm: Frame | None, names: NDArray[np.object_]) -> NDArray[np.object_]:
    """Settlement point type of each of ``names``: from ``rtm_spp`` where present (a load
    zone's ``LZ``/``LZ_DC`` over its ``EW`` twin), else from the name (``HB_`` hub, ``LZ_``
    load zone, otherwise resource node)."""
    known: dict[str, str] = {}
    if not is_empty(rtm):
        point_names, point = names_of(rtm, "SettlementPointName")
        types, code = names_of(rtm, "SettlementPointType")
        pair = point.astype("int64") * max(len(types), 1) + code
        first = np.full(len(point_names) * len(types), len(pair))
        np.minimum.at(first, pair, np.arange(len(pair)))  # each pair's first row
        seen = np.flatnonzero(first < len(pair))
        for p in seen[np.argsort(first[seen], kind="stable")].tolist():
            name, kind = point_names[p // len(types)], types[p % len(types)]
            if name not in known or kind in ("LZ", "LZ_DC"):
                known[name] = kind.strip()
    guess = ["HU" if n.startswith("HB_") else "LZ" if n.startswith("LZ_") else "RN" for n in names]
    return np.array([known.get(str(n), g) for n, g in zip(names, guess, strict=True)], dtype=object)
