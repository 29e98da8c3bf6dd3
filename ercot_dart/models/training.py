"""Train, evaluate, export and verify the three models; write a bundle folder.

The steps are separate functions so the Prefect flow can run the fits as parallel tasks:
:func:`prepare` → :func:`fit` (per model) → :func:`evaluate` → :func:`refit` (per model) →
:func:`export_bundle`.

Evaluation needs days the models never saw, which the deployed models could have learnt from.
With ``refit`` (off by default: on real data it bought nothing measurable, docs/models.md),
once the held-out fits are scored, each model's recipe (its configuration and the rounds or
epochs early stopping chose) is fitted again on every labelled day up to the last one
(:func:`refit`). The bundle deploys the refits and keeps the held-out fits beside them
(``holdout_models``): its metrics are theirs, and promotion compares them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ercot_dart.features.asof import local_day
from ercot_dart.features.store import read_features
from ercot_dart.models.base import DartModel, ModelConfig, model_class
from ercot_dart.models.data import Dataset, Split, SplitDays, feature_list, labelled, plan_split
from ercot_dart.models.intervals import SCALE_FEATURE, IntervalCalibration
from ercot_dart.models.metrics import metrics, metrics_by_point
from ercot_dart.models.preprocess import Preprocessor
from ercot_dart.models.report import plot_error_by_hour, plot_predicted_vs_realized

MODEL_NAMES = ["lightgbm", "xgboost", "lstm"]
BASELINES = {"baseline_zero": None, "baseline_same_hour_median_7d": "dart_same_hour_median_7d"}
LIBRARIES = [
    "numpy",
    "pandas",
    "lightgbm",
    "xgboost-cpu",
    "torch",
    "onnx",
    "onnxruntime",
    "onnxmltools",
    "onnxscript",
]


@dataclass
class TrainRequest:
    """What to train on and how."""

    store: Path
    train_end: date | None = None
    valid_end: date | None = None
    test_end: date | None = None
    gap_days: int | None = None
    recent_days: int = 14
    models: list[str] = field(default_factory=lambda: list(MODEL_NAMES))
    config: ModelConfig = field(default_factory=ModelConfig)
    start: date | None = None
    search_seconds: float = 0.0
    """Time budget per model of the hyper-parameter search on the validation split (0: off)."""
    refit: bool = False
    """Deploy each model refitted on every labelled day up to the test end (see the module)."""


@dataclass
class Prepared:
    """The dataset and its three splits."""

    data: Dataset
    days: SplitDays
    train: Split
    valid: Split
    test: Split
    request: TrainRequest

    @cached_property
    def everything(self) -> Split:
        """Every labelled day from the first training day to the last test day, gaps included:
        what :func:`refit` trains on."""
        return self.up_to(self.days.test[1])

    def up_to(self, last: date) -> Split:
        """Every labelled day from the first training day to ``last``."""
        return self.data.split("all", (self.days.train[0], last))


def prepare(
    request: TrainRequest, split: SplitDays | None = None, frame: pd.DataFrame | None = None
) -> Prepared:
    """Read the labelled rows of the store, split them by time, fit the preprocessing on train.

    Args:
        request: what to train on.
        split: explicit split days (the backtest's windows); default from the request.
        frame: feature rows already read (the backtest reads the store once).
    """
    if frame is None:
        start = pd.Timestamp(request.start, tz="America/Chicago") if request.start else None
        frame = read_features(request.store, start=start)
    frame = labelled(frame)
    if split is None:
        days = sorted(set(local_day(frame["interval_start_utc"]).date))
        kwargs = {} if request.gap_days is None else {"gap_days": request.gap_days}
        split = plan_split(days, request.train_end, request.valid_end, request.test_end, **kwargs)
    train_mask = local_day(frame["interval_start_utc"]) <= pd.Timestamp(split.train[1])
    pre = Preprocessor.fit(frame.loc[train_mask], feature_list(frame.loc[train_mask]))
    data = Dataset(frame, pre, request.config.window)
    return Prepared(
        data,
        split,
        data.split("train", split.train),
        data.split("valid", split.valid),
        data.split("test", split.test),
        request,
    )


def fit(name: str, prepared: Prepared) -> DartModel:
    """Train one model on the train split, early-stopping on valid (after a time-bounded
    hyper-parameter search when the request asks for one)."""
    request = prepared.request
    if request.search_seconds > 0:
        from ercot_dart.models.search import search

        return search(name, request.config, prepared.train, prepared.valid, request.search_seconds)
    model = model_class(name)(request.config)
    model.fit(prepared.train, prepared.valid)
    return model


def refit(prepared: Prepared, model: DartModel, last: date | None = None) -> DartModel:
    """``model``'s recipe on every labelled day up to ``last`` (default the test end:
    :attr:`Prepared.everything`), for the rounds or epochs its held-out fit kept; the
    preprocessing stays the training split's."""
    return model.refit(prepared.everything if last is None else prepared.up_to(last))


@dataclass
class Evaluation:
    """Predictions and metrics of the fitted models, the ensemble and the baselines."""

    intervals: dict[str, IntervalCalibration]
    metrics: dict[str, Any]
    test_frame: pd.DataFrame


def _predict_all(models: dict[str, DartModel], split: Split) -> dict[str, np.ndarray]:
    preds = {name: m.predict(split) for name, m in models.items()}
    preds["ensemble"] = np.mean(np.vstack(list(preds.values())), axis=0)
    return preds


def evaluate(
    prepared: Prepared,
    models: dict[str, DartModel],
    scorers: dict[str, DartModel] | None = None,
) -> Evaluation:
    """Calibrate P10/P90 on valid; score models, ensemble and baselines on test.

    ``scorers`` (the backtest's refits, which have seen the validation days) score the test
    split instead of ``models``; the intervals are always calibrated on ``models``, for which
    the validation days are held out.
    """
    valid, test = prepared.valid, prepared.test
    valid_pred = _predict_all(models, valid)
    intervals = {
        name: IntervalCalibration.fit(pred, valid.y, valid.column(SCALE_FEATURE))
        for name, pred in valid_pred.items()
    }
    test_pred = _predict_all(scorers or models, test)
    frame = test.frame[
        ["settlement_point", "interval_start_utc", "issue_time_utc", "dart", "hour_ending"]
    ].copy()
    scale = test.column(SCALE_FEATURE)
    for name, pred in test_pred.items():
        frame[name] = pred
        frame[f"{name}_p10"], frame[f"{name}_p90"] = intervals[name].apply(pred, scale)
    frame["baseline_zero"] = 0.0
    frame["baseline_same_hour_median_7d"] = test.column("dart_same_hour_median_7d")
    names = [*models, "ensemble", *BASELINES]
    y = frame["dart"].to_numpy("float64")

    def block(part: pd.DataFrame) -> dict[str, Any]:
        yy = part["dart"].to_numpy("float64")
        return {
            n: metrics(
                yy,
                part[n].to_numpy("float64"),
                *(
                    (part[f"{n}_p10"].to_numpy(), part[f"{n}_p90"].to_numpy())
                    if f"{n}_p10" in part
                    else (None, None)
                ),
            )
            for n in names
        }

    recent_from = pd.Timestamp(  # the last recent_days of the test split, never before it
        max(
            prepared.days.test[1] - timedelta(days=prepared.request.recent_days - 1),
            prepared.days.test[0],
        )
    )
    recent = frame[local_day(frame["interval_start_utc"]) >= recent_from]
    result = {
        "test": block(frame),
        "recent": {
            "window": [str(recent_from.date()), str(prepared.days.test[1])],
            **block(recent),
        },
        "by_point": {n: metrics_by_point(frame, n) for n in names},
        "valid": {n: metrics(valid.y, p) for n, p in valid_pred.items()},
        "models": {n: m.info for n, m in (scorers or models).items()},
        "rows": {
            "train": len(prepared.train),
            "valid": len(valid),
            "test": len(test),
            "labelled": int(np.isfinite(y).sum()),
        },
    }
    return Evaluation(intervals, result, frame)


def code_version() -> str:
    """The package version and, in a git checkout, the commit."""
    try:
        base = version("ercot-dart")
    except PackageNotFoundError:
        base = "0+unknown"
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
            timeout=5,
        ).stdout.strip()
        return f"{base}+g{sha}"
    except (OSError, subprocess.SubprocessError):
        return base


def libraries() -> dict[str, str]:
    out = {}
    for lib in LIBRARIES:
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            continue
    return out


def export_bundle(
    prepared: Prepared,
    models: dict[str, DartModel],
    evaluation: Evaluation,
    out_dir: Path,
    refits: dict[str, DartModel] | None = None,
) -> Path:
    """Export each model to ONNX, check parity on the whole test split, write plots, metrics
    and the manifest. Returns the bundle folder ``out_dir/<bundle_id>``.

    With ``refits`` (:func:`refit` of each model), the bundle deploys them (``models``) and keeps
    the evaluated ``models`` as ``holdout_models``; without, it deploys the evaluated models.

    Raises:
        onnx_export.parity.ParityError: an export does not reproduce its model.
    """
    created = datetime.now(UTC).replace(microsecond=0)
    # a name of its own, so two runs in the same second do not write into one folder
    staging = Path(out_dir) / f".building-{created:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        return _write_bundle(prepared, models, evaluation, created, staging, Path(out_dir), refits)
    except BaseException:
        # a failed export (ParityError above all) leaves no half-built folder behind
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _export(
    models: dict[str, DartModel], prepared: Prepared, staging: Path, prefix: str = ""
) -> dict[str, dict[str, Any]]:
    """Each model as ``<prefix><name>.onnx``, checked against its native model on every test
    row; its spec (file, kind, input, shape, parity) by name."""
    from onnx_export.parity import check_parity

    columns = len(prepared.data.pre.columns)
    test = prepared.test
    specs = {}
    for name, model in models.items():
        path = staging / f"{prefix}{name}.onnx"
        model.export_onnx(path, columns)
        batches = (
            model.inputs(test, np.arange(lo, min(lo + 20_000, len(test))))
            for lo in range(0, len(test), 20_000)
        )
        parity = check_parity(path, batches, model.predict_inputs)
        shape = (
            [None, prepared.request.config.window, columns]
            if model.kind == "sequence"
            else [None, columns]
        )
        specs[name] = {
            "file": path.name,
            "kind": model.kind,
            "input": "input",
            "shape": shape,
            "parity": parity,
        }
    return specs


def _write_bundle(
    prepared: Prepared,
    models: dict[str, DartModel],
    evaluation: Evaluation,
    created: datetime,
    staging: Path,
    out_dir: Path,
    refits: dict[str, DartModel] | None = None,
) -> Path:
    """The body of :func:`export_bundle`, writing into the ``staging`` folder."""
    from ercot_dart.registry.bundle import write_manifest

    specs = _export(refits or models, prepared, staging)
    holdout = _export(models, prepared, staging, "holdout-") if refits else {}
    parity = {name: spec.pop("parity") for name, spec in specs.items()}
    plots = {
        "predicted_vs_realized": plot_predicted_vs_realized(
            evaluation.test_frame, [*models, "ensemble"], staging / "predicted_vs_realized.png"
        ).name,
        "error_by_hour": plot_error_by_hour(
            evaluation.test_frame, [*models, "ensemble", *BASELINES], staging / "error_by_hour.png"
        ).name,
    }
    (staging / "metrics.json").write_text(json.dumps(evaluation.metrics, indent=2, default=float))
    digest = hashlib.sha256(
        b"".join((staging / s["file"]).read_bytes() for s in [*specs.values(), *holdout.values()])
    ).hexdigest()[:8]
    bundle_id = f"dart-{created:%Y%m%dT%H%M%SZ}-{digest}"
    pre = prepared.data.pre
    manifest = {
        "bundle_id": bundle_id,
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "code_version": code_version(),
        "training_window": {
            **prepared.days.as_dict(),
            # the last day the deployed models were fitted on
            "fitted_end": str(prepared.days.test[1] if refits else prepared.days.valid[1]),
        },
        "features": [{"name": c, "dtype": "float32"} for c in pre.columns],
        "preprocessing": pre.to_dict(),
        "window": prepared.request.config.window,
        "models": specs,
        "refit": {
            "days": [str(prepared.days.train[0]), str(prepared.days.test[1])],
            "rows": len(prepared.everything),
            "rounds": {name: m.rounds for name, m in models.items()},
        }
        if refits
        else None,
        "holdout_models": holdout or None,
        "ensemble": {"models": list(models), "rule": "mean of the models that scored the row"},
        "intervals": {n: c.to_dict() for n, c in evaluation.intervals.items()},
        "metrics": {k: evaluation.metrics[k] for k in ("test", "recent", "valid", "rows")},
        "parity": parity,
        "plots": plots,
        "libraries": libraries(),
    }
    write_manifest(staging, manifest)
    final = out_dir / bundle_id
    staging.rename(final)
    return final
