"""Tasks of the monitor: source freshness, realized accuracy, drift, incidents, the report.
Those that touch the database or the blob store retry transient errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from ercot_dart.db.engine import make_engine
from ercot_dart.ercot.timeconv import CENTRAL
from ercot_dart.features import store as fs
from ercot_dart.features.catalog import FEATURES
from ercot_dart.monitor import accuracy as acc
from ercot_dart.monitor import freshness
from ercot_dart.monitor.alerts import Changes, reconcile
from ercot_dart.monitor.tables import read_accuracy, write_accuracy
from ercot_dart.publish.blob import open_blob_store
from ercot_dart.publish.sql import read_predictions
from ercot_dart.settings import get_settings
from tasks.retry import RETRIES


@task(cache_policy=NO_CACHE, **RETRIES)
def check_freshness(db_url: str, moment: pd.Timestamp) -> pd.DataFrame:
    """How fresh each source table is at ``moment`` (``freshness.FRESHNESS_COLUMNS``)."""
    engine = make_engine(db_url, create=False)
    try:
        observed = freshness.observe(engine, moment)
    finally:
        engine.dispose()
    report = freshness.evaluate(observed, moment, get_settings().freshness_limits)
    log = get_run_logger()
    for r in report.itertuples():
        if r.status != "ok":
            log.warning("%s: %s %s", r.table, r.status, r.detail)
    return report


@task(cache_policy=NO_CACHE, **RETRIES)
def measure_accuracy(
    predictions_url: str, store: Path, as_of: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Realized predictions of the last ``monitor_history_days`` and their daily accuracy,
    which is upserted into ``accuracy_dart_spread``. Returns (realized rows, daily accuracy)."""
    settings = get_settings()
    history, window = settings.monitor_history_days, settings.monitor_window_days
    last = as_of.tz_convert(CENTRAL).date()
    first = last - timedelta(days=history + window)
    since = pd.Timestamp(first).tz_localize(CENTRAL).tz_convert("UTC")
    engine = make_engine(predictions_url)
    try:
        predictions = read_predictions(engine, since=since, until=as_of)
        truth = (
            fs.read_features(store, since, as_of, columns=[*acc.KEY, "dart", acc.BASELINE])
            if fs.months(store)
            else pd.DataFrame(columns=[*acc.KEY, "dart", acc.BASELINE])
        )
        realized = acc.realized(predictions, truth, settings.asof_rules)
        days = [last - timedelta(days=k) for k in range(history, -1, -1)]
        daily = acc.daily_accuracy(realized, days, window)
        if len(daily):
            write_accuracy(engine, daily)
    finally:
        engine.dispose()
    get_run_logger().info(
        "%d realized prediction rows; accuracy of %d day(s) written",
        len(realized),
        daily["day"].nunique(),
    )
    return realized, daily


@task(cache_policy=NO_CACHE, **RETRIES)
def retrain_trigger(predictions_url: str, as_of: pd.Timestamp) -> str | None:
    """Why the models should be retrained now (realized accuracy below the baseline for
    ``retrain_after_days`` days), or None."""
    settings = get_settings()
    since = as_of.tz_convert(CENTRAL).date() - timedelta(days=settings.retrain_after_days + 2)
    engine = make_engine(predictions_url)
    try:
        daily = read_accuracy(engine, since)
    finally:
        engine.dispose()
    daily = daily[daily["window_days"] == settings.monitor_window_days]
    return acc.retrain_reason(daily, settings.retrain_after_days)


STRUCTURAL = {f.name for f in FEATURES if f.source in ("calendar", "issue time")} | {"point_type"}
"""Features that differ between windows by construction (the calendar, the lead time, the point
type): left out of drift."""


@task(cache_policy=NO_CACHE)
def measure_drift(
    store: Path, bundle_dir: Path, as_of: pd.Timestamp, published: pd.DataFrame
) -> pd.DataFrame:
    """Drift of the bundle's features (the calendar's aside) and of the ensemble's predictions:
    the last ``drift_window_days`` against the days its deployed models were fitted on."""
    from ercot_dart.monitor.drift import drift_table
    from inference.bundle import load_bundle
    from inference.scoring import score

    settings = get_settings()
    bundle = load_bundle(bundle_dir)
    features = list(bundle.pre.columns)
    window = bundle.manifest["training_window"]
    # the days the deployed models were fitted on: a refit's every day up to the test end
    first, last = (bundle.manifest.get("refit") or {}).get("days") or (
        window["train_start"],
        window["train_end"],
    )
    start = pd.Timestamp(first).tz_localize(CENTRAL).tz_convert("UTC")
    end = pd.Timestamp(last) + pd.Timedelta(days=1)
    end = end.tz_localize(CENTRAL).tz_convert("UTC")
    reference = fs.read_features(store, start, end)
    if len(reference) > 20_000:  # a seeded, contiguous-per-point sample keeps the LSTM's windows
        points = reference["settlement_point"].unique()
        rng = np.random.default_rng(0)
        keep = rng.choice(
            points, size=max(1, len(points) * 20_000 // len(reference)), replace=False
        )
        reference = reference[reference["settlement_point"].isin(keep)]
    current = fs.read_features(store, as_of - pd.Timedelta(days=settings.drift_window_days), as_of)
    table = drift_table(
        reference,
        current,
        [c for c in features if c in reference and c in current and c not in STRUCTURAL],
        settings.drift_psi_threshold,
        settings.drift_pvalue_threshold,
    )
    ens = published[published["model"] == "ensemble"] if len(published) else published
    if len(reference) and len(ens):
        ref_pred = score(bundle, reference.reset_index(drop=True))[["ensemble"]]
        cur_pred = ens[["prediction"]].rename(columns={"prediction": "ensemble"})
        pred = drift_table(
            ref_pred, cur_pred, ["ensemble"], settings.drift_psi_threshold,
            settings.drift_pvalue_threshold,
        )  # fmt: skip
        pred["feature"] = "prediction (ensemble)"
        table = pd.concat([pred, table], ignore_index=True)
    return table


@task(cache_policy=NO_CACHE, **RETRIES)
def record_incidents(
    predictions_url: str, active: dict[str, str], now: pd.Timestamp, scope: str = ""
) -> Changes:
    """Open, keep and close incidents (``monitor_incidents``) whose key starts with ``scope``:
    what to tell people."""
    engine = make_engine(predictions_url)
    try:
        return reconcile(engine, active, now, scope)
    finally:
        engine.dispose()


@task(cache_policy=NO_CACHE, **RETRIES)
def publish_report(html: str, as_of: pd.Timestamp) -> str:
    """The report next to the predictions: ``reports/YYYY/MM/DD/report.html`` (local day)."""
    blob = open_blob_store(get_settings())
    key = f"reports/{as_of.tz_convert(CENTRAL):%Y/%m/%d}/report.html"
    blob.put(key, html.encode("utf-8"))
    return blob.url(key)
