"""Flow ``dart-pipeline``: build features → (retrain) → batch inference → publish.

``retrain=false`` (the hourly deployment) skips training and scores with the champion. The
steps are subflows; with results persisted, a run retried from the Prefect UI reuses the
subflows that had completed and redoes only the rest. A failed run sends a failure notice, except
when it stopped on a stale source: that is an incident, alerted once and again when it clears.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from ercot_dart.monitor.freshness import StaleSourceError, problems
from ercot_dart.predict import check_lead, plan_targets, utc
from ercot_dart.registry import open_registry
from ercot_dart.settings import get_settings
from flows.batch_inference import batch_inference, run_issue_time
from flows.build_features import build_features
from flows.failure import SCHEDULED
from flows.monitor import alert_freshness, monitor
from flows.publish_predictions import publish_predictions
from flows.train_models import train_models
from tasks.monitor import check_freshness, retrain_trigger

CHAMPION_MIN_AGE = pd.Timedelta(hours=20)
"""A champion younger than this is not retrained by the accuracy trigger (one retrain a day)."""


FEATURE_STORE_LIMIT = "ercot-dart-feature-store"


def feature_store_lock() -> Any:
    """One feature build at a time across every deployment: a Prefect global concurrency limit
    of one slot (created when missing), held while the store is written."""
    from prefect.client.orchestration import get_client
    from prefect.concurrency.sync import concurrency
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(FEATURE_STORE_LIMIT)
        except ObjectNotFound:
            client.upsert_global_concurrency_limit_by_name(FEATURE_STORE_LIMIT, 1)
    return concurrency(FEATURE_STORE_LIMIT, occupy=1, strict=True, lease_duration=3600)


def champion_age(settings: Any) -> pd.Timedelta:
    """How old the champion bundle is (infinite when there is none)."""
    registry = open_registry(settings)
    champion = registry.champion()
    if champion is None:
        return pd.Timedelta.max
    created = pd.Timestamp(registry.manifest(champion)["created_at"])
    return pd.Timestamp.now("UTC") - created.tz_convert("UTC")


def summarize(markdown: str) -> None:
    """The ``dart-run-summary`` artifact (one that cannot be written is logged: it must not
    hide the run's own result or error). Its lines also go to the run's log, which
    ``prefect deployment run --watch`` and the run's page show first."""
    log = get_run_logger()
    for line in markdown.splitlines()[2:]:
        log.info(line.removeprefix("- "))
    try:
        create_markdown_artifact(
            key="dart-run-summary",
            markdown=markdown,
            description="Whether and why this run retrained; what it published or why it stopped",
        )
    except Exception as exc:
        log.warning("run summary artifact not written: %s", exc)


def run_summary(issue: pd.Timestamp, retrain: str, result: dict | None, error: str | None) -> str:
    """The run's markdown summary: issue time, whether and why it retrained, what it published
    (or why it stopped)."""
    lines = ["# dart-pipeline run", "", f"- issue time: {issue:%Y-%m-%d %H:%M} UTC", f"- {retrain}"]
    if result is not None:
        trained = result.get("trained")
        if trained:
            lines.append(f"- bundle {trained['bundle_id']}: {trained['reason']}")
        lines.append(
            f"- scored with bundle `{result['bundle_id']}`: {result.get('rows', 0):,} rows for "
            f"{', '.join(result.get('targets', result['days']))}"
        )
        lines += [f"- published to {blob}" for blob in result.get("blobs", [])]
        if result.get("table"):
            lines.append(f"- and to the table {result['table']}")
    if error is not None:
        lines.append(f"- stopped: {error}")
    return "\n".join(lines)


@flow(name="dart-pipeline", **SCHEDULED)
def dart_pipeline(
    retrain: bool = False,
    delivery_date: date | None = None,
    backfill_start: date | None = None,
    backfill_end: date | None = None,
    issue_time: datetime | None = None,
    quick: bool = False,
) -> dict:
    """The whole pipeline once.

    Args:
        retrain: train, evaluate and register a new bundle first (promoted only if not worse
            than the champion); false scores with the champion.
        delivery_date: predict this local delivery day (default: the next one whose DAM is open).
        backfill_start, backfill_end: predict every day of this range instead.
        issue_time: what the features are as of (default: the run's scheduled start).
        quick: small models (the demo and tests).
    """
    log = get_run_logger()
    settings = get_settings()
    issue = utc(issue_time) if issue_time is not None else run_issue_time()
    decision = "retrained: requested (retrain=true)" if retrain else "not retrained"
    try:
        # the days asked for are checked first, not after minutes of training
        for target in plan_targets(
            issue, settings.asof_rules, delivery_date, backfill_start, backfill_end
        ):
            check_lead(target)
        fresh = check_freshness(settings.source_url, issue)
        alerted = alert_freshness(fresh, issue)  # once per incident, and when it clears
        stale = problems(fresh)
        if stale and settings.freshness_enforce:
            raise StaleSourceError(
                f"stale sources at {issue:%Y-%m-%dT%H:%MZ}: {'; '.join(stale)}. The run stops "
                "rather than publish predictions made from old data "
                "(ERCOT_DART_FRESHNESS_ENFORCE=false goes on regardless)",
                alerted=alerted,
            )
        reason = None
        if not retrain:
            try:
                reason = retrain_trigger(settings.predictions_url, issue)
            except Exception as exc:  # the accuracy table is the monitor's; predicting goes on
                log.warning("realized accuracy unreadable, no retraining on it: %s", exc)
            if reason and champion_age(settings) > CHAMPION_MIN_AGE:
                log.warning("retraining although retrain=false: %s", reason)
                retrain = True
                decision = f"retrained although retrain=false: {reason}"
            elif reason:
                decision = f"not retrained, the champion is younger than 20 h, although: {reason}"
        with feature_store_lock():  # daily, hourly and backfill runs share one feature store
            built = build_features()
        trained = train_models(quick=quick) if retrain else None
        if trained is not None:
            log.info("bundle %s: %s", trained["bundle_id"], trained["reason"])
        predicted = batch_inference(
            issue_time=issue.to_pydatetime(),
            delivery_date=delivery_date,
            backfill_start=backfill_start,
            backfill_end=backfill_end,
        )
        caveats = (
            [f"made from stale sources (ERCOT_DART_FRESHNESS_ENFORCE=false): {'; '.join(stale)}"]
            if stale
            else None
        )
        published = publish_predictions(predicted["staged"], caveats=caveats)
    except Exception as exc:
        summarize(run_summary(issue, decision, None, f"{type(exc).__name__}: {exc}"))
        raise
    monitored = None
    if retrain:  # the daily run also monitors (the hourly monitor has its own deployment)
        try:
            monitored = monitor(as_of=issue.to_pydatetime())
        except Exception as exc:  # published all the same; the monitor run shows the failure
            log.error("the monitor failed: %s", exc)
    result = {
        "monitor": monitored,
        "issue_time_utc": predicted["issue_time_utc"],
        "days": predicted["days"],
        "targets": predicted["targets"],
        "bundle_id": predicted["bundle_id"],
        "feature_rows": built["feature_rows"],
        "trained": trained,
        "retrain_reason": reason,
        "retrain_decision": decision,
        **published,
    }
    summarize(run_summary(issue, decision, result, None))
    return result
