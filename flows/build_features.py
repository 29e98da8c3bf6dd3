"""Flow ``build_features``: source tables → raw stage → hourly prices → feature store.

Partitions are tasks mapped over (tables, then months), so the same flow runs on the default
task runner or on a Dask cluster (``ERCOT_DART_TASK_RUNNER=dask``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, unmapped
from prefect.artifacts import create_progress_artifact, update_progress_artifact

from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.features.build import MissingSourceError, require_prices
from ercot_dart.features.pipeline import FeatureBuild, extract_start
from ercot_dart.features.source import check, record
from ercot_dart.settings import get_settings
from tasks.features import extract_source, feature_month, hourly_prices, plan_features


@flow(name="build_features", log_prints=True)
def build_features(
    start: date | None = None,
    end: date | None = None,
    db_url: str | None = None,
    stage_dir: str | None = None,
    store: str | None = None,
    lookback_days: int | None = None,
) -> dict:
    """Bring the feature store up to date with the source database.

    Args:
        start, end: first and last delivery day (local) to build; default all. The extract
            reaches back ``REACH_DAYS`` before ``start`` for the history its features read.
        db_url: source database (default from settings).
        stage_dir, store: raw stage and feature store folders (default from settings).
        lookback_days: days re-checked for corrections (default from settings).
    """
    settings = get_settings()
    url = db_url or settings.source_url
    stage = Path(stage_dir) if stage_dir else settings.stage_root
    out = Path(store) if store else settings.feature_store_dir
    lookback = settings.lookback_days if lookback_days is None else lookback_days
    log = get_run_logger()
    check(url, stage, out)  # before anything is extracted into them

    extracts = extract_source.map(
        unmapped(url),
        unmapped(stage),
        list(SourceTable),
        unmapped(extract_start(start)),
        unmapped(end),
        unmapped(lookback),
    ).result()
    if not all(e.missing for e in extracts):  # data was read from it: now they are its
        record(url, stage, out)
    missing = [str(e.table) for e in extracts if e.missing]
    try:
        require_prices(missing)
    except MissingSourceError as exc:
        raise MissingSourceError(f"{exc} (database {url})") from None
    if missing:
        log.warning("missing sources, their features are left out: %s", ", ".join(missing))

    plan = plan_features(stage, out, extracts, start, end)
    by_month: dict[str, list[date]] = defaultdict(list)
    for day in plan.hourly_days:
        by_month[day.strftime("%Y-%m")].append(day)
    hourly_prices.map(
        unmapped(stage), unmapped(out), list(by_month.values()), list(by_month)
    ).result()
    months = list(plan.months)
    futures = feature_month.map(
        unmapped(stage),
        unmapped(out),
        months,
        [plan.months[m] for m in months],
        unmapped(settings.asof_rules),
    )
    rows = []
    progress = (
        create_progress_artifact(0.0, description="Feature months rebuilt") if months else None
    )
    for done, future in enumerate(futures, start=1):
        rows.append(future.result())
        if progress is not None:
            update_progress_artifact(progress, 100.0 * done / len(months))

    build = FeatureBuild.of(extracts, len(plan.hourly_days), plan.months, sum(rows), out)
    log.info(build.summary())
    return asdict(build)


def keep_malloc_trim_default() -> None:
    """Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536, which fixes glibc's mmap
    threshold: every large numpy temporary is then mapped and unmapped afresh, and the page
    faults cost the feature build ~40 % more CPU (benchmarks/features.py). Drop that one
    variable from the workers' environment; Dask's other settings are kept."""
    import dask

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    dask.config.set({"distributed.nanny.pre-spawn-environ": environ})


def with_task_runner(kind: str, workers: int = 2):  # type: ignore[no-untyped-def]
    """``build_features`` on the given task runner: ``threads`` or ``dask`` (local cluster)."""
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        keep_malloc_trim_default()

        runner = DaskTaskRunner(
            cluster_kwargs={
                "n_workers": workers,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": None,
            }
        )
        return build_features.with_options(task_runner=runner)
    return build_features
