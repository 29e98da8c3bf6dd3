"""A bundle loaded for scoring: manifest checked, onnxruntime sessions created once per model —
one on a single thread (small batches, no thread hand-offs) and, when more threads are asked
for, one on that many for large batches."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from ercot_dart.models.intervals import IntervalCalibration
from ercot_dart.models.preprocess import Preprocessor
from ercot_dart.registry.bundle import verify_bundle

BULK_ROWS = 512
"""From this many rows a call is worth parallelising (below, thread hand-offs cost more)."""


@dataclass
class LoadedBundle:
    """What scoring needs of a bundle."""

    path: Path
    manifest: dict[str, Any]
    pre: Preprocessor
    sessions: dict[str, ort.InferenceSession]
    """One single-threaded session per model."""
    kinds: dict[str, str]
    intervals: dict[str, IntervalCalibration]
    window: int
    bulk: dict[str, ort.InferenceSession] = field(default_factory=dict)
    """Multi-threaded sessions (empty with one thread): for calls of :data:`BULK_ROWS` or more."""

    def session(self, name: str, rows: int) -> ort.InferenceSession:
        """The session of model ``name`` for a call of ``rows`` rows."""
        if rows >= BULK_ROWS and name in self.bulk:
            return self.bulk[name]
        return self.sessions[name]

    @functools.cached_property
    def input_names(self) -> dict[str, str]:
        """Each model's input name (asking the session builds its input list on every call)."""
        return {name: sess.get_inputs()[0].name for name, sess in self.sessions.items()}

    @functools.cached_property
    def band_calibration(self) -> tuple[np.ndarray, ...]:
        """(floor, fallback, q10, q90) of the interval calibration of each model and of the
        ensemble, in that order, each as a column (:func:`inference.scoring.bands`)."""
        cal = [self.intervals[name] for name in [*self.kinds, "ensemble"]]
        return tuple(
            np.array([getattr(c, k) for c in cal])[:, None]
            for k in ("floor", "fallback", "q10", "q90")
        )

    @property
    def bundle_id(self) -> str:
        return str(self.manifest["bundle_id"])

    @property
    def models(self) -> list[str]:
        return list(self.sessions)


def _session(path: Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # idle pool threads sleep instead of spinning: they would take CPU from the event loop
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _preprocessor(data: dict[str, Any]) -> Preprocessor:
    """The manifest's preprocessing, with its means and standard deviations as float32 arrays
    (what :meth:`Preprocessor.standardize` converts them to on every call: the same numbers)."""
    pre = Preprocessor.from_dict(data)
    means, stds = np.asarray(pre.means, "float32"), np.asarray(pre.stds, "float32")
    return replace(pre, means=means, stds=stds)  # type: ignore[arg-type]


def load_bundle(path: Path, threads: int = 1, held_out: bool = False) -> LoadedBundle:
    """Verify every file's sha256 against the manifest and open the sessions of each model
    (with ``threads`` > 1, a second one on that many threads for large batches).

    With ``held_out``, the models that were scored on the bundle's held-out days: the
    ``holdout_models`` of a refitted bundle, the deployed ``models`` of any other
    (:mod:`ercot_dart.models.training`); promotion compares bundles on them.

    Raises:
        ercot_dart.registry.bundle.BundleError: a file is missing, extra or altered.
    """
    path = Path(path)
    manifest = verify_bundle(path)
    models = (held_out and manifest.get("holdout_models")) or manifest["models"]
    return LoadedBundle(
        path=path,
        manifest=manifest,
        pre=_preprocessor(manifest["preprocessing"]),
        sessions={name: _session(path / spec["file"], threads) for name, spec in models.items()},
        kinds={name: spec["kind"] for name, spec in models.items()},
        intervals={
            name: IntervalCalibration.from_dict(c) for name, c in manifest["intervals"].items()
        },
        window=int(manifest.get("window", 24)),
        bulk={name: _session(path / spec["file"], threads) for name, spec in models.items()}
        if threads > 1
        else {},
    )
