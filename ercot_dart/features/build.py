"""Assemble the hourly feature table: one row per (settlement point, delivery hour), every
feature as of the row's issue time, and the target ``dart``. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ercot_dart.ercot.timeconv import CENTRAL
from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.features import melt
from ercot_dart.features.asof import AsOfRules, at_local, local_day, training_issue_time, utc_ns
from ercot_dart.features.calendar import POINT_TYPE_CODES, calendar_features
from ercot_dart.features.codes import Frame, is_empty, sorted_codes
from ercot_dart.features.grid import HourGrid
from ercot_dart.features.hourly import hourly_prices_coded, point_types
from ercot_dart.features.prices import PricePanel, price_features
from ercot_dart.features.system import (
    USED,
    as_features,
    error_features,
    forecast_features,
    lambda_features,
)

KEY = ["settlement_point", "interval_start_utc"]
ID_COLUMNS = ["settlement_point", "interval_start_utc", "issue_time_utc", "dart"]
# history a row's features reach back to: 28-day windows, 7 same-hour days after a 2-day gap
HISTORY = pd.Timedelta(days=31)


class MissingSourceError(ValueError):
    """Sources the features cannot do without are absent; the message names them."""


@dataclass
class Sources:
    """Raw rows of the nine source tables (columns as in ``ercot_dart.db.tables``); None = absent.
    The price tables may also be arrow tables (as the stage holds them)."""

    dam_spp: Frame | None = None
    rtm_spp: Frame | None = None
    sced_lmp: Frame | None = None
    sced_system_lambda: pd.DataFrame | None = None
    load_forecast: pd.DataFrame | None = None
    actual_load: pd.DataFrame | None = None
    wind_power: pd.DataFrame | None = None
    solar_power: pd.DataFrame | None = None
    dam_as_prices: pd.DataFrame | None = None

    def missing(self) -> list[str]:
        """Names of the absent (or empty) sources."""
        return [t.value for t in SourceTable if is_empty(getattr(self, t.value))]


@dataclass
class Prepared:
    """The sources transformed: hourly prices on UTC hours and long system series."""

    prices: pd.DataFrame
    point_type: pd.Series
    load_fc: pd.DataFrame | None = None
    actual_load: pd.DataFrame | None = None
    wind: pd.DataFrame | None = None
    solar: pd.DataFrame | None = None
    as_prices: pd.DataFrame | None = None
    lam: pd.DataFrame | None = None
    missing: list[str] = field(default_factory=list)
    point_code: NDArray[np.intp] | None = None
    """Each price row's index into ``point_type.index`` (the sorted point names)."""


def require_prices(missing: list[str]) -> None:
    """Raise :class:`MissingSourceError` when DAM prices or every real-time source is missing."""
    need = [t for t in ("dam_spp",) if t in missing]
    if "rtm_spp" in missing and "sced_lmp" in missing:
        need.append("rtm_spp or sced_lmp")
    if need:
        raise MissingSourceError(f"cannot build features without {', '.join(need)}")


def prepare(sources: Sources, prices: pd.DataFrame | None = None) -> Prepared:
    """Transform raw source rows.

    Args:
        sources: the raw rows; DAM and one real-time source are needed unless ``prices`` is given.
        prices: hourly prices already computed (:func:`hourly_prices` with a ``point_type``
            column), e.g. from the store's hourly cache.
    """
    if prices is None:
        require_prices(sources.missing())
        prices = hourly_point_prices(sources)
    missing = [m for m in sources.missing() if prices.empty or m not in PRICE_TABLES]
    points, codes = sorted_codes(prices["settlement_point"])
    last = np.full(len(points), -1)
    np.maximum.at(last, codes, np.arange(len(codes)))  # each point's last row
    point_type = pd.Series(
        prices["point_type"].take(last).to_numpy() if len(points) else [],
        index=pd.Index(points, name="settlement_point"),
        name="point_type",
        dtype=prices["point_type"].dtype,
    )

    def maybe(
        frame: pd.DataFrame | None, fn: Callable[..., pd.DataFrame], *args: Any
    ) -> pd.DataFrame | None:
        return None if is_empty(frame) else fn(frame, *args)

    return Prepared(
        prices=prices,
        point_type=point_type,
        point_code=codes,
        load_fc=maybe(sources.load_forecast, melt.load_forecast_long, USED["load_forecast"]),
        actual_load=maybe(sources.actual_load, melt.actual_load_long, USED["actual_load"]),
        wind=maybe(sources.wind_power, melt.renewable_long, "wind", USED["wind_power"]),
        solar=maybe(sources.solar_power, melt.renewable_long, "solar", USED["solar_power"]),
        as_prices=maybe(sources.dam_as_prices, melt.as_prices_long),
        lam=maybe(sources.sced_system_lambda, melt.system_lambda),
        missing=missing,
    )


PRICE_TABLES = ("dam_spp", "rtm_spp", "sced_lmp")


def hourly_point_prices(sources: Sources) -> pd.DataFrame:
    """:func:`~ercot_dart.features.hourly.hourly_prices` of the sources, with each point's
    ``point_type``."""
    coded = hourly_prices_coded(sources.dam_spp, sources.rtm_spp, sources.sced_lmp)
    prices = coded.frame()
    prices["point_type"] = point_types(sources.rtm_spp, coded.names)[coded.point]
    return prices


def training_rows(
    prices: pd.DataFrame, rules: AsOfRules, start: date | None = None, end: date | None = None
) -> pd.DataFrame:
    """Rows for every (settlement point, delivery hour) with a DAM price, issued at the
    training issue time; optionally only local delivery days ``start``..``end``."""
    rows = prices.loc[prices["dam_price"].notna(), KEY]
    if start or end:
        day = local_day(rows["interval_start_utc"])
        keep = np.ones(len(rows), bool)
        if start:
            keep &= day >= pd.Timestamp(start)
        if end:
            keep &= day <= pd.Timestamp(end)
        rows = rows.loc[keep]
    rows = rows.reset_index(drop=True)
    rows["issue_time_utc"] = training_issue_time(rows["interval_start_utc"], rules)
    return rows


def inference_rows(
    points: NDArray[np.object_], delivery_day: date, issue_time_utc: pd.Timestamp
) -> pd.DataFrame:
    """Rows for every point and every hour of local ``delivery_day`` (23 or 25 on DST days)."""
    day = pd.DatetimeIndex([pd.Timestamp(delivery_day)])
    start = at_local(day, pd.Timestamp("00:00").time(), 0)[0]
    end = at_local(day, pd.Timestamp("00:00").time(), 1)[0]
    hours = pd.date_range(start, end, freq="h", inclusive="left")
    grid = pd.MultiIndex.from_product([np.sort(points), hours], names=KEY).to_frame(index=False)
    grid["issue_time_utc"] = pd.Timestamp(issue_time_utc).tz_convert("UTC")
    return grid


def build_features(prepared: Prepared, rows: pd.DataFrame, rules: AsOfRules) -> pd.DataFrame:
    """Features of ``rows`` (settlement_point, interval_start_utc, issue_time_utc) and the target.

    Returns the promised columns (``settlement_point``, ``interval_start_utc``,
    ``issue_time_utc``, ``dart``) followed by the features (float32), sorted by point and hour.
    """
    rows = sort_rows(rows)
    if rows.empty:
        raise ValueError("no rows to build features for")
    start = rows["interval_start_utc"]
    first = min(start.min(), rows["issue_time_utc"].min()) - HISTORY
    grid = HourGrid.spanning(first, start.max())
    prices = prepared.prices
    if prepared.point_code is None:
        names, codes = sorted_codes(prices["settlement_point"])
    else:
        names, codes = prepared.point_type.index.to_numpy(), prepared.point_code
    window = prices["interval_start_utc"].between(grid.t0, grid.hours[-1]).to_numpy()
    panel = PricePanel.build(prices, grid, rules, names, codes, window)
    p = panel.lookup(rows["settlement_point"])
    if (p < 0).any():
        rows, p = rows.loc[p >= 0].reset_index(drop=True), p[p >= 0]

    h = grid.index(rows["interval_start_utc"])
    if panel.unique:
        dart = panel.dart[h, p]
    else:  # a point and hour twice in the prices: each of them makes a row
        target = prices.loc[window, [*KEY, "dart"]]
        rows = rows.merge(target, on=KEY, how="left")
        dart = rows.pop("dart").to_numpy()
        p, h = panel.lookup(rows["settlement_point"]), grid.index(rows["interval_start_utc"])
    # what depends only on the hour and the issue time is computed once per distinct pair
    keys, which = distinct_pairs(rows["interval_start_utc"], rows["issue_time_utc"])
    system = pd.concat(
        [
            forecast_features(keys, prepared.load_fc, prepared.wind, prepared.solar),
            error_features(
                keys,
                grid,
                rules,
                prepared.load_fc,
                prepared.actual_load,
                prepared.wind,
                prepared.solar,
            ),
            as_features(keys, grid, rules, prepared.as_prices),
            lambda_features(keys, grid, rules, prepared.lam),
        ],
        axis=1,
    ).astype("float32")
    point_code = prepared.point_type.map(POINT_TYPE_CODES).fillna(4).astype("float32")
    point_code = point_code.reindex(panel.points).to_numpy()
    # float64 price features, float32 calendar, point type and system features
    features: dict[str, NDArray[Any]] = price_features(panel, rows, rules, h=h, p=p)
    features.update({c: v.to_numpy()[which] for c, v in calendar_features(keys).items()})
    features["point_type"] = point_code[p]
    features.update({c: v.to_numpy()[which] for c, v in system.items()})
    # one float32 block, filled in place: no copy when the frame is made or written
    block = np.empty((len(features), len(rows)), dtype="float32")
    for i, values in enumerate(features.values()):
        block[i] = values
    ids = pd.DataFrame(
        {
            "settlement_point": rows["settlement_point"].array,
            "interval_start_utc": rows["interval_start_utc"].array,
            "issue_time_utc": rows["issue_time_utc"].array,
            "dart": np.asarray(dart, dtype="float64"),
        }
    )
    return pd.concat([ids, pd.DataFrame(block.T, columns=list(features), copy=False)], axis=1)


def sort_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` sorted by point and hour (stable), times as ns UTC, index 0..n-1."""
    rows = rows.reset_index(drop=True)
    rows["interval_start_utc"] = utc_ns(rows["interval_start_utc"])
    rows["issue_time_utc"] = utc_ns(rows["issue_time_utc"])
    _, codes = sorted_codes(rows["settlement_point"])
    order = np.lexsort((rows["interval_start_utc"].array.asi8, codes))
    if (np.diff(order) != 1).any():
        rows = rows.take(order).reset_index(drop=True)
    return rows


def distinct_pairs(start: pd.Series, issue: pd.Series) -> tuple[pd.DataFrame, NDArray[np.intp]]:
    """The distinct (interval_start_utc, issue_time_utc) pairs in order of first appearance,
    and each row's index into them."""
    a, a_values = pd.factorize(start)
    b, b_values = pd.factorize(issue)
    pair, first = pd.factorize(a.astype("int64") * max(len(b_values), 1) + b)
    keys = pd.DataFrame(
        {
            "interval_start_utc": a_values.take(first // max(len(b_values), 1)),
            "issue_time_utc": b_values.take(first % max(len(b_values), 1)),
        }
    )
    return keys, pair


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """The model features of a feature table: every column but the promised ones."""
    return [c for c in frame.columns if c not in ID_COLUMNS]


def month_of(interval_start_utc: pd.Series) -> pd.Series:
    """The partition month (``YYYY-MM``) of each row: the month of its local delivery day."""
    return pd.Series(
        local_day(interval_start_utc).strftime("%Y-%m"), index=interval_start_utc.index
    )


__all__ = [
    "CENTRAL",
    "Prepared",
    "Sources",
    "MissingSourceError",
    "build_features",
    "feature_columns",
    "inference_rows",
    "month_of",
    "prepare",
    "training_rows",
]
