"""LightGBM and XGBoost → ONNX through onnxmltools, with a pinned opset and input ``input``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnxmltools import convert_lightgbm, convert_xgboost
from onnxmltools.convert.common.data_types import FloatTensorType

from onnx_export import OPSET_TREES


def _save(model, path: Path) -> None:  # type: ignore[no-untyped-def]
    path.write_bytes(model.SerializeToString())


def float32_thresholds(model_text: str) -> str:
    """A LightGBM model text with every split threshold rounded *down* to a float32.

    LightGBM keeps thresholds in double; an ONNX tree ensemble holds float32 and would round
    some of them up, flipping ``x <= t`` for an input equal to the rounded value. For float32
    inputs, ``x <= t`` and ``x <= round_down_f32(t)`` agree everywhere, so the rewritten model
    predicts exactly as the original, and its ONNX export has nothing left to round.
    """
    out = []
    for line in model_text.splitlines():
        if line.startswith("tree_sizes="):
            continue  # byte sizes of the tree blocks, which the rewrite changes; optional
        if line.startswith("threshold="):
            t = np.array(line[len("threshold=") :].split(), dtype="float64")
            f = t.astype("float32")
            f = np.where(f.astype("float64") > t, np.nextafter(f, np.float32(-np.inf)), f)
            line = "threshold=" + " ".join(repr(float(v)) for v in f.astype("float64"))
        out.append(line)
    return "\n".join(out) + "\n"


def export_lightgbm(booster, columns: int, path: Path) -> None:  # type: ignore[no-untyped-def]
    """A trimmed LightGBM booster → ``path``."""
    onx = convert_lightgbm(
        booster,
        initial_types=[("input", FloatTensorType([None, columns]))],
        target_opset=OPSET_TREES,
    )
    _save(onx, path)


def export_xgboost(booster, columns: int, path: Path) -> None:  # type: ignore[no-untyped-def]
    """A trimmed XGBoost booster (features named f0..fN, XGBoost's default) → ``path``."""
    onx = convert_xgboost(
        booster,
        initial_types=[("input", FloatTensorType([None, columns]))],
        target_opset=OPSET_TREES,
    )
    _save(onx, path)
