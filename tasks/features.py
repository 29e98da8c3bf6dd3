"""Tasks of the feature build: extract one source table, refresh hourly prices of some days,
rebuild one month of features. Each is idempotent: rerun, it rewrites the same partitions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import get_run_logger, task

from ercot_dart.db.engine import make_engine
from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.features.asof import AsOfRules
from ercot_dart.features.store import migrate_layout
from ercot_dart.features.update import UpdatePlan, build_month, plan_update, refresh_hourly
from ercot_dart.stage.extract import TableExtract, extract_table
from tasks.retry import RETRIES


@task(task_run_name="extract-{table}", **RETRIES)
def extract_source(
    db_url: str,
    stage_dir: Path,
    table: SourceTable,
    start: date | None,
    end: date | None,
    lookback_days: int,
) -> TableExtract:
    """Bring one source table's raw stage up to date (only new or corrected days)."""
    engine = make_engine(db_url, create=False)
    try:
        result = extract_table(
            engine, stage_dir, table, start=start, end=end, lookback_days=lookback_days
        )
    finally:
        engine.dispose()
    log = get_run_logger()
    if result.missing:
        log.warning("source %s is missing or empty: its features are left out", table)
    else:
        log.info("%s: %d rows in %d day(s) extracted", table, result.rows, len(result.days))
    return result


@task
def plan_features(
    stage_dir: Path, store: Path, extracts: list[TableExtract], start: date | None, end: date | None
) -> UpdatePlan:
    """Which hourly days and feature months the new data touches."""
    changed = {str(e.table): e.days for e in extracts}
    migrate_layout(store)  # before any month is rebuilt
    return plan_update(stage_dir, store, changed, start, end)


@task(task_run_name="hourly-{label}")
def hourly_prices(stage_dir: Path, store: Path, days: list[date], label: str) -> int:
    """Recompute the hourly prices of some operating days."""
    return refresh_hourly(stage_dir, store, days)


@task(task_run_name="features-{month}")
def feature_month(
    stage_dir: Path, store: Path, month: str, days: list[date], rules: AsOfRules
) -> int:
    """Rebuild one month's features for the given delivery days."""
    rows = build_month(stage_dir, store, month, days, rules)
    get_run_logger().info("%s: %d rows for %d day(s)", month, rows, len(days))
    return rows
