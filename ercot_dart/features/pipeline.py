"""The feature build in one process, without Prefect: what ``ercot-dart features`` runs.

The Prefect flow ``build_features`` (``flows/build_features.py``) runs the same steps as tasks
mapped over tables and months, so it can fan out on a work pool or a Dask cluster; this is the
quick path for a laptop and for benchmarks (no API server to start).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ercot_dart.db.engine import make_engine
from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.features import store as fs
from ercot_dart.features.asof import AsOfRules
from ercot_dart.features.build import require_prices
from ercot_dart.features.source import check, record
from ercot_dart.features.update import REACH_DAYS, build_month, plan_update, refresh_hourly
from ercot_dart.stage.extract import TableExtract, extract_table


@dataclass
class FeatureBuild:
    """What one feature build did."""

    rows_extracted: int
    days_extracted: int
    missing_sources: list[str]
    hourly_days: int
    feature_days: int
    feature_rows: int
    months: list[str]
    store: str

    def summary(self) -> str:
        missing = (
            f"; missing sources: {', '.join(self.missing_sources)}" if self.missing_sources else ""
        )
        return (
            f"extracted {self.rows_extracted:,} rows ({self.days_extracted} table-days); rebuilt "
            f"{self.feature_days} delivery day(s) in {len(self.months)} month(s), "
            f"{self.feature_rows:,} rows in {self.store}{missing}"
        )

    @classmethod
    def of(
        cls,
        extracts: list[TableExtract],
        hourly_days: int,
        months: dict[str, list[date]],
        rows: int,
        store: Path,
    ) -> FeatureBuild:
        return cls(
            rows_extracted=sum(e.rows for e in extracts),
            days_extracted=sum(len(e.days) for e in extracts),
            missing_sources=[str(e.table) for e in extracts if e.missing],
            hourly_days=hourly_days,
            feature_days=sum(len(d) for d in months.values()),
            feature_rows=rows,
            months=list(months),
            store=str(store),
        )


def extract_start(start: date | None) -> date | None:
    """First operating day to extract for a build of delivery days from ``start`` on.

    ``REACH_DAYS`` earlier: the first rows' lags, rolling windows, same-hour medians and forecast
    vintages (posted the days before) read that far back, so on a fresh stage extracting from
    ``start`` itself would build them from partial history. The store still gets rows from
    ``start`` on only (:func:`~ercot_dart.features.update.plan_update` keeps to it).
    """
    return None if start is None else start - timedelta(days=REACH_DAYS)


def update_features(
    db_url: str,
    stage_dir: Path,
    store: Path,
    rules: AsOfRules,
    *,
    start: date | None = None,
    end: date | None = None,
    lookback_days: int = 3,
    progress: Callable[[str], None] | None = None,
) -> FeatureBuild:
    """Extract what is new, refresh hourly prices, rebuild the affected feature months.

    Args:
        start, end: first and last local delivery day whose features are built (default all);
            the extract reaches ``REACH_DAYS`` before ``start`` for their history.
    """
    say = progress or (lambda _msg: None)
    first = extract_start(start)
    engine = make_engine(db_url, create=False)
    check(db_url, stage_dir, store)
    try:
        extracts = []
        for table in SourceTable:
            say(f"extract {table}")
            extracts.append(
                extract_table(
                    engine, stage_dir, table, start=first, end=end, lookback_days=lookback_days
                )
            )
    finally:
        engine.dispose()
    if not all(e.missing for e in extracts):  # data was read from it: now they are its
        record(db_url, stage_dir, store)
    require_prices([str(e.table) for e in extracts if e.missing])
    fs.migrate_layout(store)
    plan = plan_update(stage_dir, store, {str(e.table): e.days for e in extracts}, start, end)
    say(f"hourly prices of {len(plan.hourly_days)} day(s)")
    refresh_hourly(stage_dir, store, plan.hourly_days)
    rows = 0
    for month, days in plan.months.items():
        say(f"features {month}")
        rows += build_month(stage_dir, store, month, days, rules)
    return FeatureBuild.of(extracts, len(plan.hourly_days), plan.months, rows, store)
