"""Batch inference: which delivery days a run predicts, and their predictions.

A run issued at time *t* predicts the next operating day whose DAM has not closed at *t*
(the DAM for day D closes at 10:00 Central on D − 1): before 10:00 that is tomorrow, after it
the day after. A given delivery date or a backfill range can be asked for instead; a day whose
DAM had already closed at *t* is predicted as it would have been issued in time (at the
training issue time, 09:00 Central on the day before), never with hindsight.

Features come from the raw stage and the feature store (:func:`inference_features`), the
scores from :func:`inference.scoring.score`: the code the scoring service runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from ercot_dart.ercot.timeconv import CENTRAL
from ercot_dart.features import store as fs
from ercot_dart.features.asof import AsOfRules, at_local, training_issue_time
from ercot_dart.features.update import inference_features
from inference.bundle import LoadedBundle
from inference.scoring import KEY, score, to_predictions

MAX_BACKFILL_DAYS = 366
MAX_PRICE_AGE_DAYS = 2
"""A target is refused when the store's latest hourly prices up to its issue day are older
than this (days): its features would be built from stale markets."""


@dataclass(frozen=True)
class Target:
    """One delivery day to predict, and the moment its features are known as of."""

    delivery_day: date
    issue_time_utc: pd.Timestamp

    def __str__(self) -> str:
        return f"{self.delivery_day} as of {self.issue_time_utc:%Y-%m-%dT%H:%MZ}"


def utc(moment: pd.Timestamp | str) -> pd.Timestamp:
    """A timestamp in UTC; a naive one is taken as UTC."""
    ts = pd.Timestamp(moment)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def dam_close(day: date, rules: AsOfRules) -> pd.Timestamp:
    """When the DAM for operating day ``day`` closes (UTC)."""
    return at_local(pd.DatetimeIndex([pd.Timestamp(day)]), rules.dam_close_local_time, -1)[0]


def next_delivery_day(issue_time_utc: pd.Timestamp, rules: AsOfRules) -> date:
    """The next operating day whose DAM is still open at ``issue_time_utc``."""
    local = utc(issue_time_utc).tz_convert(CENTRAL)
    day: date = local.date() + timedelta(days=1)
    return day if utc(issue_time_utc) < dam_close(day, rules) else day + timedelta(days=1)


def in_time(day: date, issue_time_utc: pd.Timestamp, rules: AsOfRules) -> Target:
    """``day`` as of ``issue_time_utc`` if its DAM is still open then, else as of the training
    issue time of ``day`` (what a run in time would have known)."""
    issue = utc(issue_time_utc)
    if issue < dam_close(day, rules):
        return Target(day, issue)
    first_hour = at_local(pd.DatetimeIndex([pd.Timestamp(day)]), pd.Timestamp(0).time(), 0)
    return Target(day, training_issue_time(first_hour, rules)[0])


def plan_targets(
    issue_time_utc: pd.Timestamp,
    rules: AsOfRules,
    delivery_date: date | None = None,
    backfill_start: date | None = None,
    backfill_end: date | None = None,
) -> list[Target]:
    """The delivery days a run predicts.

    Args:
        issue_time_utc: the run's issue time.
        delivery_date: one given day instead of the next open one.
        backfill_start, backfill_end: every day of this range (both needed), each as of the
            run's issue time or, for days already closed then, its training issue time.

    Raises:
        ValueError: a half-given or reversed backfill range, or both a date and a range.
    """
    if (backfill_start is None) != (backfill_end is None):
        raise ValueError("a backfill needs both backfill_start and backfill_end")
    if backfill_start is not None and backfill_end is not None:
        if delivery_date is not None:
            raise ValueError("give either delivery_date or a backfill range, not both")
        if backfill_end < backfill_start:
            raise ValueError(
                f"backfill_end {backfill_end} is before backfill_start {backfill_start}"
            )
        days = (backfill_end - backfill_start).days + 1
        if days > MAX_BACKFILL_DAYS:
            raise ValueError(f"a backfill of {days} days is longer than {MAX_BACKFILL_DAYS}")
        return [
            in_time(backfill_start + timedelta(days=k), issue_time_utc, rules) for k in range(days)
        ]
    if delivery_date is not None:
        return [in_time(delivery_date, issue_time_utc, rules)]
    return [Target(next_delivery_day(issue_time_utc, rules), utc(issue_time_utc))]


MAX_LEAD_DAYS = 2
"""Most days a delivery day may lie after its issue day: the models forecast the next open
day from features as of the day before; further ahead their inputs are unknown."""


def check_lead(target: Target) -> None:
    """Refuse a delivery day further ahead of its issue time than the models forecast.

    Raises:
        ValueError: naming the day, the issue time and the lead.
    """
    issued = target.issue_time_utc.tz_convert(CENTRAL).date()
    lead = (target.delivery_day - issued).days
    if lead > MAX_LEAD_DAYS:
        raise ValueError(
            f"{target.delivery_day} is {lead} days after its issue time "
            f"{target.issue_time_utc:%Y-%m-%dT%H:%MZ}: the models forecast the next delivery day "
            f"(at most {MAX_LEAD_DAYS} days ahead), so predict it once its day before has come"
        )


def check_prices(store: Path, target: Target) -> None:
    """Refuse a target whose issue day is more than :data:`MAX_PRICE_AGE_DAYS` after the
    store's latest hourly prices (a stale store, or a day far after the data).

    Raises:
        ValueError: naming the store, the target and the latest day of prices.
    """
    issued = target.issue_time_utc.tz_convert(CENTRAL).date()
    latest = max((d for d in fs.hourly_days(store) if d <= issued), default=None)
    if latest is None or (issued - latest).days > MAX_PRICE_AGE_DAYS:
        seen = f"its latest are of {latest}" if latest else "it has none"
        raise ValueError(
            f"{store} has no hourly prices within {MAX_PRICE_AGE_DAYS} days of the issue time of "
            f"{target} ({seen}): import newer ERCOT data and run `ercot-dart features`"
        )


def predict_target(
    stage_dir: Path, store: Path, bundle: LoadedBundle, target: Target, rules: AsOfRules
) -> pd.DataFrame:
    """Predictions of every settlement point and hour of the target day, in the prediction
    format (``inference.scoring.PREDICTION_COLUMNS``).

    The LSTM's earlier hours are the store's rows of the day before (what training saw) and,
    for hours the store does not hold yet (its DAM not yet published), the same hours'
    features as of the issue time.
    """
    day = target.delivery_day
    before = day - timedelta(days=1)
    check_lead(target)
    check_prices(store, target)
    frame = inference_features(stage_dir, store, [before, day], target.issue_time_utc, rules)
    local = frame["interval_start_utc"].dt.tz_convert(CENTRAL).dt.date
    rows = frame[local == day].reset_index(drop=True)
    if rows.empty:
        raise ValueError(f"no settlement point has recent prices in {store} for {target}")
    history = frame[local == before]
    start, end = history["interval_start_utc"].min(), rows["interval_start_utc"].min()
    if len(history):
        stored = fs.read_features(store, start, end, columns=list(history.columns))
        known = history.set_index(KEY).index.isin(stored.set_index(KEY).index)
        history = pd.concat([stored, history[~known]], ignore_index=True)
    scored = score(bundle, rows, history)
    return to_predictions(scored, bundle.bundle_id, bundle.models)
