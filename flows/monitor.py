"""Flow ``monitor``: how the published predictions did, drift, source freshness, alerts and the
daily report. Hourly after real-time prices settle (deployment ``dart-monitor``) and at the end
of the daily pipeline run. A run that fails sends the failure notice, as ``dart-pipeline`` does,
after alerting what it could measure."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from prefect import flow, get_run_logger
from prefect.artifacts import create_link_artifact, create_table_artifact

from ercot_dart.monitor.accuracy import ALL, calibration_problem
from ercot_dart.monitor.alerts import Changes, alert_messages
from ercot_dart.monitor.freshness import problems
from ercot_dart.monitor.incidents import (
    ACCURACY,
    CALIBRATION,
    FRESHNESS,
    freshness_incidents,
    incidents,
)
from ercot_dart.predict import utc
from ercot_dart.registry import open_registry
from ercot_dart.settings import get_settings
from flows.batch_inference import run_issue_time
from flows.failure import SCHEDULED
from tasks.inference import fetch_champion
from tasks.monitor import (
    check_freshness,
    measure_accuracy,
    measure_drift,
    publish_report,
    record_incidents,
    retrain_trigger,
)
from tasks.publish import broadcast


def send_alerts(changes: Changes) -> None:
    """Tell every channel what opened and what recovered (nothing when nothing changed); a
    message that cannot be delivered after its retries is logged."""
    if changes.replay:
        get_run_logger().info(
            "incidents not changed: a later moment was already checked (a replay or a late run)"
        )
    for message in alert_messages(changes):
        broadcast(message, get_run_logger(), "alert")


def alert_freshness(freshness: pd.DataFrame, moment: pd.Timestamp) -> bool:
    """Record the freshness incidents of a pipeline run (only those: drift and accuracy are the
    monitor's) and alert what opened or recovered. False when they could not be recorded."""
    try:
        changes = record_incidents(
            get_settings().predictions_url, freshness_incidents(freshness), moment, FRESHNESS
        )
    except Exception as exc:
        get_run_logger().error("freshness incidents not recorded: %s", exc)
        return False
    send_alerts(changes)
    return not changes.replay  # a replay alerted nothing: its stop sends the failure notice


@flow(name="monitor", **SCHEDULED)
def monitor(as_of: datetime | None = None) -> dict:
    """Measure, alert (once per incident, and on recovery) and publish the report.

    Args:
        as_of: the moment monitored (default: this run's scheduled start).
    """
    from ercot_dart.monitor.report import ReportData, render_report

    settings = get_settings()
    log = get_run_logger()
    moment = utc(as_of) if as_of is not None else run_issue_time()
    fresh = check_freshness(settings.source_url, moment)
    realized, daily = measure_accuracy(settings.predictions_url, settings.feature_store_dir, moment)
    reason = retrain_trigger(settings.predictions_url, moment)
    bands = calibration_problem(
        daily,
        settings.monitor_window_days,
        settings.calibration_coverage_min,
        settings.calibration_coverage_max,
        settings.calibration_min_rows,
    )
    try:
        registry = open_registry(settings)
        bundle_dir = fetch_champion(None, settings.data_dir / "bundles")
        published = realized[realized["model"] == "ensemble"] if len(realized) else realized
        drift = measure_drift(settings.feature_store_dir, bundle_dir, moment, published)
    except Exception:  # what was measured is alerted all the same; drift incidents stay as they are
        measured = incidents(fresh, pd.DataFrame(), reason, bands)
        try:
            for scope in (FRESHNESS, ACCURACY, CALIBRATION):
                send_alerts(record_incidents(settings.predictions_url, measured, moment, scope))
        except Exception as exc:  # logged: the run fails with its own error
            log.error("incidents not recorded: %s", exc)
        raise

    changes = record_incidents(
        settings.predictions_url, incidents(fresh, drift, reason, bands), moment
    )
    send_alerts(changes)
    # every open incident, whether this run opened it, saw it go on, or was a replay
    open_alerts = [changes.opened.get(k, f"(ongoing) {k}") for k in changes.open]

    html = render_report(
        ReportData(
            title=f"ercot-dart daily report {moment.tz_convert('America/Chicago'):%Y-%m-%d}",
            generated_at=moment,
            bundle_id=str(registry.champion()),
            realized=realized,
            accuracy=daily,
            drift=drift,
            freshness=fresh,
            alerts=open_alerts,
        )
    )
    url = publish_report(html, moment)
    create_link_artifact(
        key="dart-report", link=url if "://" in url else f"file://{url}", description="Daily report"
    )
    latest = daily[(daily["settlement_point"] == ALL)] if len(daily) else daily
    if len(latest):
        latest = latest[latest["day"] == latest["day"].max()]
        create_table_artifact(
            key="dart-realized-accuracy",
            table=[
                {k: (round(v, 4) if isinstance(v, float) else str(v)) for k, v in r.items()}
                for r in latest.to_dict("records")
            ],
            description=f"Realized accuracy, last {settings.monitor_window_days} delivery days",
        )
    log.info(
        "monitor as of %s: %d realized rows, %d drifted, %d incident(s) opened, %d recovered; report %s",
        moment, len(realized), int(drift["drifted"].sum()) if len(drift) else 0,
        len(changes.opened), len(changes.recovered), url,
    )  # fmt: skip
    return {
        "report": url,
        "realized_rows": len(realized),
        "opened": sorted(changes.opened),
        "recovered": sorted(changes.recovered),
        "ongoing": changes.ongoing,
        "open": sorted(changes.open),
        "replay": changes.replay,
        "retrain_reason": reason,
        "stale": problems(fresh),
    }
