"""Keep the feature store up to date from the raw stage: which partitions to redo, and
redoing one. Each function here is one unit of work a Prefect task maps over.

1. :func:`plan_update` — from the days the extract (re)wrote, the operating days whose hourly
   prices must be recomputed and the delivery days whose features must be rebuilt, by month;
2. :func:`refresh_hourly` — hourly prices of some operating days into the store's cache;
3. :func:`build_month` — features of some delivery days of one month, merged into its partition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.features import store as fs
from ercot_dart.features.asof import AsOfRules, local_day
from ercot_dart.features.build import (
    PRICE_TABLES,
    Prepared,
    Sources,
    build_features,
    inference_rows,
    prepare,
    sort_rows,
    training_rows,
)
from ercot_dart.features.hourly import hourly_prices_coded, point_types
from ercot_dart.features.system import USED
from ercot_dart.stage.layout import day_dirs, part_path
from ercot_dart.stage.sources import spec

# A row's features reach 31 days back (28-day windows, same-hour history); read a margin more.
REACH_DAYS = 32
# the price columns the hourly prices read; text columns come dictionary-encoded (few values)
PRICE_COLUMNS = {
    "dam_spp": ["DeliveryDate", "HourEnding", "SettlementPoint", "SettlementPointPrice", "DSTFlag"],
    "rtm_spp": [
        "DeliveryDate",
        "DeliveryHour",
        "SettlementPointName",
        "SettlementPointType",
        "SettlementPointPrice",
        "DSTFlag",
    ],
    "sced_lmp": ["SCEDTimestamp", "RepeatedHourFlag", "SettlementPoint", "LMP"],
}
# the cache's text and time columns repeat (dictionaries pay); its prices do not
HOURLY_WRITE = {
    "use_dictionary": ["settlement_point", "delivery_date", "rt_source", "point_type"],
    "write_statistics": False,
}
# what the features read of the cache and of the system tables (the rest is left on disk)
HOURLY_COLUMNS = [
    "settlement_point",
    "interval_start_utc",
    "dam_price",
    "rt_price",
    "rt_source",
    "dart",
    "point_type",
]
SYSTEM_COLUMNS: dict[str, list[str] | None] = {
    "sced_system_lambda": None,
    "load_forecast": [
        "PostedDatetime",
        "DeliveryDate",
        "HourEnding",
        "DSTFlag",
        "InUseFlag",
        *USED["load_forecast"],
    ],
    "actual_load": ["OperDay", "HourEnding", "DSTFlag", *USED["actual_load"]],
    "wind_power": [
        "PostedDatetime",
        "DELIVERY_DATE",
        "HOUR_ENDING",
        "DSTFlag",
        *USED["wind_power"],
    ],
    "solar_power": [
        "PostedDatetime",
        "DELIVERY_DATE",
        "HOUR_ENDING",
        "DSTFlag",
        *USED["solar_power"],
    ],
    "dam_as_prices": None,
}


@dataclass
class UpdatePlan:
    """The partitions one update will redo."""

    hourly_days: list[date] = field(default_factory=list)
    months: dict[str, list[date]] = field(default_factory=dict)

    @property
    def feature_days(self) -> int:
        return sum(len(d) for d in self.months.values())


def _price_days(stage_dir: Path) -> set[date]:
    days: set[date] = set()
    for table in PRICE_TABLES:
        days |= set(day_dirs(stage_dir, table))
    return days


def plan_update(
    stage_dir: Path,
    store: Path,
    changed: Mapping[str, Iterable[date]],
    start: date | None = None,
    end: date | None = None,
) -> UpdatePlan:
    """What to redo after an extract that (re)wrote ``changed`` days of each source table.

    Hourly prices are redone for changed days of the price tables and for staged days missing
    from the cache. Features are rebuilt for every delivery day whose inputs a changed day can
    reach (``REACH_DAYS`` after it), among the days that have DAM prices, within ``start``..``end``.
    """
    staged = _price_days(stage_dir)
    cached = set(fs.hourly_days(store))
    hourly = {d for t in PRICE_TABLES for d in changed.get(t, ())} | (staged - cached)
    dam_days = set(day_dirs(stage_dir, SourceTable.DAM_SPP.value))
    touched = {d for days in changed.values() for d in days} | (staged - cached)
    affected: set[date] = set()
    for d in touched:
        affected.update(d + timedelta(days=k) for k in range(REACH_DAYS + 1))
    affected &= dam_days
    if start:
        affected = {d for d in affected if d >= start}
    if end:
        affected = {d for d in affected if d <= end}
    by_month: dict[str, list[date]] = defaultdict(list)
    for d in sorted(affected):
        by_month[d.strftime("%Y-%m")].append(d)
    return UpdatePlan(sorted(hourly & staged), dict(by_month))


def read_days(
    stage_dir: Path,
    table: str,
    days: Iterable[date],
    columns: list[str] | None = None,
    dictionary: bool = True,
) -> pa.Table | None:
    """The staged rows of ``table`` for exactly ``days`` (missing days skipped; None if none),
    one chunk per day; text columns dictionary-encoded unless ``dictionary`` is False."""
    files = [p for d in days if (p := part_path(stage_dir, table, d)).is_file()]
    if not files:
        return None
    schema = spec(table).schema
    names = columns or schema.names
    text = [c for c in names if dictionary and pa.types.is_string(schema.field(c).type)]
    return fs.read_files(files, names, text)


def refresh_hourly(stage_dir: Path, store: Path, days: Iterable[date], batch_days: int = 16) -> int:
    """Recompute the cached hourly prices of operating ``days``; returns rows written.

    Days are read and aggregated in batches (vectorised work on many days at once) and written
    back one file per operating day.
    """
    ordered = sorted(set(days))
    rows = 0
    for i in range(0, len(ordered), batch_days):
        batch = ordered[i : i + batch_days]
        sources = {t: read_days(stage_dir, t, batch, c) for t, c in PRICE_COLUMNS.items()}
        written: set[date] = set()
        if any(f is not None for f in sources.values()):
            coded = hourly_prices_coded(sources["dam_spp"], sources["rtm_spp"], sources["sced_lmp"])
            types = point_types(sources["rtm_spp"], coded.names)
            for day, part in fs.hourly_tables(coded, types):
                if day in batch:
                    fs.write_table(fs.hourly_path(store, day), part, **HOURLY_WRITE)
                    written.add(day)
                    rows += part.num_rows
        for day in set(batch) - written:
            fs.hourly_path(store, day).unlink(missing_ok=True)
    return rows


def prepare_days(stage_dir: Path, store: Path, first: date, last: date) -> Prepared | None:
    """The hourly prices and system tables that features of delivery days ``first``..``last``
    read (their history included), prepared; None when the store has no prices for them."""
    history = first - timedelta(days=REACH_DAYS + 8)
    prices = fs.read_hourly(store, history, last + timedelta(days=1), columns=HOURLY_COLUMNS)
    if prices.empty:
        return None
    span = [history + timedelta(days=k) for k in range((last - history).days + 1)]
    system = {t: read_days(stage_dir, t, span, c, False) for t, c in SYSTEM_COLUMNS.items()}
    sources = Sources(
        **{
            t: (f.to_pandas(date_as_object=False) if f is not None and f.num_rows else None)
            for t, f in system.items()
        }
    )
    return prepare(sources, prices=prices)


def inference_features(
    stage_dir: Path, store: Path, days: list[date], issue_time_utc: pd.Timestamp, rules: AsOfRules
) -> pd.DataFrame:
    """Features of every settlement point and hour of local delivery ``days``, as of
    ``issue_time_utc`` (batch inference): the same computation as the store's rows, at another
    issue time. The points are those with prices in the weeks before the days.

    Raises:
        ValueError: the store holds no hourly prices near the days (features not built yet).
    """
    prepared = prepare_days(stage_dir, store, min(days), max(days))
    if prepared is None:
        raise ValueError(
            f"no hourly prices in {store} for the {REACH_DAYS + 8} days before {min(days)}: "
            "build the features first (`ercot-dart features`)"
        )
    points = prepared.point_type.index.to_numpy()
    rows = pd.concat([inference_rows(points, d, issue_time_utc) for d in days], ignore_index=True)
    return build_features(prepared, rows, rules)


def build_month(
    stage_dir: Path, store: Path, month: str, days: list[date], rules: AsOfRules
) -> int:
    """Rebuild the features of delivery ``days`` (all in ``month``) and merge them into the
    month's partition, replacing those days' rows; returns rows written for those days."""
    first, last = min(days), max(days)
    prepared = prepare_days(stage_dir, store, first, last)
    if prepared is None:
        return 0
    rows = training_rows(prepared.prices, rules, first, last)
    rows = rows[local_day(rows["interval_start_utc"]).isin(pd.DatetimeIndex(days))]
    fresh = build_features(prepared, rows, rules) if len(rows) else None
    old = None
    starts = fs.read_month(store, month, columns=["interval_start_utc"])
    if starts is not None:
        keep = ~local_day(starts["interval_start_utc"]).isin(pd.DatetimeIndex(days))
        if keep.any():  # rows of other days stay: read them whole
            whole = fs.read_month(store, month)
            assert whole is not None, "the partition was there a moment ago"
            old = whole.loc[keep]
    parts = [f for f in (old, fresh) if f is not None and len(f)]
    if not parts:
        return 0
    merged = sort_rows(pd.concat(parts, ignore_index=True)) if len(parts) > 1 else parts[0]
    fs.write_parquet(fs.month_path(store, month), merged)
    return 0 if fresh is None else len(fresh)
