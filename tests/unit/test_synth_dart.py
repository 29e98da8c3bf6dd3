"""DART in the synthetic market has a predictable part, and only a part.

Four months of the five hubs (straight from the generator, no database): the first 90 days
train, the rest are held out. The model is the cheapest honest one, the median DART of each
hub and hour of day in the training days. It must beat predicting zero on held-out days
(mean absolute error, robust to the scarcity spikes that dominate squared errors), and even
an in-sample least-squares fit on hour of day and yesterday's DART must leave most of the
variance unexplained: the spread is forecastable in its shape, not in its surprises.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ercot_dart.synth.calibration import synthetic_hub_hourly


@pytest.fixture(scope="module")
def dart() -> pd.DataFrame:
    hourly = synthetic_hub_hourly(date(2025, 5, 1), date(2025, 8, 31), seed=7)
    local = hourly["utc"].dt.tz_convert("America/Chicago")
    return hourly.assign(
        dart=hourly["dam"] - hourly["rt"], hour=local.dt.hour, day=local.dt.normalize()
    )


def test_an_hour_of_day_median_beats_zero_on_held_out_days(dart: pd.DataFrame) -> None:
    days = np.sort(dart["day"].unique())
    train, test = dart[dart["day"] < days[90]], dart[dart["day"] >= days[90]]
    median = train.groupby(["point", "hour"])["dart"].median()
    predicted = median.reindex(pd.MultiIndex.from_frame(test[["point", "hour"]])).to_numpy()
    mae_zero = test["dart"].abs().mean()
    mae_model = (test["dart"] - predicted).abs().mean()
    assert mae_model < 0.98 * mae_zero


def test_dart_is_far_from_trivially_predictable(dart: pd.DataFrame) -> None:
    frame = dart.sort_values(["point", "utc"]).copy()
    frame["lag24"] = frame.groupby("point")["dart"].shift(24)
    frame = frame.dropna()
    design = np.column_stack([pd.get_dummies(frame["hour"]).to_numpy(float), frame["lag24"]])
    coef, *_ = np.linalg.lstsq(design, frame["dart"].to_numpy(), rcond=None)
    residual = frame["dart"].to_numpy() - design @ coef
    r2 = 1 - residual.var() / frame["dart"].var()
    assert 0.0 < r2 < 0.5


def test_dart_is_heavy_tailed(dart: pd.DataFrame) -> None:
    q = dart["dart"].quantile([0.01, 0.05, 0.95, 0.99])
    assert (q[0.99] - q[0.01]) > 2.5 * (q[0.95] - q[0.05])
