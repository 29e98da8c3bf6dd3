"""Realized accuracy of published predictions, as real-time prices arrive. Pure.

For each (settlement point, delivery hour, model) the prediction scored is the one a trader
acts on: the latest issued before that day's DAM closed. It is joined with the realized DART
and with the 7-day same-hour median known at issue time (the baseline, from the feature store),
and metrics are computed per local delivery day over a trailing window, overall (``ALL``) and
per settlement point, for each model, the ensemble and both baselines.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from ercot_dart.ercot.timeconv import CENTRAL
from ercot_dart.features.asof import AsOfRules, at_local, local_day
from ercot_dart.models.metrics import metrics

KEY = ["settlement_point", "interval_start_utc"]
BASELINE = "dart_same_hour_median_7d"
BASELINES = {"baseline_zero": None, "baseline_same_hour_median_7d": BASELINE}
ALL = "ALL"
ACCURACY_COLUMNS = [
    "day",
    "window_days",
    "model",
    "settlement_point",
    "rows",
    "mae",
    "rmse",
    "sign_accuracy",
    "coverage_p10_p90",
    "pnl_per_mwh",
]


def tradable(predictions: pd.DataFrame, rules: AsOfRules) -> pd.DataFrame:
    """Per (point, hour, model), the latest prediction issued before the DAM of its day closed."""
    day = local_day(predictions["interval_start_utc"])
    close = at_local(day, rules.dam_close_local_time, -1)
    frame = predictions.loc[np.asarray(predictions["issue_time_utc"] < close)]
    frame = frame.sort_values("issue_time_utc")
    return frame.drop_duplicates([*KEY, "model"], keep="last").reset_index(drop=True)


def realized(predictions: pd.DataFrame, truth: pd.DataFrame, rules: AsOfRules) -> pd.DataFrame:
    """Tradable predictions with their realized DART, plus rows for the two baselines.

    Args:
        predictions: rows in the prediction format.
        truth: ``settlement_point``, ``interval_start_utc``, ``dart`` (realized; NaN while
            unknown) and ``dart_same_hour_median_7d`` (feature-store rows).

    Returns:
        ``settlement_point, interval_start_utc, model, prediction, p10, p90, realized`` for rows
        whose DART is known.
    """
    cols = [*KEY, "model", "prediction", "p10", "p90"]
    pred = tradable(predictions, rules)[cols]
    truth = truth[[*KEY, "dart", BASELINE]].drop_duplicates(KEY, keep="last")
    joined = pred.merge(truth, on=KEY, how="inner")
    joined = joined[np.isfinite(joined["dart"].to_numpy("float64"))]
    hours = joined.drop_duplicates(KEY)[[*KEY, "dart", BASELINE]]
    baselines = [
        hours.assign(
            model=name,
            prediction=0.0 if col is None else hours[col].astype("float64"),
            p10=np.nan,
            p90=np.nan,
        )
        for name, col in BASELINES.items()
    ]
    out = pd.concat([joined, *baselines], ignore_index=True)
    return out.rename(columns={"dart": "realized"})[[*cols, "realized"]]


def daily_accuracy(frame: pd.DataFrame, days: list[date], window_days: int) -> pd.DataFrame:
    """Metrics for each day of ``days`` over the ``window_days`` local delivery days ending
    there, per model, overall (``ALL``) and per settlement point (``ACCURACY_COLUMNS``). A day
    without realized rows of its own has none: its window would only repeat the day before's,
    and "worse on N days in a row" must mean N days of evidence."""
    if frame.empty:
        return pd.DataFrame(columns=ACCURACY_COLUMNS)
    delivery = frame["interval_start_utc"].dt.tz_convert(CENTRAL).dt.date
    realized_days = set(delivery)
    rows = []
    for day in days:
        if day not in realized_days:
            continue
        window = frame[(delivery > day - timedelta(days=window_days)) & (delivery <= day)]
        for model, part in window.groupby("model", sort=True):
            groups = [(ALL, part), *part.groupby("settlement_point", sort=True)]
            for point, g in groups:
                m = metrics(
                    g["realized"].to_numpy("float64"),
                    g["prediction"].to_numpy("float64"),
                    g["p10"].to_numpy("float64"),
                    g["p90"].to_numpy("float64"),
                )
                if not m.get("rows"):
                    continue
                if not np.isfinite(g["p10"].to_numpy("float64")).any():
                    m["coverage_p10_p90"] = float("nan")
                rows.append(
                    {"day": day, "window_days": window_days, "model": model,
                     "settlement_point": str(point), **m}
                )  # fmt: skip
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=ACCURACY_COLUMNS)
    return out[ACCURACY_COLUMNS]


def retrain_reason(
    accuracy: pd.DataFrame, days: int, model: str = "ensemble", metric: str = "mae"
) -> str | None:
    """Why to retrain: ``model``'s overall ``metric`` was worse than the 7-day-median baseline's
    on each of the last ``days`` days with data; None otherwise."""
    overall = accuracy[accuracy["settlement_point"] == ALL]
    table = overall.pivot_table(index="day", columns="model", values=metric, aggfunc="last")
    base = "baseline_same_hour_median_7d"
    if model not in table or base not in table:
        return None
    recent = table[[model, base]].dropna().sort_index().tail(days)
    if len(recent) < days:
        return None
    higher_is_better = metric in ("sign_accuracy", "pnl_per_mwh", "r2")
    worse = recent[model] < recent[base] if higher_is_better else recent[model] > recent[base]
    if not worse.all():
        return None
    first, last = recent.index[0], recent.index[-1]
    return (
        f"{model} {metric} worse than the 7-day same-hour median on each of the {days} days "
        f"{first}..{last} (last: {recent[model].iloc[-1]:.2f} vs {recent[base].iloc[-1]:.2f})"
    )


NOMINAL_COVERAGE = 0.8
"""The share of realized DART a P10-P90 band should hold."""


def calibration_problem(
    accuracy: pd.DataFrame,
    window_days: int,
    low: float,
    high: float,
    min_rows: int,
    model: str = "ensemble",
) -> str | None:
    """What is wrong with ``model``'s P10-P90 bands: its overall coverage on the latest day
    with data, over the trailing ``window_days``, below ``low`` (too narrow: the risk is
    understated) or above ``high`` (too wide); None when within, or when the window holds fewer
    than ``min_rows`` realized point-hours (too few to judge)."""
    rows = accuracy[
        (accuracy["settlement_point"] == ALL)
        & (accuracy["model"] == model)
        & (accuracy["window_days"] == window_days)
    ]
    rows = rows[np.isfinite(rows["coverage_p10_p90"].to_numpy("float64"))]
    if rows.empty:
        return None
    latest = rows.sort_values("day").iloc[-1]
    coverage, count = float(latest["coverage_p10_p90"]), int(latest["rows"])
    if count < min_rows or low <= coverage <= high:
        return None
    verdict = "too narrow: the risk is understated" if coverage < low else "too wide"
    first = latest["day"] - timedelta(days=window_days - 1)
    return (
        f"{model} P10-P90 coverage {coverage:.1%} over {first}..{latest['day']} "
        f"({count:,} point-hours), outside {low:.0%}-{high:.0%} (nominal "
        f"{NOMINAL_COVERAGE:.0%}): the bands are {verdict}"
    )
