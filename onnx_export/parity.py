"""Every export is checked after reloading the saved file: onnxruntime's predictions against the
native model's on the whole test split. Beyond the tolerance the export fails loudly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import onnxruntime as ort

from onnx_export import PARITY_TOLERANCE


class ParityError(RuntimeError):
    """An ONNX file does not reproduce its native model; the message says by how much."""


def session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def check_parity(
    path: Path,
    batches: Iterator[np.ndarray],
    native: Callable[[np.ndarray], np.ndarray],
    tolerance: float = PARITY_TOLERANCE,
) -> dict[str, float]:
    """Compare the saved ONNX file with the native model over all ``batches`` of inputs.

    Returns ``{"rows", "max_abs_diff", "tolerance"}``; raises :class:`ParityError` beyond it.
    """
    sess = session(path)
    name = sess.get_inputs()[0].name
    worst, rows = 0.0, 0
    for inputs in batches:
        onnx_pred = (
            sess.run(None, {name: inputs.astype(np.float32)})[0].reshape(-1).astype("float64")
        )
        diff = np.abs(onnx_pred - native(inputs))
        if np.isnan(diff).any():
            raise ParityError(f"{path.name}: NaN where the native model gave a number")
        worst = max(worst, float(diff.max(initial=0.0)))
        rows += len(inputs)
    if worst > tolerance:
        raise ParityError(
            f"{path.name}: ONNX differs from the native model by {worst:.6g} $/MWh (tolerance {tolerance})"
        )
    return {"rows": rows, "max_abs_diff": worst, "tolerance": tolerance}
