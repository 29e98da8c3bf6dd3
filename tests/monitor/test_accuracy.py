"""Realized accuracy: the prediction scored is the last one issued before the DAM closed; the
baselines ride along; daily windows; the retraining trigger."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from ercot_dart.features.asof import AsOfRules
from ercot_dart.monitor.accuracy import (
    ALL,
    calibration_problem,
    daily_accuracy,
    realized,
    retrain_reason,
    tradable,
)

RULES = AsOfRules()
HOUR = pd.Timestamp("2024-08-21T05:00Z")  # HE 01 of 2024-08-21; its DAM closed 2024-08-20 15:00Z


def prediction(issue: str, value: float, model: str = "ensemble", hour=HOUR) -> dict:
    return {
        "issue_time_utc": pd.Timestamp(issue),
        "settlement_point": "HB_NORTH",
        "interval_start_utc": hour,
        "hour_ending_local": "01:00",
        "dst_flag": "N",
        "model": model,
        "prediction": value,
        "p10": value - 5,
        "p90": value + 5,
        "bundle_id": "b",
    }


def test_the_scored_prediction_is_the_last_issued_before_the_dam_closed():
    frame = pd.DataFrame(
        [
            prediction("2024-08-19T20:05Z", 1.0),
            prediction("2024-08-20T14:05Z", 2.0),  # 09:05 CDT: the one a trader bid on
            prediction("2024-08-20T16:05Z", 3.0),  # 11:05 CDT: after the close, not tradable
        ]
    )
    [row] = tradable(frame, RULES).to_dict("records")
    assert row["prediction"] == 2.0


def test_realized_adds_both_baselines_and_drops_unknown_hours():
    later = HOUR + pd.Timedelta(hours=1)
    preds = pd.DataFrame(
        [prediction("2024-08-20T14:05Z", 2.0), prediction("2024-08-20T14:05Z", 4.0, hour=later)]
    )
    truth = pd.DataFrame(
        {
            "settlement_point": ["HB_NORTH", "HB_NORTH"],
            "interval_start_utc": [HOUR, later],
            "dart": [5.0, np.nan],  # the second hour's real-time price is not known yet
            "dart_same_hour_median_7d": [1.5, 1.0],
        }
    )
    out = realized(preds, truth, RULES).set_index("model")
    assert sorted(out.index) == ["baseline_same_hour_median_7d", "baseline_zero", "ensemble"]
    assert (out["realized"] == 5.0).all()
    assert out.loc["baseline_zero", "prediction"] == 0.0
    assert out.loc["baseline_same_hour_median_7d", "prediction"] == 1.5


def frame_of_days(days: int, model_error: float, base_error: float) -> pd.DataFrame:
    rows = []
    for d in range(days):
        for h in range(24):
            t = pd.Timestamp("2024-08-01T05:00Z") + pd.Timedelta(days=d, hours=h)
            y = float(np.sin(d * 24 + h) * 10)
            for model, err in (
                ("ensemble", model_error),
                ("baseline_same_hour_median_7d", base_error),
            ):
                rows.append(
                    {"settlement_point": "HB_NORTH", "interval_start_utc": t, "model": model,
                     "prediction": y + err, "p10": y + err - 1, "p90": y + err + 1, "realized": y}
                )  # fmt: skip
    return pd.DataFrame(rows)


def test_daily_accuracy_over_a_trailing_window():
    frame = frame_of_days(10, model_error=2.0, base_error=3.0)
    days = [date(2024, 8, 5), date(2024, 8, 10)]
    daily = daily_accuracy(frame, days, window_days=3)
    overall = daily[(daily["settlement_point"] == ALL) & (daily["model"] == "ensemble")]
    assert list(overall["day"]) == days
    assert (overall["rows"] == 3 * 24).all()
    np.testing.assert_allclose(overall["mae"], 2.0)
    assert set(daily["settlement_point"]) == {ALL, "HB_NORTH"}


def test_retraining_is_asked_for_only_after_n_bad_days_in_a_row():
    bad = daily_accuracy(
        frame_of_days(10, 3.0, 2.0), [date(2024, 8, d) for d in range(4, 11)], window_days=1
    )
    reason = retrain_reason(bad, days=3)
    assert reason and "3 days 2024-08-08..2024-08-10" in reason
    good = daily_accuracy(
        frame_of_days(10, 2.0, 3.0), [date(2024, 8, d) for d in range(4, 11)], window_days=1
    )
    assert retrain_reason(good, days=3) is None
    assert retrain_reason(bad.iloc[0:0], days=3) is None


def test_one_realized_day_is_not_three_bad_days_in_a_row():
    frame = frame_of_days(1, 3.0, 2.0)  # one day of realized prices, then none
    first = frame["interval_start_utc"].dt.tz_convert("America/Chicago").dt.date.min()
    days = [first + timedelta(days=k) for k in range(7)]
    accuracy = daily_accuracy(frame, days, window_days=7)
    assert set(accuracy["day"]) == {first}  # the days after it add no evidence
    assert retrain_reason(accuracy, days=3) is None


def with_coverage(share: float, days: int = 7) -> pd.DataFrame:
    """Ensemble rows whose bands hold the realized DART in ``share`` of the hours (in eighths)."""
    frame = frame_of_days(days, model_error=0.0, base_error=1.0)
    ens = frame["model"] == "ensemble"
    miss = ens & ((ens.cumsum() - 1) % 8 >= round(share * 8))
    frame.loc[miss, "p10"] = frame.loc[miss, "realized"] + 1  # above: the band misses
    frame.loc[miss, "p90"] = frame.loc[miss, "realized"] + 2
    return frame


def test_bands_too_narrow_or_too_wide_are_a_calibration_problem():
    days = [date(2024, 8, 1) + timedelta(days=k) for k in range(7)]

    def judge(share: float, min_rows: int = 100) -> str | None:
        daily = daily_accuracy(with_coverage(share), days, window_days=7)
        return calibration_problem(daily, 7, low=0.65, high=0.95, min_rows=min_rows)

    narrow = judge(0.5)
    assert narrow is not None and "too narrow" in narrow
    assert "ensemble P10-P90 coverage 50.0% over 2024-08-01..2024-08-07 (168 point-hours)" in narrow
    assert "outside 65%-95% (nominal 80%)" in narrow
    wide = judge(1.0)
    assert wide is not None and "too wide" in wide and "100.0%" in wide
    assert judge(0.8) is None  # within
    assert judge(0.5, min_rows=169) is None  # too few point-hours to judge
    # the latest day decides; a window of another length is not read
    daily = daily_accuracy(with_coverage(0.5), days, window_days=3)
    assert calibration_problem(daily, 7, 0.65, 0.95, 10) is None
    assert calibration_problem(daily.iloc[0:0], 7, 0.65, 0.95, 10) is None
