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
import pyarrow.dataset as ds

from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.features import store as fs
from ercot_dart.features.asof import AsOfRules, local_day
from ercot_dart.features.build import (
    PRICE_TABLES,
    Sources,
    build_features,
    hourly_point_prices,
    prepare,
    training_rows,
)
from ercot_dart.stage.layout import day_dirs, part_path
from ercot_dart.stage.partitions import read_stage

# A row's features reach 31 days back (28-day windows, same-hour history); read a margin more.
REACH_DAYS = 32
SYSTEM_TABLES = [t.value for t in SourceTable if t.value not in PRICE_TABLES]


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


def _read_days(stage_dir: Path, table: str, days: list[date]) -> pd.DataFrame:
    """The staged rows of ``table`` for exactly ``days`` (missing days are skipped)."""
    files = [str(p) for d in days if (p := part_path(stage_dir, table, d)).is_file()]
    if not files:
        return pd.DataFrame()
    return ds.dataset(files, format="parquet").to_table().to_pandas()


def refresh_hourly(stage_dir: Path, store: Path, days: Iterable[date], batch_days: int = 16) -> int:
    """Recompute the cached hourly prices of operating ``days``; returns rows written.

    Days are read and aggregated in batches (vectorised work on many days at once) and written
    back one file per operating day.
    """
    ordered = sorted(set(days))
    rows = 0
    for i in range(0, len(ordered), batch_days):
        batch = ordered[i : i + batch_days]
        frames = {t: _read_days(stage_dir, t, batch) for t in PRICE_TABLES}
        sources = Sources(**{t: (f if not f.empty else None) for t, f in frames.items()})
        if sources.dam_spp is None and sources.rtm_spp is None and sources.sced_lmp is None:
            prices = pd.DataFrame(columns=["delivery_date"])
        else:
            if sources.dam_spp is None:
                sources.dam_spp = pd.DataFrame(
                    columns=[
                        "DeliveryDate",
                        "HourEnding",
                        "SettlementPoint",
                        "SettlementPointPrice",
                        "DSTFlag",
                    ]
                )
            prices = hourly_point_prices(sources)
        by_day = dict(
            iter(prices.groupby(pd.to_datetime(prices["delivery_date"]).dt.date, sort=False))
        )
        for day in batch:
            path = fs.hourly_path(store, day)
            part = by_day.get(day)
            if part is None or part.empty:
                path.unlink(missing_ok=True)
                continue
            fs.write_parquet(path, part.reset_index(drop=True))
            rows += len(part)
    return rows


def build_month(
    stage_dir: Path, store: Path, month: str, days: list[date], rules: AsOfRules
) -> int:
    """Rebuild the features of delivery ``days`` (all in ``month``) and merge them into the
    month's partition, replacing those days' rows; returns rows written for those days."""
    first, last = min(days), max(days)
    history = first - timedelta(days=REACH_DAYS + 8)
    prices = fs.read_hourly(store, history, last + timedelta(days=1))
    if prices.empty:
        return 0
    system = {t: read_stage(stage_dir, t, history, last).to_pandas() for t in SYSTEM_TABLES}
    sources = Sources(**{t: (f if not f.empty else None) for t, f in system.items()})
    prepared = prepare(sources, prices=prices)
    rows = training_rows(prices, rules, first, last)
    rows = rows[local_day(rows["interval_start_utc"]).isin(pd.DatetimeIndex(days))]
    fresh = build_features(prepared, rows, rules) if len(rows) else None
    old = fs.read_month(store, month)
    if old is not None:
        keep = ~local_day(old["interval_start_utc"]).isin(pd.DatetimeIndex(days))
        old = old.loc[keep]
    parts = [f for f in (old, fresh) if f is not None and len(f)]
    if not parts:
        return 0
    merged = pd.concat(parts, ignore_index=True).sort_values(
        ["settlement_point", "interval_start_utc"], ignore_index=True
    )
    fs.write_parquet(fs.month_path(store, month), merged)
    return 0 if fresh is None else len(fresh)
