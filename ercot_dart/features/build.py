"""Assemble the hourly feature table: one row per (settlement point, delivery hour), every
feature as of the row's issue time, and the target ``dart``. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from ercot_dart.ercot.timeconv import CENTRAL
from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.features import melt
from ercot_dart.features.asof import AsOfRules, at_local, local_day, training_issue_time, utc_ns
from ercot_dart.features.calendar import POINT_TYPE_CODES, calendar_features
from ercot_dart.features.grid import HourGrid
from ercot_dart.features.hourly import hourly_prices
from ercot_dart.features.prices import PricePanel, price_features
from ercot_dart.features.system import (
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
    """Raw rows of the nine source tables (columns as in ``ercot_dart.db.tables``); None = absent."""

    dam_spp: pd.DataFrame | None = None
    rtm_spp: pd.DataFrame | None = None
    sced_lmp: pd.DataFrame | None = None
    sced_system_lambda: pd.DataFrame | None = None
    load_forecast: pd.DataFrame | None = None
    actual_load: pd.DataFrame | None = None
    wind_power: pd.DataFrame | None = None
    solar_power: pd.DataFrame | None = None
    dam_as_prices: pd.DataFrame | None = None

    def missing(self) -> list[str]:
        """Names of the absent (or empty) sources."""
        return [t.value for t in SourceTable if _empty(getattr(self, t.value))]


def _empty(frame: pd.DataFrame | None) -> bool:
    return frame is None or frame.empty


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
    points = np.unique(prices["settlement_point"].to_numpy(str))
    types = prices.drop_duplicates("settlement_point", keep="last").set_index("settlement_point")

    def maybe(frame, fn, *args):  # type: ignore[no-untyped-def]
        return None if _empty(frame) else fn(frame, *args)

    return Prepared(
        prices=prices,
        point_type=types["point_type"].reindex(points),
        load_fc=maybe(sources.load_forecast, melt.load_forecast_long),
        actual_load=maybe(sources.actual_load, melt.actual_load_long),
        wind=maybe(sources.wind_power, melt.renewable_long, "wind"),
        solar=maybe(sources.solar_power, melt.renewable_long, "solar"),
        as_prices=maybe(sources.dam_as_prices, melt.as_prices_long),
        lam=maybe(sources.sced_system_lambda, melt.system_lambda),
        missing=missing,
    )


PRICE_TABLES = ("dam_spp", "rtm_spp", "sced_lmp")


def hourly_point_prices(sources: Sources) -> pd.DataFrame:
    """:func:`hourly_prices` of the sources, with each point's ``point_type``."""
    empty = pd.DataFrame()
    rtm = empty if _empty(sources.rtm_spp) else sources.rtm_spp
    sced = empty if _empty(sources.sced_lmp) else sources.sced_lmp
    prices = hourly_prices(sources.dam_spp, rtm, sced)
    points = np.unique(prices["settlement_point"].to_numpy(str))
    types = melt.point_types(sources.rtm_spp, points)
    prices["point_type"] = types.reindex(prices["settlement_point"]).to_numpy()
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
    points: np.ndarray, delivery_day: date, issue_time_utc: pd.Timestamp
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
    rows = rows.sort_values(KEY, ignore_index=True)
    rows["interval_start_utc"] = utc_ns(rows["interval_start_utc"])
    rows["issue_time_utc"] = utc_ns(rows["issue_time_utc"])
    if rows.empty:
        raise ValueError("no rows to build features for")
    first = min(rows["interval_start_utc"].min(), rows["issue_time_utc"].min()) - HISTORY
    grid = HourGrid.spanning(first, rows["interval_start_utc"].max())
    prices = prepared.prices
    window = prices["interval_start_utc"].between(grid.t0, grid.hours[-1])
    panel = PricePanel.build(prices.loc[window], grid, rules)
    rows = rows[rows["settlement_point"].isin(panel.points)].reset_index(drop=True)

    keys = rows[["interval_start_utc", "issue_time_utc"]].drop_duplicates().reset_index(drop=True)
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
    system[["interval_start_utc", "issue_time_utc"]] = keys
    target = prices.loc[window, [*KEY, "dart"]]
    out = rows.merge(target, on=KEY, how="left")
    point_code = prepared.point_type.map(POINT_TYPE_CODES).fillna(4).astype("float32")
    features = pd.concat(
        [
            price_features(panel, rows, rules),
            calendar_features(rows),
            pd.DataFrame({"point_type": point_code.reindex(rows["settlement_point"]).to_numpy()}),
        ],
        axis=1,
    )
    out = pd.concat([out[ID_COLUMNS], features], axis=1)
    out = out.merge(system, on=["interval_start_utc", "issue_time_utc"], how="left")
    out["dart"] = out["dart"].astype("float64")
    return out


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
