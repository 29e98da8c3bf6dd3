"""Walk-forward backtest: for each window of ``retrain_every`` days, train on what was published
before the window's first issue time, predict the window, move on.

A row of delivery day D is issued at 09:00 on D − 1, when the real-time prices of D − 1 are not
complete: so a window starting on day W trains on delivery days up to W − 2 (targets known),
validates on the last ``valid_days`` of those, and predicts W .. W + retrain_every − 1.
With ``request.refit`` (as ``train --refit`` deploys models), each model is then refitted on
every day up to W − 2 for the rounds its validation chose, and the refits predict the window;
the P10/P90 bands are calibrated on the validation days by the fits that did not see them.
Predictions are written in the prediction format (native model predictions; ``bundle_id``
names the window's models), with the same metrics per window and overall.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ercot_dart.features.asof import local_day
from ercot_dart.features.store import read_features
from ercot_dart.models.data import SplitDays
from ercot_dart.models.metrics import metrics
from ercot_dart.models.training import TrainRequest, evaluate, fit, prepare, refit
from inference.scoring import to_predictions


class BacktestError(ValueError):
    """The backtest cannot run as asked; the message says why."""


@dataclass
class Backtest:
    """Walk-forward predictions and their metrics."""

    predictions: pd.DataFrame
    windows: list[dict[str, Any]]
    overall: dict[str, dict[str, float]]

    def summary(self) -> str:
        ens, base = self.overall["ensemble"], self.overall["baseline_same_hour_median_7d"]
        return (
            f"{len(self.windows)} window(s), {ens.get('rows', 0):,} point-hours: ensemble MAE "
            f"{ens.get('mae', float('nan')):.2f} "
            f"$/MWh vs 7-day same-hour median {base.get('mae', float('nan')):.2f}; sign accuracy "
            f"{ens.get('sign_accuracy', float('nan')):.1%} vs {base.get('sign_accuracy', float('nan')):.1%}"
        )


def windows(start: date, end: date, every: int) -> list[tuple[date, date]]:
    """Consecutive windows of ``every`` days covering ``start``..``end``."""
    if end < start:
        raise BacktestError(f"--end {end} is before --start {start}")
    if every < 1:
        raise BacktestError(f"--retrain-every {every}: need at least 1 day")
    out, lo = [], start
    while lo <= end:
        hi = min(lo + timedelta(days=every - 1), end)
        out.append((lo, hi))
        lo = hi + timedelta(days=1)
    return out


def run_backtest(
    request: TrainRequest,
    start: date,
    end: date,
    retrain_every: int = 30,
    valid_days: int = 21,
    progress: Callable[[str], None] | None = None,
) -> Backtest:
    """Walk forward from ``start`` to ``end`` (local delivery days)."""
    say = progress or (lambda _m: None)
    frame = read_features(request.store)
    labelled_days = local_day(frame.loc[frame["dart"].notna(), "interval_start_utc"])
    if not len(labelled_days):
        raise BacktestError(f"no labelled rows in {request.store}: run `ercot-dart features` first")
    first = labelled_days.min().date()
    preds, rows_out = [], []
    for lo, hi in windows(start, end, retrain_every):
        train_last = lo - timedelta(days=2)
        valid = (train_last - timedelta(days=valid_days - 1), train_last)
        train = (first, valid[0] - timedelta(days=1))
        if train[1] < train[0] + timedelta(days=valid_days):
            raise BacktestError(
                f"window {lo}: too little history before it (labelled data starts {first})"
            )
        say(f"window {lo}..{hi}: training on {train[0]}..{valid[1]}")
        prepared = prepare(request, SplitDays(train, valid, (lo, hi), 0), frame)
        if not len(prepared.test):
            continue
        models = {name: fit(name, prepared) for name in request.models}
        refits = (
            {name: refit(prepared, m, train_last) for name, m in models.items()}
            if request.refit
            else None
        )
        evaluation = evaluate(prepared, models, refits)
        scored = evaluation.test_frame
        bundle_id = f"backtest-{lo:%Y%m%d}"
        preds.append(to_predictions(scored, bundle_id, list(models)))
        rows_out.append(
            {
                "window": [str(lo), str(hi)],
                "train": [str(train[0]), str(valid[1])],
                "refit": request.refit,
                **evaluation.metrics["test"],
            }
        )
    if not preds:
        raise BacktestError(f"no labelled rows between {start} and {end}")
    out = pd.concat(preds, ignore_index=True)
    return Backtest(out, rows_out, _overall(out, frame))


def _overall(predictions: pd.DataFrame, frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    truth = frame[["settlement_point", "interval_start_utc", "dart", "dart_same_hour_median_7d"]]
    out = {}
    for model, part in predictions.groupby("model"):
        joined = part.merge(truth, on=["settlement_point", "interval_start_utc"])
        out[str(model)] = metrics(
            joined["dart"].to_numpy(),
            joined["prediction"].to_numpy(),
            joined["p10"].to_numpy(),
            joined["p90"].to_numpy(),
        )
    any_model = predictions[predictions["model"] == "ensemble"].merge(
        truth, on=["settlement_point", "interval_start_utc"]
    )
    y = any_model["dart"].to_numpy()
    out["baseline_zero"] = metrics(y, np.zeros(len(y)))
    out["baseline_same_hour_median_7d"] = metrics(
        y, any_model["dart_same_hour_median_7d"].to_numpy("float64")
    )
    return out
