"""Forecast metrics for DART spreads. Pure numpy / pandas.

- RMSE, MAE ($/MWh), R²;
- sMAPE = mean(2|y − ŷ| / (|y| + |ŷ|)) in %, rows where both are 0 left out. Plain MAPE is not
  reported: DART crosses zero, so |y| in a denominator explodes;
- sign accuracy: share of rows where the predicted sign matches the realized one;
- P10–P90 coverage: share of realized values inside the interval (0.8 is calibrated);
- pnl_per_mwh: mean realized DART per MWh when taking 1 MW each hour on the predicted sign
  (long DART = sell DAM / buy RT when the prediction is positive, the reverse when negative).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def metrics(
    y: np.ndarray, pred: np.ndarray, p10: np.ndarray | None = None, p90: np.ndarray | None = None
) -> dict[str, float]:
    ok = np.isfinite(y) & np.isfinite(pred)
    y, pred = y[ok], pred[ok]
    if not len(y):
        return {"rows": 0}
    err = pred - y
    denom = np.abs(y) + np.abs(pred)
    nz = denom > 0
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    out = {
        "rows": int(len(y)),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": float(1 - np.sum(err**2) / ss_tot) if ss_tot > 0 else float("nan"),
        "smape": float(100 * np.mean(2 * np.abs(err[nz]) / denom[nz]))
        if nz.any()
        else float("nan"),
        "sign_accuracy": float(np.mean(np.sign(pred) == np.sign(y))),
        "pnl_per_mwh": float(np.mean(np.sign(pred) * y)),
    }
    if p10 is not None and p90 is not None:
        lo, hi = p10[ok], p90[ok]
        out["coverage_p10_p90"] = float(np.mean((y >= lo) & (y <= hi)))
    return out


def metrics_by_point(
    frame: pd.DataFrame, pred_col: str, y_col: str = "dart"
) -> dict[str, dict[str, float]]:
    """:func:`metrics` per settlement point (p10/p90 columns used when present)."""
    out = {}
    for point, part in frame.groupby("settlement_point", sort=True):
        p10 = part[f"{pred_col}_p10"].to_numpy() if f"{pred_col}_p10" in part else None
        p90 = part[f"{pred_col}_p90"].to_numpy() if f"{pred_col}_p90" in part else None
        out[str(point)] = metrics(
            part[y_col].to_numpy("float64"), part[pred_col].to_numpy("float64"), p10, p90
        )
    return out
