"""Score feature rows with a loaded bundle: each model, the ensemble, P10 and P90.

The LSTM reads the previous ``window − 1`` hours of the same point: from ``history`` rows (e.g.
the request's own, or the feature store) and from the scored rows themselves. A row without its
full window gets no LSTM prediction, says why, and the ensemble averages the others.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ercot_dart.models.intervals import SCALE_FEATURE
from ercot_dart.models.preprocess import stack_windows, window_index
from inference.bundle import LoadedBundle

KEY = ["settlement_point", "interval_start_utc"]


def _run(bundle: LoadedBundle, name: str, inputs: np.ndarray) -> np.ndarray:
    sess = bundle.sessions[name]
    return sess.run(None, {sess.get_inputs()[0].name: inputs})[0].reshape(-1).astype("float64")


def score(
    bundle: LoadedBundle, rows: pd.DataFrame, history: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Predictions for ``rows`` (feature-store columns), in the rows' order.

    Returns ``rows``' key columns plus, per model, ``<model>``, ``<model>_p10``, ``<model>_p90``;
    ``ensemble`` (+ p10/p90) over the models that scored the row, ``ensemble_models`` naming
    them, and ``lstm_note`` saying why a row has no LSTM prediction ('' when it has one).
    """
    pre = bundle.pre
    x = pre.tree_matrix(rows)
    scale = (
        rows[SCALE_FEATURE].to_numpy("float64")
        if SCALE_FEATURE in rows
        else np.full(len(rows), np.nan)
    )
    out = (
        rows[[c for c in (*KEY, "issue_time_utc") if c in rows.columns]]
        .reset_index(drop=True)
        .copy()
    )
    preds: dict[str, np.ndarray] = {}
    note = np.full(len(rows), "", dtype=object)
    for name, kind in bundle.kinds.items():
        if kind == "tabular":
            preds[name] = _run(bundle, name, x)
            continue
        seq, missing = _windows(bundle, rows, x, history)
        pred = np.full(len(rows), np.nan)
        full = missing == 0
        if full.any():
            pred[full] = _run(bundle, name, seq[full])
        note[~full] = [
            f"{m} of the previous {bundle.window - 1} hours of this point are unknown"
            for m in missing[~full]
        ]
        preds[name] = pred
    for name, pred in preds.items():
        out[name] = pred
        out[f"{name}_p10"], out[f"{name}_p90"] = bundle.intervals[name].apply(pred, scale)
    stacked = np.vstack([preds[n] for n in preds])
    have = np.isfinite(stacked)
    with np.errstate(all="ignore"):
        ensemble = np.nansum(stacked, axis=0) / have.sum(axis=0)
    out["ensemble"] = ensemble
    out["ensemble_p10"], out["ensemble_p90"] = bundle.intervals["ensemble"].apply(ensemble, scale)
    names = np.array(list(preds))
    out["ensemble_models"] = [",".join(names[h]) for h in have.T]
    out["lstm_note"] = note
    return out


def _windows(
    bundle: LoadedBundle, rows: pd.DataFrame, x: np.ndarray, history: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray]:
    """Sequence inputs of each row and how many earlier hours of its window are missing."""
    parts = [rows[KEY].assign(_row=np.arange(len(rows)))]
    mats = [x]
    if history is not None and len(history):
        hist = history[~history.set_index(KEY).index.isin(rows.set_index(KEY).index)]
        parts.append(hist[KEY].assign(_row=-1))
        mats.append(bundle.pre.tree_matrix(hist))
    both = pd.concat(parts, ignore_index=True)
    matrix = np.vstack(mats)
    order = np.lexsort((both["interval_start_utc"].to_numpy(), both["settlement_point"].to_numpy()))
    both, matrix = both.iloc[order].reset_index(drop=True), matrix[order]
    index = window_index(
        both["settlement_point"].to_numpy(), both["interval_start_utc"].to_numpy(), bundle.window
    )
    z = bundle.pre.standardize(matrix)
    mine = both["_row"].to_numpy()
    pick = np.empty(len(rows), dtype="int64")
    pick[mine[mine >= 0]] = np.flatnonzero(mine >= 0)
    idx = index[pick]
    return stack_windows(z, idx), (idx < 0).sum(axis=1)


PREDICTION_COLUMNS = [
    "issue_time_utc",
    "settlement_point",
    "interval_start_utc",
    "hour_ending_local",
    "dst_flag",
    "model",
    "prediction",
    "p10",
    "p90",
    "bundle_id",
]


def to_predictions(scored: pd.DataFrame, bundle_id: str, models: list[str]) -> pd.DataFrame:
    """Scored rows → the promised prediction format, one row per (issue time, point, hour, model)."""
    from ercot_dart.ercot.timeconv import utc_to_hour_ending

    native = utc_to_hour_ending(pd.DatetimeIndex(scored["interval_start_utc"]))
    frames = []
    for model in [*models, "ensemble"]:
        frames.append(
            pd.DataFrame(
                {
                    "issue_time_utc": scored["issue_time_utc"].to_numpy(),
                    "settlement_point": scored["settlement_point"].to_numpy(),
                    "interval_start_utc": scored["interval_start_utc"].to_numpy(),
                    "hour_ending_local": native["hour_ending"].to_numpy(),
                    "dst_flag": native["dst_flag"].to_numpy(),
                    "model": model,
                    "prediction": scored[model].to_numpy("float64"),
                    "p10": scored[f"{model}_p10"].to_numpy("float64"),
                    "p90": scored[f"{model}_p90"].to_numpy("float64"),
                    "bundle_id": bundle_id,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.dropna(subset=["prediction"]).reset_index(drop=True)[PREDICTION_COLUMNS]
