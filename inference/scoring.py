"""Score feature rows with a loaded bundle: each model, the ensemble, P10 and P90.

The LSTM reads the previous ``window − 1`` hours of the same point: from ``history`` rows (e.g.
the request's own, or the feature store) and from the scored rows themselves. A row without its
full window gets no LSTM prediction, says why, and the ensemble averages the others.

:func:`predict` and :func:`bands` are the numpy core; :func:`score` (data frames, batch
inference and promotion) and the scoring service (its own fast request decoding) both use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

import numpy as np
import pandas as pd

from ercot_dart.models.intervals import SCALE_FEATURE
from ercot_dart.models.preprocess import window_index
from inference.bundle import LoadedBundle

KEY = ["settlement_point", "interval_start_utc"]
SEQUENCE_CHUNK = 2048
"""Rows per sequence-model call: bounds the (rows, window, columns) float32 input in memory."""


def _run(
    bundle: LoadedBundle, name: str, inputs: np.ndarray, seconds: dict[str, float] | None = None
) -> np.ndarray:
    """Model ``name``'s predictions for ``inputs``; its time in onnxruntime added to
    ``seconds[name]`` when given."""
    sess = bundle.session(name, len(inputs))
    started = perf_counter()
    out = sess.run(None, {bundle.input_names[name]: inputs})[0]
    if seconds is not None:
        seconds[name] += perf_counter() - started
    return out.reshape(-1).astype("float64")


def missing_note(missing: int, window: int) -> str:
    """Why a row has no sequence-model prediction."""
    return f"{missing} of the previous {window - 1} hours of this point are unknown"


BLANK_NOTE = "every feature of this row is null: no model scored it"
"""Why a row has no prediction at all (a tree would answer with its default paths alone)."""


def blank_rows(x: np.ndarray) -> np.ndarray:
    """(rows,) bool: rows of tree matrix ``x`` whose every feature is unknown (the last column,
    the settlement point's encoding, is always known)."""
    return np.isnan(x[:, :-1]).all(axis=1)


def predict(
    bundle: LoadedBundle,
    x: np.ndarray,
    z: np.ndarray,
    index: np.ndarray,
    seconds: dict[str, float] | None = None,
    blank: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Each model's predictions ($/MWh) for the rows of tree matrix ``x``.

    Args:
        x: (rows, columns) float32, :meth:`Preprocessor.tree_matrix` of the rows.
        z: standardised rows the windows are gathered from.
        index: (rows, window) positions in ``z`` of each row's hours, oldest first, -1 where
            unknown (:func:`window_index`). A sequence model scores only rows with none unknown:
            NaN elsewhere.
        seconds: when given, receives each model's time in onnxruntime (its calls alone), by
            model name: 0 for a model with no row to score.

    A row whose every feature is unknown (``blank``, default :func:`blank_rows` of ``x``) gets
    NaN from every model.
    """
    out: dict[str, np.ndarray] = {}
    blank = blank_rows(x) if blank is None else blank
    any_blank = bool(blank.any())
    full = (index >= 0).all(axis=1)
    full = np.flatnonzero(full & ~blank if any_blank else full)
    if seconds is not None:
        seconds.update(dict.fromkeys(bundle.kinds, 0.0))
    for name, kind in bundle.kinds.items():
        if kind == "tabular":
            out[name] = _run(bundle, name, x, seconds)
            if any_blank:
                out[name][blank] = np.nan
            continue
        pred = np.full(len(x), np.nan)
        for lo in range(0, len(full), SEQUENCE_CHUNK):
            rows = full[lo : lo + SEQUENCE_CHUNK]
            pred[rows] = _run(bundle, name, z[index[rows]], seconds)  # no hour unknown here
        out[name] = pred
    return out


@dataclass(frozen=True)
class Bands:
    """Predictions and their P10–P90 bands ($/MWh): one row per model and the ensemble
    (:attr:`names`), one column per scored row; NaN where a model made no prediction."""

    names: list[str]
    value: np.ndarray
    p10: np.ndarray
    p90: np.ndarray
    have: np.ndarray
    """(models, rows) bool: which models scored each row (the ensemble averaged them)."""

    def part(self, lo: int, hi: int) -> Bands:
        """The bands of rows ``lo:hi``."""
        return Bands(
            self.names, self.value[:, lo:hi], self.p10[:, lo:hi], self.p90[:, lo:hi],
            self.have[:, lo:hi],
        )  # fmt: skip


def bands(bundle: LoadedBundle, preds: dict[str, np.ndarray], scale: np.ndarray) -> Bands:
    """The ensemble (mean of the models that scored each row) and every P10/P90.

    Args:
        preds: :func:`predict`'s output.
        scale: each row's ``dart_std_7d`` ($/MWh, NaN when unknown).
    """
    names = [*preds, "ensemble"]
    value = np.empty((len(names), len(scale)))
    stacked = value[:-1]
    stacked[:] = list(preds.values())
    have = np.isfinite(stacked)
    with np.errstate(all="ignore"):  # the sum np.nansum makes, with fewer calls
        value[-1] = np.where(have, stacked, 0.0).sum(axis=0) / have.sum(axis=0)
    # IntervalCalibration.apply of each row's calibration, all rows at once (the same numbers)
    floor, fallback, q10, q90 = bundle.band_calibration  # in the order of names
    scale = np.asarray(scale, "float64")
    s = np.maximum(np.where(np.isfinite(scale), scale, fallback), floor)
    return Bands(names, value, value + q10 * s, value + q90 * s, have)


def summarize(
    bundle: LoadedBundle, preds: dict[str, np.ndarray], scale: np.ndarray
) -> dict[str, np.ndarray]:
    """:func:`bands` as columns: ``<model>``, ``<model>_p10``, ``<model>_p90`` for each model
    and ``ensemble``, and ``_have`` (models × rows, bool): which models scored each row."""
    b = bands(bundle, preds, scale)
    out: dict[str, np.ndarray] = {}
    for j, name in enumerate(b.names):
        out[name], out[f"{name}_p10"], out[f"{name}_p90"] = b.value[j], b.p10[j], b.p90[j]
    out["_have"] = b.have
    return out


def score(
    bundle: LoadedBundle, rows: pd.DataFrame, history: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Predictions for ``rows`` (feature-store columns), in the rows' order.

    Returns ``rows``' key columns plus, per model, ``<model>``, ``<model>_p10``, ``<model>_p90``;
    ``ensemble`` (+ p10/p90) over the models that scored the row, ``ensemble_models`` naming
    them, and ``lstm_note`` saying why a row has no LSTM prediction ('' when it has one; a row
    whose every feature is unknown has no prediction from any model, :data:`BLANK_NOTE`).
    """
    x = bundle.pre.tree_matrix(rows)
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
    z, index = _windows(bundle, rows, x, history)
    blank = blank_rows(x)
    columns = summarize(bundle, predict(bundle, x, z, index, blank=blank), scale)
    have = columns.pop("_have")
    for name, values in columns.items():
        out[name] = values
    names = np.array(list(bundle.kinds))
    out["ensemble_models"] = [",".join(names[h]) for h in have.T]
    missing = (index < 0).sum(axis=1)
    sequence = "sequence" in bundle.kinds.values()
    out["lstm_note"] = [
        BLANK_NOTE if b else missing_note(int(m), bundle.window) if m and sequence else ""
        for m, b in zip(missing, blank, strict=True)
    ]
    return out


def _windows(
    bundle: LoadedBundle, rows: pd.DataFrame, x: np.ndarray, history: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray]:
    """Standardised rows and, for each scored row, the positions of its window's hours in them."""
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
    return z, index[pick]


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
