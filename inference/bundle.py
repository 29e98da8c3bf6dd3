"""A bundle loaded for scoring: manifest checked, one onnxruntime session per model, created once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnxruntime as ort

from ercot_dart.models.intervals import IntervalCalibration
from ercot_dart.models.preprocess import Preprocessor
from ercot_dart.registry.bundle import verify_bundle


@dataclass
class LoadedBundle:
    """What scoring needs of a bundle."""

    path: Path
    manifest: dict[str, Any]
    pre: Preprocessor
    sessions: dict[str, ort.InferenceSession]
    kinds: dict[str, str]
    intervals: dict[str, IntervalCalibration]
    window: int

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
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def load_bundle(path: Path, threads: int = 1) -> LoadedBundle:
    """Verify every file's sha256 against the manifest and open one session per model.

    Raises:
        ercot_dart.registry.bundle.BundleError: a file is missing, extra or altered.
    """
    path = Path(path)
    manifest = verify_bundle(path)
    models = manifest["models"]
    return LoadedBundle(
        path=path,
        manifest=manifest,
        pre=Preprocessor.from_dict(manifest["preprocessing"]),
        sessions={name: _session(path / spec["file"], threads) for name, spec in models.items()},
        kinds={name: spec["kind"] for name, spec in models.items()},
        intervals={
            name: IntervalCalibration.from_dict(c) for name, c in manifest["intervals"].items()
        },
        window=int(manifest.get("window", 24)),
    )
